"""What steps need from the bot under test, whether it runs in process or is served over HTTP."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.settings import Settings
from bot.devtools.signed_client import BotResponse
from bot.devtools.slack_emulator import SlackEmulator


class SlackSide(Protocol):
    """Slack sending requests to the bot: `SignedSlackClient` or `InProcessSlackClient`."""

    async def slash_command(self, text: str, *, user_id: str = ..., channel_id: str = ...,
                            response_key: str | None = ...,
                            bad_signature: bool = ..., org_install: bool = ...) -> BotResponse: ...

    async def event(self, event: dict[str, Any], *, event_id: str | None = ...,
                    retry_num: int | None = ..., retry_reason: str = ...,
                    actor_team_id: str | None = ..., org_install: bool = ...) -> BotResponse: ...

    async def interaction(self, payload: dict[str, Any]) -> BotResponse: ...

    async def url_verification(self, challenge: str) -> BotResponse: ...


class Bot(Protocol):
    @property
    def slack(self) -> SlackEmulator: ...

    @property
    def client(self) -> SlackSide: ...

    @property
    def engine(self) -> AsyncEngine: ...

    @property
    def settings(self) -> Settings: ...

    async def settle(self) -> None:
        """Return once the work the bot acknowledged so far is done."""
        ...

"""Steps a person takes with `/incident`, played as Slack sends them."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from bot.devtools.signed_client import BotResponse
from bot.slack import wording
from tests.support.bot_under_test import Bot


@dataclass(frozen=True)
class Opened:
    number: int
    channel_id: str
    reply: str


async def start_incident(bot: Bot, text: str = "sev2 Checkout returns 500s", *,
                         user: str = "U0ALICE", channel: str = "C0GENERAL") -> Opened:
    key = uuid.uuid4().hex
    response = await bot.client.slash_command(f"start {text}", user_id=user,
                                              channel_id=channel, response_key=key)
    assert response.status == 200, response.text
    reply = str((await bot.slack.wait_for_response(key)).body["text"])
    if reply == wording.SLACK_IS_SLOW:  # a busy machine: the reply proper follows
        reply = str((await bot.slack.wait_for_response(key)).body["text"])
    found = re.search(r"\*INC-(\d+)\*.*<#(C\w+)>", reply)
    assert found, f"no incident in the reply: {reply}"
    return Opened(number=int(found.group(1)), channel_id=found.group(2), reply=reply)


async def command(bot: Bot, text: str, *, channel: str, user: str = "U0ALICE") -> BotResponse:
    """Run `/incident <text>` and return once the work it started is done."""
    response = await bot.client.slash_command(text, user_id=user, channel_id=channel)
    assert response.status == 200, response.text
    await bot.settle()
    return response


async def refusal(bot: Bot, text: str, *, channel: str, user: str = "U0ALICE",
                  after_ack: bool = False, timeout: float = 5.0) -> str:  # noqa: ASYNC109
    """Run a command that must be refused; return what the person was told, in the ack
    itself or, with `after_ack` or an empty ack, in the reply that follows it."""
    key = uuid.uuid4().hex
    response = await bot.client.slash_command(text, user_id=user, channel_id=channel,
                                              response_key=key)
    assert response.status == 200, response.text
    if response.message and not after_ack:
        return response.message
    body = (await bot.slack.wait_for_response(key, timeout=timeout)).body
    assert body.get("response_type") == "ephemeral", body
    return str(body["text"])

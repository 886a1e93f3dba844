"""Slack's word on the tokens, asked once at start-up: a token Slack refuses stops `serve`
with one line naming the setting, instead of a bot that reports healthy and then fails the
first `/incident start`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from aiohttp import ClientConnectionError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.settings import ConfigError

log = logging.getLogger(__name__)

# Slack's own trouble, not the token's: start anyway and let the calls retry later.
_SLACK_TROUBLE = frozenset({"ratelimited", "internal_error", "fatal_error",
                            "service_unavailable", "request_timeout"})


async def check_bot_token(client: AsyncWebClient) -> None:
    """`auth.test` with the bot token."""
    await _ask(client.auth_test(), setting="SLACK_BOT_TOKEN",
               base_url=client.base_url,
               fix="copy the Bot User OAuth Token (xoxb-…) again from the app's OAuth & "
                   "Permissions page (reinstall the app if it was revoked)")


async def check_app_token(client: AsyncWebClient, app_token: str) -> None:
    """`apps.connections.open` with the app-level token, as Socket Mode will call it; the
    address it hands out is not used."""
    await _ask(client.apps_connections_open(app_token=app_token), setting="SLACK_APP_TOKEN",
               base_url=client.base_url,
               fix="create an App-Level Token with the connections:write scope on the app's "
                   "Basic Information page and copy it (xapp-…), or unset SLACK_APP_TOKEN to "
                   "serve over HTTP")


async def _ask(call: Awaitable[object], *, setting: str, fix: str, base_url: str) -> None:
    try:
        await call
    except SlackApiError as refusal:
        said = refusal.response.data
        # Slack's trouble may come as a bare 5xx page rather than JSON.
        error = str((said.get("error") if isinstance(said, dict) else None)
                    or f"HTTP {refusal.response.status_code}")
        if error in _SLACK_TROUBLE or refusal.response.status_code >= 500:
            log.warning("could not check %s: Slack answered %s; starting anyway", setting,
                        error)
            return
        raise ConfigError(f"{setting} was refused by Slack ({error}): {fix}.") from None
    except (ClientConnectionError, TimeoutError) as unreachable:
        raise ConfigError(
            f"SLACK_API_URL: could not reach Slack at {base_url} to check {setting} "
            f"({type(unreachable).__name__}); check the network and proxy settings, or unset "
            "SLACK_API_URL to use https://slack.com/api/.") from None


async def installed_team(client: AsyncWebClient) -> str:
    """The workspace the bot token belongs to (the organisation, for an org-wide install
    on Enterprise Grid), as the bot numbers incidents under it: for a command line that
    writes incidents into a database that has none yet."""
    try:
        response = await client.auth_test()
    except SlackApiError as refusal:
        said = refusal.response.data
        error = str((said.get("error") if isinstance(said, dict) else None)
                    or f"HTTP {refusal.response.status_code}")
        raise ConfigError(f"SLACK_BOT_TOKEN: Slack would not say which workspace it belongs "
                          f"to ({error}); give the workspace's id with --team T…") from None
    except (ClientConnectionError, TimeoutError) as unreachable:
        raise ConfigError(
            f"SLACK_API_URL: could not reach Slack at {client.base_url} to ask which "
            f"workspace SLACK_BOT_TOKEN belongs to ({type(unreachable).__name__}); give the "
            "workspace's id with --team T… instead") from None
    if response.get("is_enterprise_install") and response.get("enterprise_id"):
        return str(response["enterprise_id"])
    return str(response["team_id"])

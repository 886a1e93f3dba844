"""The emulator refuses what Slack refuses and answers what Slack answers, where a bot that
Slack would fail could otherwise pass its tests: scopes the token lacks (public and private
channels need different ones), the file object an upload completes with, and a thread read
by one of its replies."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import yaml
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.devtools.emulator_scopes import EVERY_SCOPE, METHOD_SCOPES
from bot.devtools.slack_emulator import SlackEmulator
from tests.support.paths import REPO

GENERAL = "C0GENERAL"


@asynccontextmanager
async def emulator(scopes: Iterable[str] | None = None) -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator(scopes=scopes) as slack:
        yield slack


def client_for(slack: SlackEmulator) -> AsyncWebClient:
    return AsyncWebClient(token=slack.bot_token, base_url=slack.api_url, retry_handlers=[])


async def refusal(call: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as caught:
        await call
    body: dict[str, Any] = caught.value.response.data
    return body


async def test_a_method_outside_the_tokens_scopes_is_refused_as_slack_does() -> None:
    async with emulator(["chat:write", "channels:history"]) as slack:
        client = client_for(slack)
        message = await client.chat_postMessage(channel=GENERAL, text="Card")

        refused = await refusal(client.pins_add(channel=GENERAL, timestamp=message["ts"]))

        assert refused == {"ok": False, "error": "missing_scope", "needed": "pins:write",
                           "provided": "channels:history,chat:write"}
        assert slack.channel(GENERAL).pins == {}


async def test_a_private_channel_needs_the_groups_scopes() -> None:
    async with emulator(["chat:write", "channels:history", "channels:manage"]) as slack:
        client = client_for(slack)
        public = (await client.conversations_create(name="inc-1-public"))["channel"]["id"]
        secret = slack.create_channel("inc-2-secret", is_private=True)

        assert (await client.conversations_history(channel=public))["ok"] is True
        assert (await refusal(client.conversations_history(channel=secret)))["needed"] == (
            "groups:history")
        assert (await refusal(client.conversations_setTopic(channel=secret, topic="x")))[
            "needed"] == "groups:write"
        assert (await refusal(client.conversations_create(name="inc-3", is_private=True)))[
            "needed"] == "groups:write"
        # Slack cannot tell which kind an unknown id is: any scope the method takes will
        # do, and the id is refused for what it is.
        assert (await refusal(client.conversations_history(channel="C0NOSUCH")))[
            "error"] == "channel_not_found"


async def test_a_channel_converted_to_private_needs_them_from_then_on() -> None:
    async with emulator(["chat:write", "channels:history", "channels:manage"]) as slack:
        client = client_for(slack)
        channel = (await client.conversations_create(name="inc-4-breach"))["channel"]["id"]
        slack.convert_to_private(channel)

        refused = await refusal(client.conversations_history(channel=channel))
        assert (refused["error"], refused["needed"]) == ("missing_scope", "groups:history")
        info = slack.channel(channel).to_api(slack.bot_user_id)
        assert (info["id"], info["is_private"], info["is_channel"]) == (channel, True, False)


async def test_by_default_the_token_has_the_scopes_app_yaml_asks_for() -> None:
    manifest = yaml.safe_load((REPO / "app.yaml").read_text())
    async with emulator() as slack:
        assert slack.bot_scopes == frozenset(manifest["oauth_config"]["scopes"]["bot"])
        # Sitrep never lists pins, so app.yaml does not ask for pins:read.
        refused = await refusal(client_for(slack).pins_list(channel="C0GENERAL"))
        assert (refused["error"], refused["needed"]) == ("missing_scope", "pins:read")


async def test_every_emulated_method_says_which_scopes_it_needs() -> None:
    slack = SlackEmulator()
    assert set(slack.api.methods) <= set(METHOD_SCOPES)


# Keys of the file object files.completeUploadExternal answers with, from a real answer
# (python-slack-sdk issue #1575) and the SDKs' generated response types.
FILE_OBJECT_KEYS = {
    "id", "created", "timestamp", "name", "title", "mimetype", "filetype", "pretty_type",
    "user", "user_team", "editable", "size", "mode", "is_external", "external_type",
    "is_public", "public_url_shared", "display_as_bot", "username", "url_private",
    "url_private_download", "media_display_type", "permalink", "permalink_public",
    "comments_count", "is_starred", "shares", "channels", "groups", "ims", "has_more_shares",
    "has_rich_preview", "file_access",
}


async def test_completing_an_upload_answers_the_whole_file_object() -> None:
    async with emulator(EVERY_SCOPE) as slack:
        client = client_for(slack)
        secret = slack.create_channel("inc-5-secret", is_private=True)
        uploaded = await client.files_upload_v2(channel=secret, content="# INC-5",
                                                filename="retro.md", title="INC-5 retro")

        (file,) = uploaded["files"]
        assert set(file) >= FILE_OBJECT_KEYS
        assert (file["title"], file["name"], file["filetype"]) == (
            "INC-5 retro", "retro.md", "markdown")
        assert file["permalink"].startswith("https://sitrep-test.slack.com/files/")
        # Slack shares the file after answering: the answer lists no shares yet.
        assert (file["shares"], file["channels"], file["groups"]) == ({}, [], [])
        shared = (await client.files_info(file=file["id"]))["file"]
        # A private channel is a group, never one of the file's public channels.
        assert (shared["channels"], shared["groups"]) == ([], [secret])
        assert list(shared["shares"]["private"]) == [secret]


async def test_replies_asked_by_a_replys_ts_return_the_whole_thread() -> None:
    async with emulator() as slack:
        client = client_for(slack)
        parent = slack.post_human_message(GENERAL, "U0ALICE", "Is it the deploy?")["ts"]
        first = slack.post_human_message(GENERAL, "U0BOB", "Maybe", thread_ts=parent)["ts"]
        second = slack.post_human_message(GENERAL, "U0CAROL", "Yes", thread_ts=parent)["ts"]

        by_reply = await client.conversations_replies(channel=GENERAL, ts=second)

        assert [m["ts"] for m in by_reply["messages"]] == [parent, first, second]
        assert by_reply["messages"][0]["reply_count"] == 2

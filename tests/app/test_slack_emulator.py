"""The Slack emulator answers like Slack, driven through the real slack-sdk clients so every
argument arrives encoded exactly as the SDK sends it to slack.com."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.devtools.emulator_scopes import EVERY_SCOPE
from bot.devtools.slack_emulator import SlackEmulator
from tests.support.retry_waits import RetryWaits

BOT_TOKEN = "xoxb-sitrep-test"
APP_TOKEN = "xapp-1-sitrep-test"


def client_for(slack: SlackEmulator, token: str | None = BOT_TOKEN) -> AsyncWebClient:
    # No retry handlers: a test must see each 429/5xx exactly as Slack sent it.
    return AsyncWebClient(token=token, base_url=slack.api_url, retry_handlers=[])


@pytest.fixture
async def slack() -> AsyncIterator[SlackEmulator]:
    """The emulator's own methods go beyond what Sitrep's manifest asks for: here the bot
    token has every scope (refusals for a missing one are tested on their own)."""
    async with SlackEmulator(scopes=EVERY_SCOPE) as emulator:
        yield emulator


@pytest.fixture
def client(slack: SlackEmulator) -> AsyncWebClient:
    return client_for(slack)


async def slack_error(call: Any) -> SlackApiError:
    """Await a Web API call that must fail, and hand back the SDK's error."""
    with pytest.raises(SlackApiError) as caught:
        await call
    return caught.value


async def error_code(call: Any) -> str:
    error = await slack_error(call)
    code: str = error.response["error"]
    return code


# -- transport and auth ----------------------------------------------------------------


async def test_auth_test_identifies_the_bot(client: AsyncWebClient) -> None:
    response = await client.auth_test()

    assert response["ok"] is True
    assert response["user_id"] == "U0BOT"
    assert response["bot_id"] == "B0BOT"
    assert response["team_id"] == "T0001"
    assert response["url"] == "https://sitrep-test.slack.com/"


async def test_missing_and_unknown_tokens_are_refused(slack: SlackEmulator) -> None:
    assert await error_code(client_for(slack, None).auth_test()) == "not_authed"
    assert await error_code(client_for(slack, "xoxb-nope").auth_test()) == "invalid_auth"
    assert [call.error for call in slack.calls] == ["not_authed", "invalid_auth"]
    assert slack.calls[1].token == "xoxb-nope"


async def test_each_token_type_is_limited_to_its_own_methods(slack: SlackEmulator) -> None:
    app_client = client_for(slack, APP_TOKEN)
    assert await error_code(app_client.auth_test()) == "not_allowed_token_type"
    bot_client = client_for(slack)
    code = await error_code(bot_client.apps_connections_open(app_token=BOT_TOKEN))
    assert code == "not_allowed_token_type"

    opened = await bot_client.apps_connections_open(app_token=APP_TOKEN)
    assert opened["url"].startswith(f"ws://127.0.0.1:{slack.base_url.rsplit(':', 1)[1]}/socket?")


async def test_unknown_method_is_a_404(client: AsyncWebClient, slack: SlackEmulator) -> None:
    error = await slack_error(client.api_call("chat.postMesage", json={"channel": "C0GENERAL"}))

    assert error.response.status_code == 404
    assert error.response["error"] == "unknown_method"
    assert slack.calls[-1].http_status == 404


async def test_form_encoded_arguments_and_token_argument_are_understood(
    slack: SlackEmulator,
) -> None:
    form = {
        "token": BOT_TOKEN,
        "channel": "C0GENERAL",
        "blocks": '[{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]',
        "unfurl_links": "false",
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{slack.api_url}chat.postMessage?text=hello", data=form) as response,
    ):
        body = await response.json()

    assert body["ok"] is True
    call = slack.calls_to("chat.postMessage")[0]
    assert call.token == BOT_TOKEN
    assert call.args["text"] == "hello"
    assert call.args["blocks"][0]["type"] == "section"
    assert "token" not in call.args


# -- conversations ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "invalid_name_required"),
        ("a" * 81, "invalid_name_maxlength"),
        ("Inc-1-Checkout", "invalid_name_specials"),
        ("inc 1", "invalid_name_specials"),
        ("inc-1-caf\u00e9", "invalid_name_specials"),
        ("---", "invalid_name_punctuation"),
        ("_", "invalid_name_punctuation"),
    ],
)
async def test_channel_names_follow_slacks_rules(
    client: AsyncWebClient, name: str, error: str
) -> None:
    assert await error_code(client.conversations_create(name=name)) == error


async def test_create_channel_and_name_taken(client: AsyncWebClient, slack: SlackEmulator) -> None:
    created = await client.conversations_create(name="inc-1-" + "x" * 74)
    channel = created["channel"]

    assert channel["id"].startswith("C") and len(channel["id"]) == 11
    assert channel["id"] != "C0GENERAL"
    assert channel["is_member"] is True and channel["creator"] == "U0BOT"
    assert slack.channel(channel["id"]).members == ["U0BOT"]
    assert await error_code(client.conversations_create(name=channel["name"])) == "name_taken"
    assert await error_code(client.conversations_create(name="general")) == "name_taken"

    await client.conversations_archive(channel=channel["id"])
    assert await error_code(client.conversations_create(name=channel["name"])) == "name_taken"


async def test_invite_rules(client: AsyncWebClient, slack: SlackEmulator) -> None:
    channel_id = (await client.conversations_create(name="inc-2"))["channel"]["id"]

    invited = await client.conversations_invite(channel=channel_id, users=["U0ALICE", "U0BOB"])
    assert invited["channel"]["id"] == channel_id
    assert slack.channel(channel_id).members == ["U0BOT", "U0ALICE", "U0BOB"]

    async def invite(channel: str, users: str) -> str:
        return await error_code(client.conversations_invite(channel=channel, users=users))

    assert await invite(channel_id, "U0ALICE") == "already_in_channel"
    assert await invite(channel_id, "U0BOT") == "cant_invite_self"
    assert await invite(channel_id, "U0NOBODY") == "user_not_found"
    assert await invite("C9999999999", "U0ALICE") == "channel_not_found"
    await client.conversations_invite(channel=channel_id, users="U0ALICE,U0CAROL")
    assert slack.channel(channel_id).members[-1] == "U0CAROL"

    quiet = slack.create_channel("quiet", members=["U0ALICE"])
    assert await invite(quiet, "U0BOB") == "not_in_channel"
    await client.conversations_archive(channel=channel_id)
    assert await invite(channel_id, "U0CAROL") == "is_archived"


async def test_topic_join_and_info(client: AsyncWebClient, slack: SlackEmulator) -> None:
    quiet = slack.create_channel("quiet", members=["U0ALICE"])

    code = await error_code(client.conversations_setTopic(channel=quiet, topic="x"))
    assert code == "not_in_channel"
    await client.conversations_join(channel=quiet)
    await client.conversations_setTopic(channel=quiet, topic="SEV2 | investigating")
    info = await client.conversations_info(channel=quiet)
    assert info["channel"]["topic"]["value"] == "SEV2 | investigating"
    assert info["channel"]["is_member"] is True
    code = await error_code(client.conversations_setTopic(channel=quiet, topic="x" * 251))
    assert code == "too_long"
    members = await client.conversations_members(channel=quiet)
    assert members["members"] == ["U0ALICE", "U0BOT"]


# -- messages --------------------------------------------------------------------------


async def test_post_message_ts_is_strictly_increasing(client: AsyncWebClient) -> None:
    stamps = [
        (await client.chat_postMessage(channel="C0GENERAL", text=f"update {n}"))["ts"]
        for n in range(20)
    ]

    assert all(len(ts.split(".")[1]) == 6 for ts in stamps)
    assert [Decimal(ts) for ts in stamps] == sorted({Decimal(ts) for ts in stamps})


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_post_message_shape_and_refusals(
    client: AsyncWebClient, slack: SlackEmulator
) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*INC-1* declared"}}]
    posted = await client.chat_postMessage(channel="C0GENERAL", text="INC-1", blocks=blocks)

    assert posted["channel"] == "C0GENERAL"
    message = posted["message"]
    assert message["ts"] == posted["ts"]
    assert message["bot_id"] == "B0BOT" and message["user"] == "U0BOT"
    assert message["blocks"] == blocks
    assert slack.messages("C0GENERAL")[-1]["text"] == "INC-1"

    async def post(**kwargs: Any) -> str:
        return await error_code(client.chat_postMessage(**kwargs))

    assert await post(channel="C0GENERAL") == "no_text"
    assert await post(channel="C0GENERAL", blocks=[{"text": "no type"}]) == "invalid_blocks"
    assert await post(channel="C0GENERAL", text="x" * 40_001) == "msg_too_long"
    assert await post(channel="C0NOWHERE", text="hi") == "channel_not_found"
    assert await post(channel=slack.create_channel("quiet", members=[]), text="hi") == (
        "not_in_channel"
    )
    archived = (await client.conversations_create(name="old"))["channel"]["id"]
    await client.conversations_archive(channel=archived)
    assert await post(channel=archived, text="hi") == "is_archived"

    dm = await client.chat_postMessage(channel="U0ALICE", text="you are commander")
    assert dm["channel"].startswith("D")
    again = await client.chat_postMessage(channel="U0ALICE", text="still")
    assert again["channel"] == dm["channel"]


async def test_history_window_is_exact(client: AsyncWebClient, slack: SlackEmulator) -> None:
    first, second, third = (
        slack.post_human_message("C0GENERAL", "U0ALICE", text)["ts"]
        for text in ("one", "two", "three")
    )
    slack.post_human_message("C0GENERAL", "U0BOB", "a reply", thread_ts=second)

    async def history(**kwargs: Any) -> list[str]:
        response = await client.conversations_history(channel="C0GENERAL", **kwargs)
        return [message["ts"] for message in response["messages"]]

    assert await history() == [third, second, first]
    assert await history(latest=second, inclusive=True, limit=1) == [second]
    assert await history(latest=second, limit=1) == [first]
    assert await history(oldest=first, latest=third) == [second]
    assert await history(oldest=first, latest=third, inclusive=True) == [third, second, first]
    assert await error_code(client.conversations_history(channel="C0GENERAL", latest="x")) == (
        "invalid_ts_latest"
    )

    page = await client.conversations_history(channel="C0GENERAL", limit=2)
    assert page["has_more"] is True
    cursor = page["response_metadata"]["next_cursor"]
    rest = await client.conversations_history(channel="C0GENERAL", limit=2, cursor=cursor)
    assert [m["ts"] for m in rest["messages"]] == [first]

    quiet = slack.create_channel("quiet", members=["U0ALICE"])
    assert await error_code(client.conversations_history(channel=quiet)) == "not_in_channel"
    code = await error_code(client.conversations_history(channel="C0NOWHERE"))
    assert code == "channel_not_found"


async def test_backdated_human_messages_keep_ts_order(slack: SlackEmulator) -> None:
    old = slack.post_human_message("C0GENERAL", "U0ALICE", "earlier", ts="1700000000.000100")
    new = slack.post_human_message("C0GENERAL", "U0BOB", "now")

    assert old["ts"] == "1700000000.000100"
    assert [m["ts"] for m in slack.messages("C0GENERAL")] == [old["ts"], new["ts"]]
    with pytest.raises(ValueError, match="already has a message"):
        slack.post_human_message("C0GENERAL", "U0ALICE", "dup", ts=old["ts"])


async def test_replies_list_parent_then_replies(
    client: AsyncWebClient, slack: SlackEmulator
) -> None:
    parent = slack.post_human_message("C0GENERAL", "U0ALICE", "checkout is 500ing")["ts"]
    bot_reply = await client.chat_postMessage(channel="C0GENERAL", thread_ts=parent, text="ack")
    human_reply = slack.post_human_message("C0GENERAL", "U0CAROL", "DB failover", thread_ts=parent)

    replies = await client.conversations_replies(channel="C0GENERAL", ts=parent)
    messages = replies["messages"]

    assert [m["ts"] for m in messages] == [parent, bot_reply["ts"], human_reply["ts"]]
    assert messages[0]["reply_count"] == 2
    assert messages[0]["reply_users"] == ["U0BOT", "U0CAROL"]
    assert messages[0]["thread_ts"] == parent
    assert messages[2]["parent_user_id"] == "U0ALICE"
    code = await error_code(client.conversations_replies(channel="C0GENERAL", ts="1.000001"))
    assert code == "thread_not_found"


async def test_permalinks(client: AsyncWebClient, slack: SlackEmulator) -> None:
    parent = slack.post_human_message("C0GENERAL", "U0ALICE", "root")["ts"]
    reply = slack.post_human_message("C0GENERAL", "U0BOB", "reply", thread_ts=parent)["ts"]

    top = await client.chat_getPermalink(channel="C0GENERAL", message_ts=parent)
    threaded = await client.chat_getPermalink(channel="C0GENERAL", message_ts=reply)

    base = "https://sitrep-test.slack.com/archives/C0GENERAL/p"
    assert top["permalink"] == base + parent.replace(".", "")
    assert threaded["permalink"] == (
        f"{base}{reply.replace('.', '')}?thread_ts={parent}&cid=C0GENERAL"
    )
    code = await error_code(client.chat_getPermalink(channel="C0GENERAL", message_ts="1.2"))
    assert code == "message_not_found"


async def test_only_the_bots_own_messages_can_be_updated(
    client: AsyncWebClient, slack: SlackEmulator
) -> None:
    own = await client.chat_postMessage(channel="C0GENERAL", text="status: investigating")
    human = slack.post_human_message("C0GENERAL", "U0ALICE", "mine")

    updated = await client.chat_update(channel="C0GENERAL", ts=own["ts"], text="status: fixed")
    assert updated["message"]["text"] == "status: fixed"
    assert updated["message"]["edited"]["user"] == "U0BOT"
    code = await error_code(client.chat_update(channel="C0GENERAL", ts=human["ts"], text="x"))
    assert code == "cant_update_message"
    code = await error_code(client.chat_update(channel="C0GENERAL", ts="1.000001", text="x"))
    assert code == "message_not_found"
    code = await error_code(client.chat_delete(channel="C0GENERAL", ts=human["ts"]))
    assert code == "cant_delete_message"

    await client.chat_delete(channel="C0GENERAL", ts=own["ts"])
    assert [m["ts"] for m in slack.messages("C0GENERAL")] == [human["ts"]]


async def test_human_edits_and_deletes(slack: SlackEmulator) -> None:
    parent = slack.post_human_message("C0GENERAL", "U0ALICE", "typo")
    reply = slack.post_human_message("C0GENERAL", "U0BOB", "r", thread_ts=parent["ts"])

    edited = slack.edit_message("C0GENERAL", parent["ts"], "fixed")
    assert edited["text"] == "fixed" and edited["edited"]["user"] == "U0ALICE"

    slack.delete_message("C0GENERAL", parent["ts"])
    tombstone = slack.messages("C0GENERAL")[0]
    assert tombstone["subtype"] == "tombstone" and tombstone["reply_count"] == 1
    slack.delete_message("C0GENERAL", reply["ts"])
    assert slack.messages("C0GENERAL") == []


async def test_ephemeral_needs_the_user_in_the_channel(
    client: AsyncWebClient, slack: SlackEmulator
) -> None:
    response = await client.chat_postEphemeral(channel="C0GENERAL", user="U0BOB", text="psst")
    assert response["message_ts"]
    assert slack.ephemerals[-1]["text"] == "psst"

    channel = (await client.conversations_create(name="inc-3"))["channel"]["id"]
    code = await error_code(client.chat_postEphemeral(channel=channel, user="U0BOB", text="x"))
    assert code == "user_not_in_channel"


# -- pins and reactions ----------------------------------------------------------------


async def test_pins(client: AsyncWebClient, slack: SlackEmulator) -> None:
    ts = slack.post_human_message("C0GENERAL", "U0ALICE", "rolled back")["ts"]

    await client.pins_add(channel="C0GENERAL", timestamp=ts)
    assert await error_code(client.pins_add(channel="C0GENERAL", timestamp=ts)) == (
        "already_pinned"
    )
    listed = await client.pins_list(channel="C0GENERAL")
    assert [item["message"]["ts"] for item in listed["items"]] == [ts]
    await client.pins_remove(channel="C0GENERAL", timestamp=ts)
    assert await error_code(client.pins_remove(channel="C0GENERAL", timestamp=ts)) == "no_pin"
    code = await error_code(client.pins_add(channel="C0GENERAL", timestamp="1.000001"))
    assert code == "message_not_found"


async def test_reactions(client: AsyncWebClient, slack: SlackEmulator) -> None:
    ts = slack.post_human_message("C0GENERAL", "U0ALICE", "errors dropping")["ts"]
    slack.add_human_reaction("C0GENERAL", ts, "U0BOB", "pushpin")

    await client.reactions_add(channel="C0GENERAL", timestamp=ts, name="pushpin")
    got = await client.reactions_get(channel="C0GENERAL", timestamp=ts)
    assert got["message"]["reactions"] == [
        {"name": "pushpin", "users": ["U0BOB", "U0BOT"], "count": 2}
    ]

    async def react(method: Any, name: str, timestamp: str = ts) -> str:
        return await error_code(method(channel="C0GENERAL", timestamp=timestamp, name=name))

    assert await react(client.reactions_add, "pushpin") == "already_reacted"
    assert await react(client.reactions_add, "push pin") == "invalid_name"
    assert await react(client.reactions_add, "a:b") == "invalid_name"
    assert await react(client.reactions_add, "eyes", "1.000001") == "message_not_found"
    assert await react(client.reactions_remove, "eyes") == "no_reaction"
    await client.reactions_add(channel="C0GENERAL", timestamp=ts, name="thumbsup::skin-tone-3")

    await client.reactions_remove(channel="C0GENERAL", timestamp=ts, name="pushpin")
    slack.remove_human_reaction("C0GENERAL", ts, "U0BOB", "pushpin")
    assert [r["name"] for r in slack.messages("C0GENERAL")[0]["reactions"]] == [
        "thumbsup::skin-tone-3"
    ]


# -- users and views -------------------------------------------------------------------


async def test_users_info(client: AsyncWebClient, slack: SlackEmulator) -> None:
    bob = (await client.users_info(user="U0BOB"))["user"]

    assert bob["name"] == "bob" and bob["real_name"] == "Bob Example"
    assert bob["profile"]["display_name"] == "bob"
    assert bob["tz"] == "Europe/London" and isinstance(bob["tz_offset"], int)
    assert (await client.users_info(user="U0BOT"))["user"]["is_bot"] is True
    assert await error_code(client.users_info(user="U0NOBODY")) == "user_not_found"

    slack.add_user("U0DAVE", "dave", "Dave Example", tz="America/New_York")
    assert (await client.users_info(user="U0DAVE"))["user"]["tz"] == "America/New_York"


async def test_views_open_and_update(client: AsyncWebClient, slack: SlackEmulator) -> None:
    view = {
        "type": "modal",
        "callback_id": "incident_start",
        "title": {"type": "plain_text", "text": "Start an incident"},
        "blocks": [
            {
                "type": "input",
                "block_id": "title",
                "element": {"type": "plain_text_input"},
                "label": {"type": "plain_text", "text": "Title"},
            }
        ],
    }
    opened = (await client.views_open(trigger_id="1.2.abc", view=view))["view"]

    assert opened["id"].startswith("V")
    assert opened["state"] == {"values": {}}
    assert opened["callback_id"] == "incident_start"
    assert slack.views[opened["id"]]["blocks"] == view["blocks"]
    assert await error_code(client.views_open(trigger_id="", view=view)) == "invalid_arguments"
    assert await error_code(client.views_open(trigger_id="1.2.abc", view={"type": "modal"})) == (
        "invalid_arguments"
    )

    changed = {**view, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "ok"}}]}
    updated = await client.views_update(view_id=opened["id"], view=changed, hash=opened["hash"])
    assert updated["view"]["blocks"] == changed["blocks"]
    stale = client.views_update(view_id=opened["id"], view=changed, hash=opened["hash"])
    assert await error_code(stale) == "hash_conflict"
    assert await error_code(client.views_update(view_id="V0NOPE", view=changed)) == "not_found"


# -- files and canvases ----------------------------------------------------------------


async def test_files_upload_v2_end_to_end(client: AsyncWebClient, slack: SlackEmulator) -> None:
    markdown = "# INC-1 retrospective\n\nWhat went well\n"
    uploaded = await client.files_upload_v2(
        channel="C0GENERAL",
        content=markdown,
        filename="retro.md",
        title="INC-1 retrospective",
        initial_comment="Here is the retrospective",
    )

    file = uploaded["file"]
    assert file["id"].startswith("F")
    assert file["title"] == "INC-1 retrospective"
    assert slack.file_content(file["id"]) == markdown.encode()
    posted = slack.messages("C0GENERAL")[-1]
    assert posted["text"] == "Here is the retrospective"
    assert posted["files"][0]["id"] == file["id"]
    assert posted["files"][0]["name"] == "retro.md"
    assert posted["files"][0]["permalink"].startswith("https://sitrep-test.slack.com/files/")
    assert [call.method for call in slack.calls] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    info = await client.files_info(file=file["id"])
    assert info["file"]["channels"] == ["C0GENERAL"]


@pytest.mark.filterwarnings("ignore:client.files_upload\\(\\) may cause")
async def test_completing_an_upload_that_never_happened(client: AsyncWebClient) -> None:
    pending = await client.files_getUploadURLExternal(filename="retro.md", length=3)

    completion = client.files_completeUploadExternal(
        files=[{"id": pending["file_id"], "title": "Retro"}], channel_id="C0GENERAL"
    )
    assert await error_code(completion) == "file_not_found"
    assert await error_code(client.files_upload(content="x", channels="C0GENERAL")) == (
        "method_deprecated"
    )


async def test_canvases_when_enabled(client: AsyncWebClient, slack: SlackEmulator) -> None:
    channel = (await client.conversations_create(name="inc-4"))["channel"]["id"]
    content = {"type": "markdown", "markdown": "# INC-4"}

    canvas_id = (
        await client.conversations_canvases_create(channel_id=channel, document_content=content)
    )["canvas_id"]
    assert slack.canvases[canvas_id].markdown == "# INC-4"
    assert slack.canvases[canvas_id].channel_id == channel
    again = client.conversations_canvases_create(channel_id=channel, document_content=content)
    assert await error_code(again) == "channel_canvas_already_exists"
    info = await client.conversations_info(channel=channel)
    assert info["channel"]["properties"]["canvas"]["file_id"] == canvas_id

    new = {"type": "markdown", "markdown": "# INC-4 resolved"}
    await client.canvases_edit(
        canvas_id=canvas_id, changes=[{"operation": "replace", "document_content": new}]
    )
    assert slack.canvases[canvas_id].markdown == "# INC-4 resolved"
    missing = client.canvases_edit(
        canvas_id="F0NOPE", changes=[{"operation": "replace", "document_content": new}]
    )
    assert await error_code(missing) == "canvas_not_found"

    standalone = await client.canvases_create(title="Retro", document_content=content)
    assert slack.canvases[standalone["canvas_id"]].title == "Retro"


async def test_canvases_when_disabled(client: AsyncWebClient, slack: SlackEmulator) -> None:
    slack.canvases_enabled = False
    content = {"type": "markdown", "markdown": "# INC-5"}

    assert await error_code(client.canvases_create(title="x", document_content=content)) == (
        "canvas_disabled_user_team"
    )
    channel_canvas = client.conversations_canvases_create(
        channel_id="C0GENERAL", document_content=content
    )
    assert await error_code(channel_canvas) == "canvas_disabled_user_team"
    assert slack.canvases == {}


# -- fault injection -------------------------------------------------------------------


async def test_fail_applies_to_the_next_calls_only(
    client: AsyncWebClient, slack: SlackEmulator
) -> None:
    slack.fail("conversations.create", "name_taken", times=2)

    assert await error_code(client.conversations_create(name="inc-6")) == "name_taken"
    assert await error_code(client.conversations_create(name="inc-6")) == "name_taken"
    assert (await client.conversations_create(name="inc-6"))["ok"] is True
    assert [(c.ok, c.error) for c in slack.calls_to("conversations.create")] == [
        (False, "name_taken"),
        (False, "name_taken"),
        (True, None),
    ]
    with pytest.raises(ValueError, match="does not implement"):
        slack.fail("chat.postMesage", "x")


async def test_rate_limit_is_a_429_with_retry_after(
    client: AsyncWebClient, slack: SlackEmulator
) -> None:
    slack.rate_limit("chat.postMessage", retry_after=7)

    error = await slack_error(client.chat_postMessage(channel="C0GENERAL", text="hi"))

    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "7"
    assert error.response["error"] == "ratelimited"
    assert (await client.chat_postMessage(channel="C0GENERAL", text="hi"))["ok"] is True
    assert [c.http_status for c in slack.calls] == [429, 200]


async def test_sdk_rate_limit_retry_handler_gets_through(slack: SlackEmulator,
                                                         retry_waits: RetryWaits) -> None:
    slack.rate_limit("chat.postMessage", retry_after=0)
    retrying = AsyncWebClient(
        token=BOT_TOKEN,
        base_url=slack.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )

    assert (await retrying.chat_postMessage(channel="C0GENERAL", text="hi"))["ok"] is True
    assert [c.http_status for c in slack.calls_to("chat.postMessage")] == [429, 200]


async def test_server_error(client: AsyncWebClient, slack: SlackEmulator) -> None:
    slack.server_error("conversations.history", status=503)

    error = await slack_error(client.conversations_history(channel="C0GENERAL"))

    assert error.response.status_code == 503
    assert slack.calls[-1].http_status == 503 and slack.calls[-1].ok is False
    assert (await client.conversations_history(channel="C0GENERAL"))["ok"] is True


async def test_a_dropped_connection_comes_after_the_work_is_done(
        client: AsyncWebClient, slack: SlackEmulator) -> None:
    slack.drop_connection("conversations.create")

    with pytest.raises(aiohttp.ServerDisconnectedError):
        await client.conversations_create(name="inc-1-db-down")

    made = slack.channel_by_name("inc-1-db-down")
    assert made is not None and not made.is_archived
    error = await slack_error(client.conversations_create(name="inc-1-db-down"))
    assert error.response["error"] == "name_taken"


async def test_a_slow_answer_times_out_in_the_client_after_the_work_is_done(
        slack: SlackEmulator) -> None:
    impatient = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url, retry_handlers=[],
                               timeout=0.2)  # type: ignore[arg-type]
    slack.slow("conversations.create", seconds=2)

    with pytest.raises(TimeoutError):
        await impatient.conversations_create(name="inc-2-db-down")

    assert slack.channel_by_name("inc-2-db-down") is not None
    # Only the next call was slow.
    assert (await impatient.conversations_create(name="inc-3-db-down"))["ok"] is True


async def test_conversations_list_finds_a_channel_by_name_across_pages(
        client: AsyncWebClient, slack: SlackEmulator) -> None:
    for n in range(5):
        slack.create_channel(f"room-{n}")
    archived = slack.create_channel("room-old")
    await client.conversations_archive(channel=archived)
    names: list[str] = []
    cursor = None
    while True:
        page = await client.conversations_list(limit=2, cursor=cursor, exclude_archived=True)
        names += [channel["name"] for channel in page["channels"]]
        assert all(channel["creator"] for channel in page["channels"])
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert "room-4" in names and "room-old" not in names
    assert len(names) == len(set(names))


async def test_users_conversations_lists_another_persons_private_channels_shared_with_the_bot(
        client: AsyncWebClient, slack: SlackEmulator) -> None:
    """Slack's rule: another person's private channels are listed only where the caller is
    a member too (users.conversations, "Usage info")."""
    shared = [slack.create_channel(f"inc-{n}-leak", is_private=True,
                                   members=["U0BOT", "U0ALICE"]) for n in range(3)]
    slack.create_channel("alice-and-bob", is_private=True, members=["U0ALICE", "U0BOB"])
    slack.create_channel("bob-only", is_private=True, members=["U0BOT", "U0BOB"])
    public = slack.create_channel("ops", members=["U0BOT", "U0ALICE"])
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await client.users_conversations(user="U0ALICE", types="private_channel",
                                                limit=2, cursor=cursor)
        found += page["channels"]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert sorted(channel["id"] for channel in found) == sorted(shared)
    assert all("is_member" not in channel and "num_members" not in channel
               for channel in found)
    publics = await client.users_conversations(user="U0ALICE")  # public_channel by default
    assert public in {channel["id"] for channel in publics["channels"]}
    assert await error_code(client.users_conversations(user="U0NOBODY")) == "user_not_found"


async def test_wait_for_call(client: AsyncWebClient, slack: SlackEmulator) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        await client.chat_postMessage(channel="C0GENERAL", text="late")

    task = asyncio.create_task(later())
    calls = await slack.wait_for_call("chat.postMessage", timeout=2)
    await task

    assert calls[0].args["text"] == "late"
    with pytest.raises(TimeoutError, match=r"chat.postMessage x1"):
        await slack.wait_for_call("chat.postMessage", count=2, timeout=0.05)
    slack.reset_calls()
    assert slack.calls == []


# -- response_url and Socket Mode ------------------------------------------------------


async def test_response_url_posts_are_recorded(slack: SlackEmulator) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(slack.response_url("cmd-1"), json={"text": "INC-1 opened"}) as response,
    ):
        assert response.status == 200
        assert await response.text() == "ok"

    recorded = await slack.wait_for_response("cmd-1", timeout=1)
    assert recorded.key == "cmd-1"
    assert recorded.body == {"text": "INC-1 opened"}
    assert slack.calls == []


async def test_socket_mode_with_a_real_bolt_app(slack: SlackEmulator) -> None:
    app = AsyncApp(
        client=AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url),
        signing_secret="x",
        request_verification_enabled=False,
    )

    @app.command("/incident")
    async def incident(ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack(text=f"Opening an incident: {command['text']}")

    handler = AsyncSocketModeHandler(app, APP_TOKEN)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    try:
        await slack.wait_for_socket_connection(timeout=2)
        command = {
            "token": "legacy",
            "team_id": "T0001",
            "team_domain": "sitrep-test",
            "channel_id": "C0GENERAL",
            "channel_name": "general",
            "user_id": "U0ALICE",
            "user_name": "alice",
            "command": "/incident",
            "text": "start checkout 500s",
            "api_app_id": "A0SITREP",
            "response_url": slack.response_url("cmd-1"),
            "trigger_id": "1.2.abc",
        }
        envelope_id = await slack.socket_mode_send(
            "slash_commands", command, accepts_response_payload=True
        )
        payload = await slack.wait_for_socket_ack(envelope_id, timeout=3)

        # Slack recycles connections: the SDK must fetch a fresh URL and carry on.
        await slack.socket_mode_disconnect()
        await slack.wait_for_socket_connection(timeout=3, count=2)
        second = await slack.socket_mode_send(
            "slash_commands", {**command, "text": "again"}, accepts_response_payload=True
        )
        second_payload = await slack.wait_for_socket_ack(second, timeout=3)
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]

    assert payload is not None
    assert payload["text"] == "Opening an incident: start checkout 500s"
    assert second_payload == {"text": "Opening an incident: again"}
    connection_calls = slack.calls_to("apps.connections.open")
    assert connection_calls and connection_calls[0].token == APP_TOKEN

"""Everything Sitrep asks of Slack's Web API.

Retries for rate limits, connection errors and 5xx are the client's retry handlers
(bot/app.py); what still fails leaves here as `SlackFailure`, which carries the method and
Slack's error code (the person's sentence for it is `wording.slack_failure`)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.failures import SlackFailure, as_failure, failure_from

log = logging.getLogger(__name__)

# Slack's limit on a channel topic.
MAX_TOPIC_LENGTH = 250

@dataclass(frozen=True)
class Channel:
    id: str
    name: str


class SlackGateway:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._names: dict[str, str] = {}
        self._workspace_url: str | None = None

    async def create_channel(self, names: Iterable[str]) -> Channel:
        """The first of `names` Slack accepts; `name_taken` moves on to the next one."""
        for name in names:
            try:
                response = await self.client.conversations_create(name=name, is_private=False)
            except SlackApiError as exc:
                if exc.response.get("error") == "name_taken":
                    log.info("channel name %s is taken; trying another", name)
                    continue
                raise failure_from("conversations.create", exc) from exc
            channel = response["channel"]
            return Channel(id=channel["id"], name=channel["name"])
        raise SlackFailure("conversations.create", "name_taken")

    async def archive_channel(self, channel_id: str) -> None:
        with as_failure("conversations.archive"):
            await self.client.conversations_archive(channel=channel_id)

    async def invite(self, channel_id: str, user_ids: Iterable[str]) -> None:
        """Invite people who are not yet members; the bot and existing members are skipped,
        so inviting is always safe to repeat."""
        for user_id in dict.fromkeys(user_ids):
            try:
                await self.client.conversations_invite(channel=channel_id, users=user_id)
            except SlackApiError as exc:
                if exc.response.get("error") in {"already_in_channel", "cant_invite_self"}:
                    continue
                raise failure_from("conversations.invite", exc) from exc

    async def set_topic(self, channel_id: str, topic: str) -> None:
        """Topics are plain text to Slack (no formatting, no mentions); longer than Slack's
        limit is cut rather than refused."""
        if len(topic) > MAX_TOPIC_LENGTH:
            topic = topic[:MAX_TOPIC_LENGTH - 1] + "…"
        with as_failure("conversations.setTopic"):
            await self.client.conversations_setTopic(channel=channel_id, topic=topic)

    async def post(self, channel_id: str, text: str, *,
                   blocks: list[dict[str, Any]] | None = None,
                   thread_ts: str | None = None) -> str:
        arguments: dict[str, Any] = {"channel": channel_id, "text": text,
                                     "unfurl_links": False, "unfurl_media": False}
        if blocks is not None:
            arguments["blocks"] = blocks
        if thread_ts is not None:
            arguments["thread_ts"] = thread_ts
        with as_failure("chat.postMessage"):
            response = await self.client.chat_postMessage(**arguments)
        return str(response["ts"])

    async def update(self, channel_id: str, ts: str, text: str,
                     blocks: list[dict[str, Any]]) -> None:
        with as_failure("chat.update"):
            await self.client.chat_update(channel=channel_id, ts=ts, text=text, blocks=blocks)

    async def pin(self, channel_id: str, ts: str) -> None:
        try:
            await self.client.pins_add(channel=channel_id, timestamp=ts)
        except SlackApiError as exc:
            if exc.response.get("error") != "already_pinned":
                raise failure_from("pins.add", exc) from exc

    async def permalink(self, channel_id: str, ts: str) -> str:
        with as_failure("chat.getPermalink"):
            response = await self.client.chat_getPermalink(channel=channel_id, message_ts=ts)
        return str(response["permalink"])

    async def open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        with as_failure("views.open"):
            await self.client.views_open(trigger_id=trigger_id, view=view)

    async def post_ephemeral(self, channel_id: str, user_id: str, text: str) -> None:
        with as_failure("chat.postEphemeral"):
            await self.client.chat_postEphemeral(channel=channel_id, user=user_id, text=text)

    async def tell_user(self, user_id: str, text: str) -> None:
        """A direct message from the bot; works wherever the person started from."""
        await self.post(user_id, text)

    async def display_name(self, user_id: str) -> str | None:
        """What Slack shows for a person; cached, since names rarely change mid-incident and
        users.info is rate-limited. None when Slack won't say (a change never fails on it)."""
        cached = self._names.get(user_id)
        if cached is not None:
            return cached
        try:
            response = await self.client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info %s failed: %s", user_id, exc.response.get("error"))
            return None
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        name = str(profile.get("display_name") or profile.get("real_name")
                   or user.get("real_name") or user.get("name") or user_id)
        self._names[user_id] = name
        return name

    async def fetch_message(self, channel_id: str, ts: str) -> dict[str, Any] | None:
        """A message as Slack has it now, top-level or thread reply; None if it is gone.

        History answers for top-level messages (`latest`=ts, inclusive, one message); a
        thread reply is not in history, so replies is asked next."""
        with as_failure("conversations.history"):
            history = await self.client.conversations_history(
                channel=channel_id, latest=ts, inclusive=True, limit=1)
        for message in history.get("messages") or []:
            if message.get("ts") == ts:
                return dict(message)
        try:
            replies = await self.client.conversations_replies(
                channel=channel_id, ts=ts, oldest=ts, latest=ts, inclusive=True)
        except SlackApiError as exc:
            if exc.response.get("error") in {"thread_not_found", "message_not_found"}:
                return None
            raise failure_from("conversations.replies", exc) from exc
        for message in replies.get("messages") or []:
            if message.get("ts") == ts:
                return dict(message)
        return None

    async def react(self, channel_id: str, ts: str, emoji: str) -> None:
        try:
            await self.client.reactions_add(channel=channel_id, timestamp=ts, name=emoji)
        except SlackApiError as exc:
            if exc.response.get("error") != "already_reacted":
                raise failure_from("reactions.add", exc) from exc

    async def unreact(self, channel_id: str, ts: str, emoji: str) -> None:
        try:
            await self.client.reactions_remove(channel=channel_id, timestamp=ts, name=emoji)
        except SlackApiError as exc:
            if exc.response.get("error") not in {"no_reaction", "message_not_found"}:
                raise failure_from("reactions.remove", exc) from exc

    async def workspace_url(self) -> str:
        """The workspace's address (https://<domain>.slack.com/), for links Slack's API
        does not hand out, such as a canvas's."""
        if self._workspace_url is None:
            with as_failure("auth.test"):
                response = await self.client.auth_test()
            self._workspace_url = str(response.get("url") or "https://slack.com/")
        return self._workspace_url

    async def create_channel_canvas(self, channel_id: str, title: str, markdown: str) -> str:
        with as_failure("conversations.canvases.create"):
            response = await self.client.conversations_canvases_create(
                channel_id=channel_id, title=title,
                document_content={"type": "markdown", "markdown": markdown})
        return str(response["canvas_id"])

    async def create_canvas(self, channel_id: str, title: str, markdown: str) -> str:
        with as_failure("canvases.create"):
            response = await self.client.canvases_create(
                title=title, channel_id=channel_id,
                document_content={"type": "markdown", "markdown": markdown})
        return str(response["canvas_id"])

    async def upload_markdown(self, channel_id: str, *, filename: str, title: str,
                              content: str, comment: str) -> tuple[str, str | None]:
        """Share a Markdown file in the channel with a comment; returns its id and link.

        slack-sdk's files_upload_v2 runs Slack's external upload flow
        (files.getUploadURLExternal, the upload, files.completeUploadExternal)."""
        with as_failure("files.completeUploadExternal"):
            response = await self.client.files_upload_v2(
                channel=channel_id, content=content, filename=filename, title=title,
                initial_comment=comment)
        file = (response.get("files") or [response.get("file") or {}])[0]
        return str(file.get("id")), file.get("permalink")

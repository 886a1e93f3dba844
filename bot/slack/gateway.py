"""Everything Sitrep asks of Slack's Web API.

Retries for rate limits, connection errors and 5xx are the client's retry handlers
(bot/app.py); what still fails leaves here as `SlackFailure`, which carries the method and
Slack's error code (the person's sentence for it is `wording.slack_failure`)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from async_lru import alru_cache
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.failures import SlackFailure, as_failure, failure_from

log = logging.getLogger(__name__)

# Slack's limit on a channel topic.
MAX_TOPIC_LENGTH = 250
# Display names change rarely; an hour-old one in a timeline entry is fine, and users.info is
# rate-limited (about 100 calls a minute).
NAME_TTL_S = 3600.0
NAMES_KEPT = 10_000
# conversations.list allows up to 1,000 a page; fewer pages, fewer calls of a Tier 2 method.
CHANNELS_PER_PAGE = 1000

@dataclass(frozen=True)
class Channel:
    id: str
    name: str


class _NameUnknown(Exception):
    """users.info would not say; not cached, so the next entry asks again."""


class SlackGateway:
    def __init__(self, client: AsyncWebClient, *,
                 cosmetic_client: AsyncWebClient | None = None) -> None:
        self.client = client
        # For calls nobody waits on (the timeline's confirming reaction): no retries on a
        # rate limit, so a burst never queues work behind Slack's Retry-After.
        self.cosmetic_client = cosmetic_client or client
        self._cosmetic_quiet_until = 0.0
        self._workspace_url: str | None = None
        self._workspace_url_lock = asyncio.Lock()
        # One users.info per person at a time and per hour, however many entries ask.
        self._name_of = alru_cache(maxsize=NAMES_KEPT, ttl=NAME_TTL_S)(self._ask_name)

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

    async def find_channel(self, names: Iterable[str]) -> Channel | None:
        """A public channel, archived or not, with one of `names`: whether a name is
        carried already (conversations.list, read page by page)."""
        wanted = set(names)
        cursor: str | None = None
        while True:
            with as_failure("conversations.list"):
                response = await self.client.conversations_list(
                    types="public_channel", exclude_archived=False, limit=CHANNELS_PER_PAGE,
                    cursor=cursor)
            for channel in response.get("channels") or []:
                if channel.get("name") in wanted:
                    return Channel(id=str(channel["id"]), name=str(channel["name"]))
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                return None

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

    async def permalink(self, channel_id: str, ts: str, *, thread_ts: str | None = None) -> str:
        """A link to a message, in the archive-link form chat.getPermalink documents, built
        from the workspace's address (asked once) rather than asked for each message."""
        try:
            base = await self.workspace_url()
        except SlackFailure:
            with as_failure("chat.getPermalink"):
                response = await self.client.chat_getPermalink(channel=channel_id,
                                                               message_ts=ts)
            return str(response["permalink"])
        link = f"{base}archives/{channel_id}/p{ts.replace('.', '')}"
        if thread_ts is not None and thread_ts != ts:
            link += f"?thread_ts={thread_ts}&cid={channel_id}"
        return link

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
        """What Slack shows for a person. None when Slack won't say (a change never fails
        on it)."""
        try:
            return await self._name_of(user_id)
        except _NameUnknown:
            return None

    async def _ask_name(self, user_id: str) -> str:
        try:
            response = await self.client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info %s failed: %s", user_id, exc.response.get("error"))
            raise _NameUnknown(user_id) from exc
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        return str(profile.get("display_name") or profile.get("real_name")
                   or user.get("real_name") or user.get("name") or user_id)

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

    async def react(self, channel_id: str, ts: str, emoji: str, *,
                    cosmetic: bool = False) -> None:
        """Add the bot's reaction. `cosmetic`: skip it while Slack is rate-limiting us,
        rather than wait."""
        client = self._client_for(cosmetic, "reactions.add")
        try:
            await client.reactions_add(channel=channel_id, timestamp=ts, name=emoji)
        except SlackApiError as exc:
            if exc.response.get("error") != "already_reacted":
                raise self._failure("reactions.add", exc, cosmetic) from exc

    async def unreact(self, channel_id: str, ts: str, emoji: str, *,
                      cosmetic: bool = False) -> None:
        client = self._client_for(cosmetic, "reactions.remove")
        try:
            await client.reactions_remove(channel=channel_id, timestamp=ts, name=emoji)
        except SlackApiError as exc:
            if exc.response.get("error") not in {"no_reaction", "message_not_found"}:
                raise self._failure("reactions.remove", exc, cosmetic) from exc

    def _client_for(self, cosmetic: bool, method: str) -> AsyncWebClient:
        if not cosmetic:
            return self.client
        if time.monotonic() < self._cosmetic_quiet_until:
            raise SlackFailure(method, "ratelimited")
        return self.cosmetic_client

    def _failure(self, method: str, exc: SlackApiError, cosmetic: bool) -> SlackFailure:
        failure = failure_from(method, exc)
        if cosmetic and failure.error == "ratelimited":
            self._cosmetic_quiet_until = time.monotonic() + _retry_after(exc)
        return failure

    async def workspace_url(self) -> str:
        """The workspace's address (https://<domain>.slack.com/), for links Slack's API
        does not hand out, such as a canvas's."""
        if self._workspace_url is not None:
            return self._workspace_url
        async with self._workspace_url_lock:
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


def _retry_after(exc: SlackApiError) -> float:
    """Slack's Retry-After in seconds (1 if it said nothing usable)."""
    for name, value in (getattr(exc.response, "headers", None) or {}).items():
        if str(name).lower() == "retry-after":
            first = value[0] if isinstance(value, list) and value else value
            return float(first) if str(first).isdigit() else 1.0
    return 1.0

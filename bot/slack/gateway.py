"""Everything Sitrep asks of Slack's Web API.

Retries for rate limits, connection errors and 5xx are the client's retry handlers
(bot/app.py); what still fails leaves here as `SlackFailure`, which carries the method and
Slack's error code (the person's sentence for it is `wording.slack_failure`)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from async_lru import alru_cache
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.failures import (
    CONNECTION_LOST,
    RATELIMITED,
    MembershipUnknown,
    SlackFailure,
    as_failure,
)

log = logging.getLogger(__name__)

# Slack's limit on a channel topic.
MAX_TOPIC_LENGTH = 250
# Display names change rarely; an hour-old one in a timeline entry is fine, and users.info is
# rate-limited (about 100 calls a minute).
NAME_TTL_S = 3600.0
NAMES_KEPT = 10_000
# Tries of one channel name whose create went unanswered, each after looking it up.
CREATE_ATTEMPTS = 2
# Who is in a channel, asked before every change to an incident. The list is kept briefly:
# someone who left keeps their say for at most this long, while a burst of changes costs
# one conversations.members (Slack allows about 100 a minute). A "no" from a kept list is
# asked again, since the person may have just joined.
MEMBERS_TTL_S = 60.0
MEMBER_LISTS_KEPT = 1_000
MEMBERS_PAGE = 1_000
# users.conversations allows up to 999 a page.
PRIVATE_CHANNELS_PAGE = 999
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
        self._bot_user_id: str | None = None
        self._team_id: str | None = None
        self._workspace_url_lock = asyncio.Lock()
        # One users.info per person at a time and per hour, however many entries ask.
        self._name_of = alru_cache(maxsize=NAMES_KEPT, ttl=NAME_TTL_S)(self._ask_name)
        # One conversations.members per channel at a time, however many changes ask.
        self._members_of = alru_cache(maxsize=MEMBER_LISTS_KEPT,
                                      ttl=MEMBERS_TTL_S)(self._ask_members)
        # One users.conversations per person at a time and per minute, however many
        # private incidents a page or a count must check.
        self._private_channels_of = alru_cache(
            maxsize=MEMBER_LISTS_KEPT, ttl=MEMBERS_TTL_S)(self._ask_private_channels)

    async def create_channel(self, names: Iterable[str], *, private: bool = False) -> Channel:
        """The first of `names` Slack accepts; `name_taken` moves on to the next one.

        A create whose answer never came (a timeout, a dropped connection, a 5xx) may have
        made the channel all the same, so the client never repeats one blindly
        (`bot/app.py`): the name is looked up first, and a channel of that name the bot
        made, still open, is the one it asked for. What still fails leaves here with
        `outcome_unknown` set when Slack may have made the channel."""
        for name in names:
            unsure = False
            for attempt in range(CREATE_ATTEMPTS):
                try:
                    with as_failure("conversations.create", expected={"name_taken"}):
                        response = await self.client.conversations_create(
                            name=name, is_private=private)
                except SlackFailure as failure:
                    if failure.error == "name_taken" and not unsure:
                        log.info("channel name %s is taken; trying another", name)
                        break
                    if failure.error != "name_taken" and not failure.outcome_unknown:
                        raise
                    made = await self._made_after_all(name, failure, unsure=unsure)
                    if made is not None:
                        return made
                    if failure.error == "name_taken":
                        break
                    unsure = True
                    if attempt + 1 == CREATE_ATTEMPTS:
                        raise
                    continue
                channel = response["channel"]
                return Channel(id=channel["id"], name=channel["name"])
        raise SlackFailure("conversations.create", "name_taken")

    async def is_private(self, channel_id: str) -> bool:
        """Whether the channel is private now (it may have been converted since)."""
        with as_failure("conversations.info"):
            response = await self.client.conversations_info(channel=channel_id)
        return bool((response.get("channel") or {}).get("is_private"))

    async def _made_after_all(self, name: str, failure: SlackFailure, *,
                              unsure: bool) -> Channel | None:
        try:
            made = await self.own_channel({name})
        except SlackFailure as unlisted:
            # Still not knowing whether the channel was made: say so.
            if failure.outcome_unknown:
                raise failure from unlisted
            if unsure:
                raise SlackFailure("conversations.create", CONNECTION_LOST) from unlisted
            raise
        if made is not None:
            log.warning("channel %s was made by a create whose answer was lost; using it",
                        name)
        return made

    async def own_channel(self, names: Collection[str]) -> Channel | None:
        """An open channel the bot made with one of `names`, else None. Slack has no lookup
        by name: the workspace's channels (and the private ones the bot is in) are listed,
        a page at a time."""
        me = await self.bot_user_id()
        cursor: str | None = None
        while True:
            with as_failure("conversations.list"):
                response = await self.client.conversations_list(
                    types="public_channel,private_channel", exclude_archived=True,
                    limit=CHANNELS_PER_PAGE, cursor=cursor)
            for channel in response.get("channels") or []:
                if channel.get("name") in names and channel.get("creator") == me and \
                        not channel.get("is_archived"):
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
        fine = {"already_in_channel", "cant_invite_self"}
        for user_id in dict.fromkeys(user_ids):
            try:
                with as_failure("conversations.invite", expected=fine):
                    await self.client.conversations_invite(channel=channel_id, users=user_id)
            except SlackFailure as failure:
                if failure.error not in fine:
                    raise
            finally:
                # Whoever the bot invites is a member from now on (on the dashboard too),
                # not once the kept list runs out.
                self._members_of.cache_invalidate(channel_id)
                self._private_channels_of.cache_invalidate(user_id)

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
            with as_failure("pins.add", expected={"already_pinned"}):
                await self.client.pins_add(channel=channel_id, timestamp=ts)
        except SlackFailure as failure:
            if failure.error != "already_pinned":
                raise

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

    async def direct_message(self, user_id: str, text: str, *,
                             blocks: list[dict[str, Any]] | None = None) -> str:
        """A message in the bot's direct conversation with a person, opened first as Slack
        asks (conversations.open, scope im:write); returns the conversation's id."""
        with as_failure("conversations.open"):
            response = await self.client.conversations_open(users=user_id)
        channel_id = str(response["channel"]["id"])
        await self.post(channel_id, text, blocks=blocks)
        return channel_id

    async def display_name(self, user_id: str) -> str | None:
        """What Slack shows for a person. None when Slack won't say (a change never fails
        on it)."""
        try:
            return await self._name_of(user_id)
        except _NameUnknown:
            return None

    async def _ask_name(self, user_id: str) -> str:
        try:
            with as_failure("users.info"):
                response = await self.client.users_info(user=user_id)
        except SlackFailure as failure:
            raise _NameUnknown(user_id) from failure
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        return str(profile.get("display_name") or profile.get("real_name")
                   or user.get("real_name") or user.get("name") or user_id)

    async def is_member(self, channel_id: str, user_id: str, *,
                        recheck_no: bool = True) -> bool:
        """Whether the person is in the channel, as Slack says now (or up to MEMBERS_TTL_S
        ago, for a yes). Raises `MembershipUnknown` when Slack won't say. Without
        `recheck_no` a kept "no" stands too (for reading, where someone who just joined can
        wait a minute, while each look must not cost a call per channel)."""
        try:
            kept = self._members_of.cache_contains(channel_id)
            if user_id in await self._members_of(channel_id):
                return True
            if not kept or not recheck_no:
                return False
            self._members_of.cache_invalidate(channel_id)
            return user_id in await self._members_of(channel_id)
        except SlackFailure as failure:
            raise MembershipUnknown(failure, channel_id) from failure

    async def private_channels_shared_with(self, user_id: str) -> frozenset[str]:
        """The private channels both the bot and the person are in (as Slack said up to
        MEMBERS_TTL_S ago, or since the bot last invited them): one call of a Tier 3 method
        for all of a person's private incidents, where asking each channel's members would
        spend Slack's 100 a minute on a long history. Raises `SlackFailure` when Slack
        won't say."""
        return await self._private_channels_of(user_id)

    async def _ask_private_channels(self, user_id: str) -> frozenset[str]:
        # Slack lists a private channel of another person only when the caller (the bot)
        # is in it too: exactly the private incident channels the person shares with it.
        ids: set[str] = set()
        cursor: str | None = None
        while True:
            with as_failure("users.conversations"):
                response = await self.client.users_conversations(
                    user=user_id, types="private_channel", limit=PRIVATE_CHANNELS_PAGE,
                    cursor=cursor)
            ids.update(str(channel["id"]) for channel in response.get("channels") or [])
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                return frozenset(ids)

    async def _ask_members(self, channel_id: str) -> frozenset[str]:
        ids: set[str] = set()
        cursor: str | None = None
        while True:
            with as_failure("conversations.members"):
                response = await self.client.conversations_members(
                    channel=channel_id, limit=MEMBERS_PAGE, cursor=cursor)
            ids.update(str(member) for member in response.get("members") or [])
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                return frozenset(ids)

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
        gone = {"thread_not_found", "message_not_found"}
        try:
            with as_failure("conversations.replies", expected=gone):
                replies = await self.client.conversations_replies(
                    channel=channel_id, ts=ts, oldest=ts, latest=ts, inclusive=True)
        except SlackFailure as failure:
            if failure.error in gone:
                return None
            raise
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
            with self._as_failure("reactions.add", cosmetic, expected={"already_reacted"}):
                await client.reactions_add(channel=channel_id, timestamp=ts, name=emoji)
        except SlackFailure as failure:
            if failure.error != "already_reacted":
                raise

    async def unreact(self, channel_id: str, ts: str, emoji: str, *,
                      cosmetic: bool = False) -> None:
        client = self._client_for(cosmetic, "reactions.remove")
        fine = {"no_reaction", "message_not_found"}
        try:
            with self._as_failure("reactions.remove", cosmetic, expected=fine):
                await client.reactions_remove(channel=channel_id, timestamp=ts, name=emoji)
        except SlackFailure as failure:
            if failure.error not in fine:
                raise

    def _client_for(self, cosmetic: bool, method: str) -> AsyncWebClient:
        if not cosmetic:
            return self.client
        if time.monotonic() < self._cosmetic_quiet_until:
            raise SlackFailure(method, RATELIMITED)
        return self.cosmetic_client

    @contextmanager
    def _as_failure(self, method: str, cosmetic: bool, *,
                    expected: Collection[str]) -> Iterator[None]:
        try:
            with as_failure(method, expected=expected):
                yield
        except SlackFailure as failure:
            cause = failure.__cause__
            if cosmetic and failure.error == RATELIMITED and isinstance(cause, SlackApiError):
                self._cosmetic_quiet_until = time.monotonic() + _retry_after(cause)
            raise

    async def workspace_url(self) -> str:
        """The workspace's address (https://<domain>.slack.com/), for links Slack's API
        does not hand out, such as a canvas's."""
        if self._workspace_url is None:
            await self._who_am_i()
        assert self._workspace_url is not None
        return self._workspace_url

    async def bot_user_id(self) -> str:
        if self._bot_user_id is None:
            await self._who_am_i()
        return self._bot_user_id or ""

    async def team_id(self) -> str:
        """The workspace the bot token belongs to: the one whose people may sign in to
        the dashboard, and where a page opens its incident."""
        if self._team_id is None:
            await self._who_am_i()
        return self._team_id or ""

    async def user_by_email(self, email: str) -> str | None:
        """The Slack user with this email (users.lookupByEmail), or None when there is
        none: the page's on-call person may not be in Slack under that address."""
        try:
            with as_failure("users.lookupByEmail", expected={"users_not_found"}):
                response = await self.client.users_lookupByEmail(email=email)
        except SlackFailure as failure:
            if failure.error == "users_not_found":
                return None
            raise
        user = response.get("user") or {}
        if user.get("deleted") or user.get("is_bot"):
            return None
        return str(user.get("id") or "") or None

    async def _who_am_i(self) -> None:
        async with self._workspace_url_lock:
            if self._workspace_url is None:
                with as_failure("auth.test"):
                    response = await self.client.auth_test()
                self._bot_user_id = str(response.get("user_id") or "")
                self._team_id = str(response.get("team_id") or "")
                self._workspace_url = str(response.get("url") or "https://slack.com/")

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


    async def open_direct_message(self, user_id: str) -> str:
        """The bot's direct-message channel with a person (opened if it was not)."""
        with as_failure("conversations.open"):
            response = await self.client.conversations_open(users=[user_id])
        return str(response["channel"]["id"])

    async def upload_image(self, channel_id: str, *, filename: str, title: str,
                           content: bytes, comment: str) -> str:
        """Share an image in a channel (a direct message, for something private) with a
        comment; returns the file's id. The same external upload flow as `upload_markdown`."""
        with as_failure("files.completeUploadExternal"):
            response = await self.client.files_upload_v2(
                channel=channel_id, file=content, filename=filename, title=title,
                initial_comment=comment)
        file = (response.get("files") or [response.get("file") or {}])[0]
        return str(file.get("id"))


def _retry_after(exc: SlackApiError) -> float:
    """Slack's Retry-After in seconds (1 if it said nothing usable)."""
    for name, value in (getattr(exc.response, "headers", None) or {}).items():
        if str(name).lower() == "retry-after":
            first = value[0] if isinstance(value, list) and value else value
            return float(first) if str(first).isdigit() else 1.0
    return 1.0

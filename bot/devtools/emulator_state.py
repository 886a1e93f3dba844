"""The workspace a fake Slack serves: users, channels, messages, files, canvases and views.

Everything here is plain data plus the rules that keep it consistent (thread bookkeeping,
reactions, pins). The Web API layer in ``emulator_methods`` turns requests into calls on this
model; tests and ``sitrep demo`` also drive it directly to play the human side of Slack.
"""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TEAM_ID = "T0001"
TEAM_NAME = "Sitrep Test"
TEAM_DOMAIN = "sitrep-test"
TEAM_URL = f"https://{TEAM_DOMAIN}.slack.com/"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
APP_ID = "A0SITREP"
GENERAL_CHANNEL_ID = "C0GENERAL"

Message = dict[str, Any]


class SlackError(Exception):
    """A Web API refusal: becomes ``{"ok": false, "error": code}`` with the given HTTP status."""

    def __init__(
        self, code: str, *, status: int = 200, extra: dict[str, Any] | None = None
    ) -> None:
        super().__init__(code)
        self.code = code
        self.status = status
        self.extra = extra or {}


@dataclass
class RecordedCall:
    method: str
    args: dict[str, Any]
    ok: bool
    error: str | None
    http_status: int
    token: str | None


@dataclass
class RecordedResponse:
    key: str
    body: dict[str, Any]


@dataclass
class User:
    id: str
    name: str
    real_name: str
    tz: str = "Europe/London"
    is_bot: bool = False
    bot_id: str | None = None
    deleted: bool = False
    updated: int = field(default_factory=lambda: int(time.time()))
    # Another team's, for someone from another company in a Slack Connect channel.
    team_id: str = TEAM_ID

    @property
    def email(self) -> str | None:
        # Slack never exposes an email for bot users.
        return None if self.is_bot else f"{self.name}@{TEAM_DOMAIN}.example"

    def tz_offset(self) -> int:
        try:
            offset = datetime.now(UTC).astimezone(ZoneInfo(self.tz)).utcoffset()
        except ZoneInfoNotFoundError:
            return 0
        return int(offset.total_seconds()) if offset is not None else 0

    def to_api(self) -> dict[str, Any]:
        profile: dict[str, Any] = {
            "display_name": self.name,
            "real_name": self.real_name,
            "display_name_normalized": self.name,
            "real_name_normalized": self.real_name,
            "image_48": f"https://example.invalid/{self.name}_48.png",
            "team": self.team_id,
        }
        if self.email is not None:
            profile["email"] = self.email
        if self.bot_id is not None:
            profile["bot_id"] = self.bot_id
        body: dict[str, Any] = {
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": self.tz,
            "tz_offset": self.tz_offset(),
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": self.updated,
        }
        return body


def ts_key(ts: str) -> Decimal:
    """Orders Slack timestamps numerically; string order breaks once seconds gain a digit."""
    return Decimal(ts)


def parse_ts(value: Any) -> Decimal | None:
    """A Slack timestamp argument as a number, or None when it is not one."""
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() and number >= 0 else None


class TsClock:
    """Issues message timestamps: wall-clock based, but strictly increasing even within one
    microsecond, because Slack uses ``ts`` as the message id within a channel."""

    def __init__(self, now: Callable[[], float] = time.time) -> None:
        self._now = now
        self._last = 0

    def now(self) -> float:
        """Slack's time now, in seconds (the clock the emulator was given)."""
        return self._now()

    def next(self) -> str:
        micros = max(int(self._now() * 1_000_000), self._last + 1)
        self._last = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def claim(self, ts: str) -> str:
        """Accept a caller-chosen ts (a backdated human message); later ones stay above it."""
        value = parse_ts(ts)
        if value is None:
            raise ValueError(f"{ts!r} is not a Slack timestamp")
        micros = int(value * 1_000_000)
        self._last = max(self._last, micros)
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


class IdFactory:
    """Deterministic ids shaped like Slack's (one letter + ten upper-case alnum chars)."""

    def __init__(self) -> None:
        self._counters: dict[str, int] = {}

    def next(self, prefix: str) -> str:
        number = self._counters.get(prefix, 0) + 1
        self._counters[prefix] = number
        return f"{prefix}{number:010d}"


@dataclass
class Channel:
    id: str
    name: str
    created: int
    creator: str
    is_private: bool = False
    is_im: bool = False
    im_user: str | None = None
    is_general: bool = False
    is_archived: bool = False
    members: list[str] = field(default_factory=list)
    topic: dict[str, Any] = field(
        default_factory=lambda: {"value": "", "creator": "", "last_set": 0}
    )
    purpose: dict[str, Any] = field(
        default_factory=lambda: {"value": "", "creator": "", "last_set": 0}
    )
    previous_names: list[str] = field(default_factory=list)
    # Keyed by ts; top-level messages and thread replies alike, as Slack addresses both by ts.
    messages_by_ts: dict[str, Message] = field(default_factory=dict)
    pins: dict[str, dict[str, Any]] = field(default_factory=dict)
    canvas_id: str | None = None

    def is_member(self, user_id: str) -> bool:
        return user_id in self.members

    def ordered_messages(self) -> list[Message]:
        return sorted(self.messages_by_ts.values(), key=lambda m: ts_key(m["ts"]))

    def top_level_messages(self) -> list[Message]:
        """What conversations.history shows: thread parents and broadcasts, not plain replies."""
        return [
            message
            for message in self.ordered_messages()
            if message.get("thread_ts") in (None, message["ts"])
            or message.get("subtype") == "thread_broadcast"
        ]

    def to_api(self, viewer: str) -> dict[str, Any]:
        if self.is_im:
            return {
                "id": self.id,
                "created": self.created,
                "is_archived": self.is_archived,
                "is_im": True,
                "is_org_shared": False,
                "context_team_id": TEAM_ID,
                "user": self.im_user,
                "is_user_deleted": False,
                "priority": 0,
            }
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.is_private,
            "is_group": self.is_private,
            "is_im": False,
            "created": self.created,
            "creator": self.creator,
            "is_archived": self.is_archived,
            "is_general": self.is_general,
            "unlinked": 0,
            "name_normalized": self.name,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "pending_shared": [],
            "is_pending_ext_shared": False,
            "is_member": self.is_member(viewer),
            "is_private": self.is_private,
            "is_mpim": False,
            "last_read": "0000000000.000000",
            "topic": dict(self.topic),
            "purpose": dict(self.purpose),
            "previous_names": list(self.previous_names),
            "priority": 0,
            "num_members": len(self.members),
        }
        if self.canvas_id is not None:
            body["properties"] = {
                "canvas": {"file_id": self.canvas_id, "is_empty": False, "quip_thread_id": ""}
            }
        return body


@dataclass(frozen=True)
class FileShare:
    """Where a file was shared: Slack lists public channels, private ones and DMs apart."""

    channel_id: str
    channel_name: str
    kind: str  # "public", "private" or "im"
    ts: str


@dataclass
class UploadedFile:
    id: str
    filename: str
    length: int
    user: str
    created: int
    title: str = ""
    content: bytes | None = None
    completed: bool = False
    shares: list[FileShare] = field(default_factory=list)

    @property
    def channels(self) -> list[str]:
        return list(dict.fromkeys(share.channel_id for share in self.shares))

    def to_api(self, base_url: str, *, shared: bool = True) -> dict[str, Any]:
        """The file object; ``shared=False`` as it is before Slack has shared it anywhere
        (what files.completeUploadExternal answers: sharing completes after it)."""
        extension = self.filename.rsplit(".", 1)[-1].lower() if "." in self.filename else ""
        filetype = _FILETYPES.get(extension, ("binary", "application/octet-stream"))
        size = len(self.content) if self.content is not None else self.length
        shares = self.shares if shared else []

        def ids(kind: str) -> list[str]:
            return list(dict.fromkeys(s.channel_id for s in shares if s.kind == kind))

        share_lists: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for share in shares:
            if share.kind == "im":
                continue
            share_lists.setdefault(share.kind, {}).setdefault(share.channel_id, []).append({
                "reply_users": [], "reply_users_count": 0, "reply_count": 0, "ts": share.ts,
                "channel_name": share.channel_name, "team_id": TEAM_ID,
                "share_user_id": self.user, "source": "UNKNOWN", "is_silent_share": False})
        return {
            "id": self.id,
            "created": self.created,
            "timestamp": self.created,
            "name": self.filename,
            "title": self.title or self.filename,
            "mimetype": filetype[1],
            "filetype": filetype[0],
            "pretty_type": filetype[0].capitalize(),
            "user": self.user,
            "user_team": TEAM_ID,
            "editable": filetype[0] in {"markdown", "text"},
            "size": size,
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": bool(ids("public")),
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": f"{base_url}/files-pri/{self.id}/{self.filename}",
            "url_private_download": f"{base_url}/files-pri/{self.id}/download/{self.filename}",
            "media_display_type": "unknown",
            "permalink": f"{TEAM_URL}files/{self.user}/{self.id}/{self.filename}",
            "permalink_public": f"https://slack-files.com/{TEAM_ID}-{self.id}-0000000000",
            "comments_count": 0,
            "is_starred": False,
            "shares": share_lists,
            "channels": ids("public"),
            "groups": ids("private"),
            "ims": ids("im"),
            "has_more_shares": False,
            "has_rich_preview": False,
            "file_access": "visible",
        }


_FILETYPES: dict[str, tuple[str, str]] = {
    "md": ("markdown", "text/markdown"),
    "markdown": ("markdown", "text/markdown"),
    "txt": ("text", "text/plain"),
    "json": ("json", "application/json"),
    "csv": ("csv", "text/csv"),
    "png": ("png", "image/png"),
    "pdf": ("pdf", "application/pdf"),
}


@dataclass
class Canvas:
    id: str
    title: str
    markdown: str
    channel_id: str | None
    created_by: str
    created: int
    edits: int = 0
    access: dict[str, str] = field(default_factory=dict)


class Workspace:
    """One Slack team's state, plus the human-side actions tests perform on it."""

    def __init__(self, now: Callable[[], float] = time.time) -> None:
        self.clock = TsClock(now)
        self.ids = IdFactory()
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.files: dict[str, UploadedFile] = {}
        self.canvases: dict[str, Canvas] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.add_user(BOT_USER_ID, "sitrep", "Sitrep", is_bot=True, bot_id=BOT_ID)
        self.add_user("U0ALICE", "alice", "Alice Example")
        self.add_user("U0BOB", "bob", "Bob Example")
        self.add_user("U0CAROL", "carol", "Carol Example")
        general = self._new_channel(
            GENERAL_CHANNEL_ID, "general", creator="U0ALICE", members=list(self.users)
        )
        general.is_general = True

    # -- setup -------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        name: str,
        real_name: str,
        *,
        tz: str = "Europe/London",
        is_bot: bool = False,
        bot_id: str | None = None,
        team_id: str = TEAM_ID,
    ) -> User:
        user = User(user_id, name, real_name, tz=tz, is_bot=is_bot, bot_id=bot_id,
                    team_id=team_id)
        self.users[user_id] = user
        return user

    def human_user_ids(self) -> list[str]:
        return [user.id for user in self.users.values() if not user.is_bot]

    def _new_channel(
        self,
        channel_id: str,
        name: str,
        *,
        creator: str,
        members: list[str],
        is_private: bool = False,
    ) -> Channel:
        channel = Channel(
            id=channel_id,
            name=name,
            created=int(time.time()),
            creator=creator,
            is_private=is_private,
            members=list(dict.fromkeys(members)),
        )
        self.channels[channel_id] = channel
        return channel

    def create_channel(
        self,
        name: str,
        *,
        creator: str = BOT_USER_ID,
        members: list[str] | None = None,
        is_private: bool = False,
    ) -> Channel:
        if self.channel_by_name(name) is not None:
            raise ValueError(f"a channel named {name!r} already exists")
        if members is None:
            members = [BOT_USER_ID, *self.human_user_ids()]
        for member in members:
            self.user(member)
        return self._new_channel(
            self.ids.next("C"), name, creator=creator, members=members, is_private=is_private
        )

    def dm_channel(self, user_id: str) -> Channel:
        """The bot's direct-message channel with a person, opened on first use like Slack."""
        for channel in self.channels.values():
            if channel.is_im and channel.im_user == user_id:
                return channel
        channel = self._new_channel(
            self.ids.next("D"), user_id, creator=BOT_USER_ID, members=[BOT_USER_ID, user_id]
        )
        channel.is_im = True
        channel.im_user = user_id
        return channel

    # -- lookups -----------------------------------------------------------------------

    def user(self, user_id: str) -> User:
        try:
            return self.users[user_id]
        except KeyError:
            raise KeyError(f"no user {user_id!r}; known: {sorted(self.users)}") from None

    def channel(self, channel_id: str) -> Channel:
        try:
            return self.channels[channel_id]
        except KeyError:
            raise KeyError(f"no channel {channel_id!r}; known: {sorted(self.channels)}") from None

    def channel_by_name(self, name: str) -> Channel | None:
        name = name.removeprefix("#")
        for channel in self.channels.values():
            if channel.name == name and not channel.is_im:
                return channel
        return None

    def message(self, channel_id: str, ts: str) -> Message:
        channel = self.channel(channel_id)
        try:
            return channel.messages_by_ts[ts]
        except KeyError:
            raise KeyError(f"no message {ts!r} in {channel_id}") from None

    def messages(self, channel_id: str) -> list[Message]:
        return copy.deepcopy(self.channel(channel_id).ordered_messages())

    # -- messages ----------------------------------------------------------------------

    def store_message(
        self,
        channel: Channel,
        user_id: str,
        text: str,
        *,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
        attachments: list[dict[str, Any]] | None = None,
        files: list[dict[str, Any]] | None = None,
        subtype: str | None = None,
        reply_broadcast: bool = False,
        metadata: dict[str, Any] | None = None,
        ts: str | None = None,
    ) -> Message:
        """Append a message (or a reply, when ``thread_ts`` names a message in the channel)."""
        ts = self.clock.next() if ts is None else self.clock.claim(ts)
        if ts in channel.messages_by_ts:
            raise ValueError(f"{channel.id} already has a message with ts {ts}")
        author = self.users.get(user_id)
        message: Message = {"type": "message"}
        if subtype is not None:
            message["subtype"] = subtype
        team = author.team_id if author is not None else TEAM_ID
        message.update({"user": user_id, "text": text, "ts": ts, "team": team})
        if team != TEAM_ID:
            # A Slack Connect message says whose team wrote it.
            message.update({"user_team": team, "source_team": team})
        if author is not None and author.bot_id is not None:
            message["bot_id"] = author.bot_id
            message["app_id"] = APP_ID
            message["bot_profile"] = {
                "id": author.bot_id,
                "app_id": APP_ID,
                "name": author.name,
                "deleted": False,
                "team_id": TEAM_ID,
            }
        if blocks is not None:
            message["blocks"] = copy.deepcopy(blocks)
        if attachments is not None:
            message["attachments"] = copy.deepcopy(attachments)
        if files is not None:
            message["files"] = copy.deepcopy(files)
            message["upload"] = True
            message["display_as_bot"] = False
        if metadata is not None:
            message["metadata"] = copy.deepcopy(metadata)
        if thread_ts is not None:
            parent = self._thread_parent(channel, thread_ts)
            message["thread_ts"] = parent["ts"]
            message["parent_user_id"] = parent.get("user", "")
            if reply_broadcast:
                message["subtype"] = "thread_broadcast"
                message["root"] = copy.deepcopy(parent)
            channel.messages_by_ts[ts] = message
            self._refresh_thread(channel, parent["ts"])
        else:
            channel.messages_by_ts[ts] = message
        return message

    @staticmethod
    def _thread_parent(channel: Channel, thread_ts: str) -> Message:
        parent = channel.messages_by_ts.get(thread_ts)
        if parent is None:
            raise SlackError("thread_not_found")
        # Replying to a reply lands in the same thread, as in the Slack client.
        root_ts = str(parent.get("thread_ts") or parent["ts"])
        return channel.messages_by_ts.get(root_ts, parent)

    @staticmethod
    def thread_replies(channel: Channel, parent_ts: str) -> list[Message]:
        return [
            message
            for message in channel.ordered_messages()
            if message.get("thread_ts") == parent_ts and message["ts"] != parent_ts
        ]

    def _refresh_thread(self, channel: Channel, parent_ts: str) -> None:
        """Recompute the thread summary fields Slack keeps on a parent message."""
        parent = channel.messages_by_ts.get(parent_ts)
        if parent is None:
            return
        replies = self.thread_replies(channel, parent_ts)
        if not replies:
            for key in (
                "thread_ts",
                "reply_count",
                "reply_users",
                "reply_users_count",
                "latest_reply",
                "subscribed",
            ):
                parent.pop(key, None)
            if parent.get("subtype") == "tombstone":
                del channel.messages_by_ts[parent_ts]
            return
        reply_users = list(dict.fromkeys(reply.get("user", "") for reply in replies))
        parent["thread_ts"] = parent_ts
        parent["reply_count"] = len(replies)
        parent["reply_users_count"] = len(reply_users)
        parent["reply_users"] = reply_users
        parent["latest_reply"] = replies[-1]["ts"]
        parent["is_locked"] = False
        parent["subscribed"] = False

    def edit_message(
        self,
        channel_id: str,
        ts: str,
        editor: str,
        *,
        text: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
        attachments: list[dict[str, Any]] | None = None,
    ) -> Message:
        message = self.message(channel_id, ts)
        if text is not None:
            message["text"] = text
        if blocks is not None:
            message["blocks"] = copy.deepcopy(blocks)
        if attachments is not None:
            message["attachments"] = copy.deepcopy(attachments)
        message["edited"] = {"user": editor, "ts": self.clock.next()}
        return message

    def delete_message(self, channel_id: str, ts: str) -> None:
        channel = self.channel(channel_id)
        message = self.message(channel_id, ts)
        channel.pins.pop(ts, None)
        if message.get("thread_ts") == ts and message.get("reply_count"):
            # A parent with replies stays behind as a tombstone, as Slack keeps the thread.
            for key in (
                "text",
                "blocks",
                "attachments",
                "files",
                "reactions",
                "edited",
                "bot_id",
                "app_id",
                "bot_profile",
                "pinned_to",
            ):
                message.pop(key, None)
            message.update(
                {"subtype": "tombstone", "user": "USLACKBOT", "text": "This message was deleted."}
            )
            return
        del channel.messages_by_ts[ts]
        parent_ts = message.get("thread_ts")
        if parent_ts is not None and parent_ts != ts:
            self._refresh_thread(channel, parent_ts)

    # -- reactions and pins --------------------------------------------------------------

    def add_reaction(self, channel_id: str, ts: str, user_id: str, name: str) -> None:
        message = self.message(channel_id, ts)
        reactions: list[dict[str, Any]] = message.setdefault("reactions", [])
        for reaction in reactions:
            if reaction["name"] == name:
                if user_id in reaction["users"]:
                    raise SlackError("already_reacted")
                reaction["users"].append(user_id)
                reaction["count"] = len(reaction["users"])
                return
        reactions.append({"name": name, "users": [user_id], "count": 1})

    def remove_reaction(self, channel_id: str, ts: str, user_id: str, name: str) -> None:
        message = self.message(channel_id, ts)
        reactions: list[dict[str, Any]] = message.get("reactions", [])
        for reaction in reactions:
            if reaction["name"] == name and user_id in reaction["users"]:
                reaction["users"].remove(user_id)
                reaction["count"] = len(reaction["users"])
                if not reaction["users"]:
                    reactions.remove(reaction)
                if not reactions:
                    message.pop("reactions", None)
                return
        raise SlackError("no_reaction")

    def pin(self, channel_id: str, ts: str, user_id: str) -> None:
        channel = self.channel(channel_id)
        message = self.message(channel_id, ts)
        if ts in channel.pins:
            raise SlackError("already_pinned")
        channel.pins[ts] = {"created": int(time.time()), "created_by": user_id}
        message["pinned_to"] = [channel_id]

    def unpin(self, channel_id: str, ts: str) -> None:
        channel = self.channel(channel_id)
        message = self.message(channel_id, ts)
        if ts not in channel.pins:
            raise SlackError("no_pin")
        del channel.pins[ts]
        message.pop("pinned_to", None)

    # -- files and canvases --------------------------------------------------------------

    def new_file(self, filename: str, length: int, user_id: str) -> UploadedFile:
        file = UploadedFile(
            id=self.ids.next("F"),
            filename=filename,
            length=length,
            user=user_id,
            created=int(time.time()),
        )
        self.files[file.id] = file
        return file

    def new_canvas(self, title: str, markdown: str, channel_id: str | None, user_id: str) -> Canvas:
        # Canvases are files in Slack, so they share the F… id space.
        canvas = Canvas(
            id=self.ids.next("F"),
            title=title,
            markdown=markdown,
            channel_id=channel_id,
            created_by=user_id,
            created=int(time.time()),
        )
        self.canvases[canvas.id] = canvas
        return canvas

    def new_view_id(self) -> str:
        return self.ids.next("V")

    @staticmethod
    def new_view_hash() -> str:
        return f"{int(time.time())}.{uuid.uuid4().hex[:8]}"

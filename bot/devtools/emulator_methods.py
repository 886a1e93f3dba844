"""The Web API methods the emulator answers, with Slack's argument rules and error codes.

Each method takes the call's arguments and returns the success body (``ok`` is added by the
transport) or raises ``SlackError``. Transport concerns (auth, recording, fault injection)
live in ``slack_emulator``.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable
from typing import Any

from bot.devtools.emulator_args import Args, next_cursor
from bot.devtools.emulator_state import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    TEAM_NAME,
    TEAM_URL,
    Channel,
    FileShare,
    Message,
    SlackError,
    Workspace,
    parse_ts,
    ts_key,
)

Handler = Callable[[Args], dict[str, Any]]

MAX_CHANNEL_NAME = 80
MAX_TOPIC = 250
MAX_TEXT = 40_000
MAX_BLOCKS = 50
MAX_ATTACHMENTS = 100
CHANNEL_NAME_CHARS = re.compile(r"[a-z0-9_-]+")
# Skin tones are the one place Slack allows colons inside a reaction name.
REACTION_NAME = re.compile(r"[^\s:]+(::skin-tone-[2-6])?")
CANVAS_OPERATIONS = frozenset(
    {
        "insert_after",
        "insert_before",
        "insert_at_start",
        "insert_at_end",
        "replace",
        "delete",
        "rename",
    }
)


class WebApi:
    """Method name → handler, over one workspace."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        base_url: Callable[[], str],
        canvases_enabled: Callable[[], bool],
    ) -> None:
        self.ws = workspace
        self._base_url = base_url
        self._canvases_enabled = canvases_enabled
        self.methods: dict[str, Handler] = {
            "api.test": self.api_test,
            "auth.test": self.auth_test,
            "conversations.create": self.conversations_create,
            "conversations.info": self.conversations_info,
            "conversations.invite": self.conversations_invite,
            "conversations.join": self.conversations_join,
            "conversations.members": self.conversations_members,
            "conversations.setTopic": self.conversations_set_topic,
            "conversations.setPurpose": self.conversations_set_purpose,
            "conversations.archive": self.conversations_archive,
            "conversations.unarchive": self.conversations_unarchive,
            "conversations.rename": self.conversations_rename,
            "conversations.list": self.conversations_list,
            "conversations.open": self.conversations_open,
            "conversations.history": self.conversations_history,
            "conversations.replies": self.conversations_replies,
            "conversations.canvases.create": self.conversations_canvases_create,
            "chat.postMessage": self.chat_post_message,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.update": self.chat_update,
            "chat.delete": self.chat_delete,
            "chat.getPermalink": self.chat_get_permalink,
            "pins.add": self.pins_add,
            "pins.remove": self.pins_remove,
            "pins.list": self.pins_list,
            "reactions.add": self.reactions_add,
            "reactions.remove": self.reactions_remove,
            "reactions.get": self.reactions_get,
            "users.info": self.users_info,
            "users.list": self.users_list,
            "users.lookupByEmail": self.users_lookup_by_email,
            "users.conversations": self.users_conversations,
            "views.open": self.views_open,
            "views.push": self.views_push,
            "views.update": self.views_update,
            "views.publish": self.views_publish,
            "files.upload": self.files_upload,
            "files.getUploadURLExternal": self.files_get_upload_url_external,
            "files.completeUploadExternal": self.files_complete_upload_external,
            "files.info": self.files_info,
            "canvases.create": self.canvases_create,
            "canvases.edit": self.canvases_edit,
            "canvases.delete": self.canvases_delete,
            "canvases.access.set": self.canvases_access_set,
        }

    # -- shared rules -------------------------------------------------------------------

    def _channel(self, args: Args, name: str = "channel") -> Channel:
        channel = self.ws.channels.get(args.required(name, "channel_not_found"))
        # A private channel the bot is not in does not exist as far as the bot can tell.
        if channel is None or (channel.is_private and not channel.is_member(BOT_USER_ID)):
            raise SlackError("channel_not_found")
        return channel

    @staticmethod
    def _require_bot_member(channel: Channel) -> None:
        if not channel.is_member(BOT_USER_ID):
            raise SlackError("not_in_channel")

    @staticmethod
    def _require_not_archived(channel: Channel) -> None:
        if channel.is_archived:
            raise SlackError("is_archived")

    def _writable_channel(self, args: Args, name: str = "channel") -> Channel:
        channel = self._channel(args, name)
        self._require_not_archived(channel)
        self._require_bot_member(channel)
        return channel

    @staticmethod
    def _message(channel: Channel, ts: str | None, error: str = "message_not_found") -> Message:
        message = channel.messages_by_ts.get(ts or "")
        if message is None:
            raise SlackError(error)
        return message

    def _user(self, user_id: str | None) -> str:
        if user_id is None or user_id not in self.ws.users:
            raise SlackError("user_not_found")
        return user_id

    @staticmethod
    def _blocks(args: Args) -> list[dict[str, Any]] | None:
        if not args.present("blocks"):
            return None
        blocks = args.raw("blocks")
        if (
            not isinstance(blocks, list)
            or len(blocks) > MAX_BLOCKS
            or not all(isinstance(b, dict) and isinstance(b.get("type"), str) for b in blocks)
        ):
            raise SlackError("invalid_blocks")
        return blocks

    @staticmethod
    def _attachments(args: Args) -> list[dict[str, Any]] | None:
        if not args.present("attachments"):
            return None
        attachments = args.raw("attachments")
        if not isinstance(attachments, list) or not all(isinstance(a, dict) for a in attachments):
            raise SlackError("invalid_attachments")
        if len(attachments) > MAX_ATTACHMENTS:
            raise SlackError("too_many_attachments")
        return attachments

    @staticmethod
    def _text(args: Args) -> str:
        text = args.text("text", "") or ""
        if len(text) > MAX_TEXT:
            raise SlackError("msg_too_long")
        return text

    @staticmethod
    def _validate_channel_name(name: str | None) -> str:
        if not name:
            raise SlackError("invalid_name_required")
        if len(name) > MAX_CHANNEL_NAME:
            raise SlackError("invalid_name_maxlength")
        if not CHANNEL_NAME_CHARS.fullmatch(name):
            raise SlackError("invalid_name_specials")
        if not re.search(r"[a-z0-9]", name):
            raise SlackError("invalid_name_punctuation")
        return name

    @staticmethod
    def _public(message: Message) -> Message:
        return copy.deepcopy(message)

    @staticmethod
    def _ts_filter(args: Args) -> Callable[[str], bool]:
        """Slack's latest/oldest window: exclusive bounds unless ``inclusive`` is set."""
        latest = oldest = None
        if args.present("latest"):
            latest = parse_ts(args.raw("latest"))
            if latest is None:
                raise SlackError("invalid_ts_latest")
        if args.present("oldest"):
            oldest = parse_ts(args.raw("oldest"))
            if oldest is None:
                raise SlackError("invalid_ts_oldest")
        inclusive = args.flag("inclusive")

        def within(ts: str) -> bool:
            value = ts_key(ts)
            if latest is not None and (value > latest or (value == latest and not inclusive)):
                return False
            return not (
                oldest is not None and (value < oldest or (value == oldest and not inclusive))
            )

        return within

    def _page(
        self, args: Args, items: list[Any], *, default: int, maximum: int
    ) -> tuple[list[Any], str]:
        offset = args.offset_cursor()
        limit = args.limit(default, maximum)
        return items[offset : offset + limit], next_cursor(offset, limit, len(items))

    # -- api / auth ---------------------------------------------------------------------

    def api_test(self, args: Args) -> dict[str, Any]:
        echoed = {k: v for k, v in args.values.items() if k != "token"}
        if args.present("error"):
            raise SlackError(args.required("error"), extra={"args": echoed})
        return {"args": echoed}

    def auth_test(self, args: Args) -> dict[str, Any]:
        return {
            "url": TEAM_URL,
            "team": TEAM_NAME,
            "user": self.ws.user(BOT_USER_ID).name,
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    # -- conversations ------------------------------------------------------------------

    def conversations_create(self, args: Args) -> dict[str, Any]:
        name = self._validate_channel_name(args.text("name"))
        if any(c.name == name for c in self.ws.channels.values()):
            raise SlackError("name_taken")
        channel = self.ws.create_channel(
            name, members=[BOT_USER_ID], is_private=args.flag("is_private")
        )
        return {"channel": channel.to_api(BOT_USER_ID)}

    def conversations_info(self, args: Args) -> dict[str, Any]:
        return {"channel": self._channel(args).to_api(BOT_USER_ID)}

    def conversations_invite(self, args: Args) -> dict[str, Any]:
        channel = self._channel(args)
        self._require_not_archived(channel)
        self._require_bot_member(channel)
        users = args.user_list("users")
        if not users:
            raise SlackError("no_user")
        for user_id in users:
            if user_id == BOT_USER_ID:
                raise SlackError("cant_invite_self")
            self._user(user_id)
        new = [user_id for user_id in dict.fromkeys(users) if not channel.is_member(user_id)]
        if not new:
            raise SlackError("already_in_channel")
        channel.members.extend(new)
        return {"channel": channel.to_api(BOT_USER_ID)}

    def conversations_join(self, args: Args) -> dict[str, Any]:
        channel = self._channel(args)
        self._require_not_archived(channel)
        if channel.is_private or channel.is_im:
            raise SlackError("method_not_supported_for_channel_type")
        body: dict[str, Any] = {}
        if channel.is_member(BOT_USER_ID):
            body["warning"] = "already_in_channel"
            body["response_metadata"] = {"warnings": ["already_in_channel"]}
        else:
            channel.members.append(BOT_USER_ID)
        return {"channel": channel.to_api(BOT_USER_ID), **body}

    def conversations_members(self, args: Args) -> dict[str, Any]:
        channel = self._channel(args)
        members, cursor = self._page(args, list(channel.members), default=100, maximum=1000)
        return {"members": members, "response_metadata": {"next_cursor": cursor}}

    def _set_text_property(self, args: Args, argument: str, prop: str) -> dict[str, Any]:
        channel = self._writable_channel(args)
        value = args.text(argument, "") or ""
        if len(value) > MAX_TOPIC:
            raise SlackError("too_long")
        setattr(
            channel,
            prop,
            {"value": value, "creator": BOT_USER_ID, "last_set": int(time.time())},
        )
        return {"channel": channel.to_api(BOT_USER_ID)}

    def conversations_set_topic(self, args: Args) -> dict[str, Any]:
        return self._set_text_property(args, "topic", "topic")

    def conversations_set_purpose(self, args: Args) -> dict[str, Any]:
        return self._set_text_property(args, "purpose", "purpose")

    def conversations_archive(self, args: Args) -> dict[str, Any]:
        channel = self._channel(args)
        if channel.is_archived:
            raise SlackError("already_archived")
        if channel.is_general:
            raise SlackError("cant_archive_general")
        self._require_bot_member(channel)
        channel.is_archived = True
        return {}

    def conversations_unarchive(self, args: Args) -> dict[str, Any]:
        channel = self._channel(args)
        if not channel.is_archived:
            raise SlackError("not_archived")
        channel.is_archived = False
        return {}

    def conversations_rename(self, args: Args) -> dict[str, Any]:
        channel = self._writable_channel(args)
        name = self._validate_channel_name(args.text("name"))
        if any(c.name == name and c is not channel for c in self.ws.channels.values()):
            raise SlackError("name_taken")
        if name != channel.name:
            channel.previous_names.append(channel.name)
            channel.name = name
        return {"channel": channel.to_api(BOT_USER_ID)}

    def conversations_list(self, args: Args) -> dict[str, Any]:
        types = set((args.text("types") or "public_channel").split(","))
        exclude_archived = args.flag("exclude_archived")

        def wanted(channel: Channel) -> bool:
            if exclude_archived and channel.is_archived:
                return False
            if channel.is_im:
                return "im" in types
            if channel.is_private:
                return "private_channel" in types and channel.is_member(BOT_USER_ID)
            return "public_channel" in types

        listed = [c.to_api(BOT_USER_ID) for c in self.ws.channels.values() if wanted(c)]
        page, cursor = self._page(args, listed, default=100, maximum=1000)
        return {"channels": page, "response_metadata": {"next_cursor": cursor}}

    def conversations_open(self, args: Args) -> dict[str, Any]:
        users = args.user_list("users")
        if len(users) != 1:
            # Group DMs are not modelled; Sitrep only ever opens one-to-one DMs.
            raise SlackError("users_list_not_supplied" if not users else "not_supported")
        channel = self.ws.dm_channel(self._user(users[0]))
        return {"channel": {"id": channel.id}}

    def conversations_history(self, args: Args) -> dict[str, Any]:
        channel = self._channel(args)
        self._require_bot_member(channel)
        within = self._ts_filter(args)
        newest_first = [m for m in reversed(channel.top_level_messages()) if within(m["ts"])]
        page, cursor = self._page(args, newest_first, default=100, maximum=999)
        return {
            "messages": [self._public(m) for m in page],
            "has_more": bool(cursor),
            "pin_count": len(channel.pins),
            "response_metadata": {"next_cursor": cursor},
        }

    def conversations_replies(self, args: Args) -> dict[str, Any]:
        channel = self._channel(args)
        self._require_bot_member(channel)
        ts = args.required("ts", "thread_not_found")
        message = self._message(channel, ts, "thread_not_found")
        if message.get("thread_ts") not in (None, ts):
            # A reply's ts names its thread: Slack answers with the whole thread, parent
            # first, as for the parent's ts.
            ts = str(message["thread_ts"])
            message = self._message(channel, ts, "thread_not_found")
        within = self._ts_filter(args)
        replies = [r for r in self.ws.thread_replies(channel, ts) if within(r["ts"])]
        thread = [message, *replies]
        page, cursor = self._page(args, thread, default=1000, maximum=1000)
        return {
            "messages": [self._public(m) for m in page],
            "has_more": bool(cursor),
            "response_metadata": {"next_cursor": cursor},
        }

    # -- chat ---------------------------------------------------------------------------

    def _post_target(self, args: Args) -> Channel:
        target = args.required("channel", "channel_not_found")
        if target[:1] in {"U", "W"} and target in self.ws.users:
            # Posting to a user id posts into the bot's DM with them.
            return self.ws.dm_channel(target)
        channel = self.ws.channels.get(target) or self.ws.channel_by_name(target)
        if channel is None or (channel.is_private and not channel.is_member(BOT_USER_ID)):
            raise SlackError("channel_not_found")
        self._require_not_archived(channel)
        self._require_bot_member(channel)
        return channel

    def chat_post_message(self, args: Args) -> dict[str, Any]:
        channel = self._post_target(args)
        text = self._text(args)
        blocks = self._blocks(args)
        attachments = self._attachments(args)
        if not text and not blocks and not attachments:
            raise SlackError("no_text")
        thread_ts = args.text("thread_ts")
        if thread_ts is not None and parse_ts(thread_ts) is None:
            raise SlackError("invalid_thread_ts")
        metadata = args.raw("metadata")
        message = self.ws.store_message(
            channel,
            BOT_USER_ID,
            text,
            thread_ts=thread_ts,
            blocks=blocks,
            attachments=attachments,
            reply_broadcast=args.flag("reply_broadcast"),
            metadata=metadata if isinstance(metadata, dict) else None,
        )
        return {"channel": channel.id, "ts": message["ts"], "message": self._public(message)}

    def chat_post_ephemeral(self, args: Args) -> dict[str, Any]:
        channel = self._channel(args)
        self._require_not_archived(channel)
        self._require_bot_member(channel)
        user_id = self._user(args.text("user"))
        if not channel.is_member(user_id):
            raise SlackError("user_not_in_channel")
        text = self._text(args)
        blocks = self._blocks(args)
        attachments = self._attachments(args)
        if not text and not blocks and not attachments:
            raise SlackError("no_text")
        message_ts = self.ws.clock.next()
        self.ws.ephemerals.append(
            {
                "channel": channel.id,
                "user": user_id,
                "text": text,
                "blocks": blocks,
                "attachments": attachments,
                "thread_ts": args.text("thread_ts"),
                "message_ts": message_ts,
            }
        )
        return {"message_ts": message_ts}

    def _own_message(self, args: Args, ts_argument: str, refusal: str) -> tuple[Channel, Message]:
        channel = self._channel(args)
        message = self._message(channel, args.text(ts_argument))
        if message.get("user") != BOT_USER_ID:
            raise SlackError(refusal)
        return channel, message

    def chat_update(self, args: Args) -> dict[str, Any]:
        channel, message = self._own_message(args, "ts", "cant_update_message")
        self._require_not_archived(channel)
        text = self._text(args) if args.present("text") else None
        blocks = self._blocks(args)
        attachments = self._attachments(args)
        if text is None and blocks is None and attachments is None:
            raise SlackError("no_text")
        updated = self.ws.edit_message(
            channel.id,
            message["ts"],
            BOT_USER_ID,
            text=text,
            blocks=blocks,
            attachments=attachments,
        )
        return {
            "channel": channel.id,
            "ts": updated["ts"],
            "text": updated.get("text", ""),
            "message": self._public(updated),
        }

    def chat_delete(self, args: Args) -> dict[str, Any]:
        channel, message = self._own_message(args, "ts", "cant_delete_message")
        self.ws.delete_message(channel.id, message["ts"])
        return {"channel": channel.id, "ts": message["ts"]}

    def chat_get_permalink(self, args: Args) -> dict[str, Any]:
        channel = self._channel(args)
        message = self._message(channel, args.text("message_ts"))
        return {"channel": channel.id, "permalink": permalink(channel.id, message)}

    # -- pins and reactions --------------------------------------------------------------

    def _addressed_message(self, args: Args) -> tuple[Channel, Message]:
        channel = self._channel(args)
        if not args.present("timestamp"):
            raise SlackError("no_item_specified")
        return channel, self._message(channel, args.text("timestamp"))

    def pins_add(self, args: Args) -> dict[str, Any]:
        channel, message = self._addressed_message(args)
        self._require_bot_member(channel)
        self.ws.pin(channel.id, message["ts"], BOT_USER_ID)
        return {}

    def pins_remove(self, args: Args) -> dict[str, Any]:
        channel, message = self._addressed_message(args)
        self.ws.unpin(channel.id, message["ts"])
        return {}

    def pins_list(self, args: Args) -> dict[str, Any]:
        channel = self._channel(args)
        items = [
            {
                "type": "message",
                "channel": channel.id,
                "message": self._public(channel.messages_by_ts[ts]),
                "created": pin["created"],
                "created_by": pin["created_by"],
            }
            for ts, pin in sorted(channel.pins.items(), key=lambda item: ts_key(item[0]))
            if ts in channel.messages_by_ts
        ]
        return {"items": items}

    @staticmethod
    def _reaction_name(args: Args) -> str:
        name = (args.text("name") or "").strip()
        if name.startswith(":") and name.endswith(":") and len(name) > 2:
            name = name[1:-1]
        if not name:
            raise SlackError("no_reaction" if "name" not in args else "invalid_name")
        if not REACTION_NAME.fullmatch(name):
            raise SlackError("invalid_name")
        return name

    def reactions_add(self, args: Args) -> dict[str, Any]:
        channel, message = self._addressed_message(args)
        self.ws.add_reaction(channel.id, message["ts"], BOT_USER_ID, self._reaction_name(args))
        return {}

    def reactions_remove(self, args: Args) -> dict[str, Any]:
        channel, message = self._addressed_message(args)
        self.ws.remove_reaction(channel.id, message["ts"], BOT_USER_ID, self._reaction_name(args))
        return {}

    def reactions_get(self, args: Args) -> dict[str, Any]:
        channel, message = self._addressed_message(args)
        return {"type": "message", "channel": channel.id, "message": self._public(message)}

    # -- users --------------------------------------------------------------------------

    def users_info(self, args: Args) -> dict[str, Any]:
        return {"user": self.ws.users[self._user(args.text("user"))].to_api()}

    def users_conversations(self, args: Args) -> dict[str, Any]:
        """A person's conversations (the caller's without `user`). Another person's private
        channels and direct messages are listed only where the caller is a member too;
        the objects leave out is_member and num_members, as Slack's do."""
        user = self._user(args.text("user") or BOT_USER_ID)
        types = set((args.text("types") or "public_channel").split(","))
        exclude_archived = args.flag("exclude_archived")

        def wanted(channel: Channel) -> bool:
            if (exclude_archived and channel.is_archived) or not channel.is_member(user):
                return False
            if channel.is_im:
                return "im" in types and channel.is_member(BOT_USER_ID)
            if channel.is_private:
                return "private_channel" in types and channel.is_member(BOT_USER_ID)
            return "public_channel" in types

        listed = [{key: value for key, value in c.to_api(BOT_USER_ID).items()
                   if key not in {"is_member", "num_members"}}
                  for c in self.ws.channels.values() if wanted(c)]
        page, cursor = self._page(args, listed, default=100, maximum=999)
        return {"channels": page, "response_metadata": {"next_cursor": cursor}}

    def users_list(self, args: Args) -> dict[str, Any]:
        members = [user.to_api() for user in self.ws.users.values()]
        page, cursor = self._page(args, members, default=200, maximum=1000)
        return {
            "members": page,
            "cache_ts": int(time.time()),
            "response_metadata": {"next_cursor": cursor},
        }

    def users_lookup_by_email(self, args: Args) -> dict[str, Any]:
        email = (args.text("email") or "").lower()
        for user in self.ws.users.values():
            if user.email is not None and user.email.lower() == email:
                return {"user": user.to_api()}
        raise SlackError("users_not_found")

    # -- views --------------------------------------------------------------------------

    @staticmethod
    def _view_argument(args: Args) -> dict[str, Any]:
        view = args.raw("view")
        if (
            not isinstance(view, dict)
            or not isinstance(view.get("type"), str)
            or not isinstance(view.get("blocks"), list)
        ):
            raise SlackError("invalid_arguments")
        if len(view["blocks"]) > 100:
            raise SlackError("invalid_arguments")
        return view

    def _render_view(
        self,
        view: dict[str, Any],
        view_id: str,
        *,
        root_view_id: str | None = None,
        previous_view_id: str | None = None,
    ) -> dict[str, Any]:
        rendered: dict[str, Any] = {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": view["type"],
            "blocks": copy.deepcopy(view["blocks"]),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": self.ws.new_view_hash(),
            "title": copy.deepcopy(view.get("title")),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": copy.deepcopy(view.get("close")),
            "submit": copy.deepcopy(view.get("submit")),
            "previous_view_id": previous_view_id,
            "root_view_id": root_view_id or view_id,
            "app_id": APP_ID,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
        }
        self.ws.views[view_id] = rendered
        return copy.deepcopy(rendered)

    def _check_external_id(self, view: dict[str, Any], replacing: str | None = None) -> None:
        external_id = view.get("external_id")
        if external_id and any(
            v["external_id"] == external_id and view_id != replacing
            for view_id, v in self.ws.views.items()
        ):
            raise SlackError("duplicate_external_id")

    def views_open(self, args: Args) -> dict[str, Any]:
        args.required("trigger_id")
        view = self._view_argument(args)
        self._check_external_id(view)
        return {"view": self._render_view(view, self.ws.new_view_id())}

    def views_push(self, args: Args) -> dict[str, Any]:
        args.required("trigger_id")
        view = self._view_argument(args)
        self._check_external_id(view)
        opened = [v for v in self.ws.views.values() if v["type"] == "modal"]
        previous = opened[-1] if opened else None
        return {
            "view": self._render_view(
                view,
                self.ws.new_view_id(),
                root_view_id=previous["root_view_id"] if previous else None,
                previous_view_id=previous["id"] if previous else None,
            )
        }

    def views_update(self, args: Args) -> dict[str, Any]:
        view_id = args.text("view_id")
        external_id = args.text("external_id")
        if view_id is None and external_id is None:
            raise SlackError("invalid_arguments")
        current = (
            self.ws.views.get(view_id or "")
            if view_id
            else next((v for v in self.ws.views.values() if v["external_id"] == external_id), None)
        )
        if current is None:
            raise SlackError("not_found")
        view = self._view_argument(args)
        if args.present("hash") and args.text("hash") != current["hash"]:
            raise SlackError("hash_conflict")
        self._check_external_id(view, replacing=current["id"])
        return {
            "view": self._render_view(
                view,
                current["id"],
                root_view_id=current["root_view_id"],
                previous_view_id=current["previous_view_id"],
            )
        }

    def views_publish(self, args: Args) -> dict[str, Any]:
        user_id = self._user(args.text("user_id"))
        view = self._view_argument(args)
        if view["type"] != "home":
            raise SlackError("invalid_arguments")
        existing = self.ws.home_views.get(user_id)
        rendered = self._render_view(view, existing["id"] if existing else self.ws.new_view_id())
        self.ws.home_views[user_id] = rendered
        return {"view": rendered}

    # -- files --------------------------------------------------------------------------

    def files_upload(self, args: Args) -> dict[str, Any]:
        # Slack retired files.upload; the SDK's files_upload_v2 is the supported path.
        raise SlackError("method_deprecated")

    def files_get_upload_url_external(self, args: Args) -> dict[str, Any]:
        filename = args.required("filename")
        length = args.integer("length", -1)
        if length < 0:
            raise SlackError("invalid_arguments")
        file = self.ws.new_file(filename, length, BOT_USER_ID)
        return {"upload_url": f"{self._base_url()}/upload/{file.id}", "file_id": file.id}

    def files_complete_upload_external(self, args: Args) -> dict[str, Any]:
        entries = args.raw("files")
        if not isinstance(entries, list) or not entries:
            raise SlackError("invalid_arguments")
        uploads = []
        for entry in entries:
            if not isinstance(entry, dict):
                raise SlackError("invalid_arguments")
            file = self.ws.files.get(str(entry.get("id", "")))
            if file is None or file.content is None:
                raise SlackError("file_not_found")
            uploads.append((file, entry.get("title")))
        channel = None
        if args.present("channel_id"):
            channel = self._writable_channel(args, "channel_id")
        elif args.present("channels"):
            channel = self._writable_channel(
                Args({"channel": args.user_list("channels")[0]}), "channel"
            )
        thread_ts = args.text("thread_ts")
        for file, title in uploads:
            file.title = str(title) if title else file.filename
            file.completed = True
        if channel is not None:
            message = self.ws.store_message(
                channel,
                BOT_USER_ID,
                args.text("initial_comment", "") or "",
                thread_ts=thread_ts,
                files=[file.to_api(self._base_url()) for file, _ in uploads],
                subtype="file_share",
            )
            kind = "im" if channel.is_im else "private" if channel.is_private else "public"
            for file, _ in uploads:
                file.shares.append(FileShare(channel.id, channel.name, kind, message["ts"]))
        # The whole file object, as Slack answers; its shares are made after the answer
        # (Slack scans files first), so the lists are still empty here: files.info has them.
        return {"files": [file.to_api(self._base_url(), shared=False) for file, _ in uploads]}

    def files_info(self, args: Args) -> dict[str, Any]:
        file = self.ws.files.get(args.text("file") or "")
        if file is None or not file.completed:
            raise SlackError("file_not_found")
        return {"file": file.to_api(self._base_url()), "comments": [], "paging": {}}

    # -- canvases -----------------------------------------------------------------------

    def _require_canvases(self) -> None:
        if not self._canvases_enabled():
            raise SlackError("canvas_disabled_user_team")

    @staticmethod
    def _markdown(document: Any, *, required: bool = False) -> str:
        if document is None and not required:
            return ""
        if (
            not isinstance(document, dict)
            or document.get("type") != "markdown"
            or not isinstance(document.get("markdown"), str)
        ):
            raise SlackError("invalid_arguments")
        markdown: str = document["markdown"]
        return markdown

    def canvases_create(self, args: Args) -> dict[str, Any]:
        self._require_canvases()
        markdown = self._markdown(args.raw("document_content"))
        channel_id = None
        if args.present("channel_id"):
            channel = self._writable_channel(args, "channel_id")
            channel_id = channel.id
        canvas = self.ws.new_canvas(args.text("title", "") or "", markdown, channel_id, BOT_USER_ID)
        return {"canvas_id": canvas.id}

    def conversations_canvases_create(self, args: Args) -> dict[str, Any]:
        self._require_canvases()
        channel = self._writable_channel(args, "channel_id")
        if channel.canvas_id is not None:
            raise SlackError("channel_canvas_already_exists")
        markdown = self._markdown(args.raw("document_content"))
        title = args.text("title") or channel.name
        canvas = self.ws.new_canvas(title, markdown, channel.id, BOT_USER_ID)
        channel.canvas_id = canvas.id
        return {"canvas_id": canvas.id}

    def canvases_edit(self, args: Args) -> dict[str, Any]:
        self._require_canvases()
        canvas = self.ws.canvases.get(args.text("canvas_id") or "")
        if canvas is None:
            raise SlackError("canvas_not_found")
        changes = args.raw("changes")
        if not isinstance(changes, list) or not changes:
            raise SlackError("invalid_arguments")
        markdown, title = canvas.markdown, canvas.title
        for change in changes:
            operation = change.get("operation") if isinstance(change, dict) else None
            if operation not in CANVAS_OPERATIONS:
                raise SlackError("invalid_arguments")
            assert isinstance(change, dict)
            if change.get("section_id") is not None:
                # Sections are not modelled; whole-document edits are what Sitrep uses.
                raise SlackError("canvas_editing_failed")
            if operation == "rename":
                title = self._markdown(change.get("title_content"), required=True)
                continue
            if operation in {"insert_after", "insert_before", "delete"}:
                raise SlackError("invalid_arguments")
            new = self._markdown(change.get("document_content"), required=True)
            if operation == "replace":
                markdown = new
            elif operation == "insert_at_start":
                markdown = new + ("\n" + markdown if markdown else "")
            else:
                markdown = (markdown + "\n" if markdown else "") + new
        canvas.markdown, canvas.title = markdown, title
        canvas.edits += 1
        return {}

    def canvases_delete(self, args: Args) -> dict[str, Any]:
        self._require_canvases()
        canvas = self.ws.canvases.pop(args.text("canvas_id") or "", None)
        if canvas is None:
            raise SlackError("canvas_not_found")
        for channel in self.ws.channels.values():
            if channel.canvas_id == canvas.id:
                channel.canvas_id = None
        return {}

    def canvases_access_set(self, args: Args) -> dict[str, Any]:
        self._require_canvases()
        canvas = self.ws.canvases.get(args.text("canvas_id") or "")
        if canvas is None:
            raise SlackError("canvas_not_found")
        level = args.required("access_level")
        if level not in {"read", "write", "owner"}:
            raise SlackError("invalid_arguments")
        targets = args.user_list("channel_ids") + args.user_list("user_ids")
        if not targets:
            raise SlackError("invalid_arguments")
        for target in targets:
            canvas.access[target] = level
        return {}


def permalink(channel_id: str, message: Message) -> str:
    """Slack's message link; replies carry the thread so the client opens it in place."""
    compact_ts = message["ts"].replace(".", "")
    link = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel_id}/p{compact_ts}"
    thread_ts = message.get("thread_ts")
    if thread_ts is not None and thread_ts != message["ts"]:
        link += f"?thread_ts={thread_ts}&cid={channel_id}"
    return link

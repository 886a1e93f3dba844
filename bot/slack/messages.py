"""Slack's message JSON (from the Web API or an event) read into the timeline's `ChannelMessage`.

Slack messages carry their words in several places — `text`, rich-text blocks,
attachments, files — and some have only some of them; this reduces any of them to the
text a person saw."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bot.domain.messages import ChannelMessage
from bot.slack.mrkdwn import readable

# Messages whose subtype means they are gone or are Slack's own notices.
GONE_SUBTYPES = frozenset({"tombstone", "message_deleted"})


def from_api(message: Mapping[str, Any]) -> ChannelMessage | None:
    """The message from a Web API answer or an event; None when it is a deleted one."""
    if message.get("subtype") in GONE_SUBTYPES:
        return None
    reactions = {str(r["name"]): tuple(str(u) for u in r.get("users", ()))
                 for r in message.get("reactions", ()) if r.get("name")}
    thread_ts = message.get("thread_ts")
    return ChannelMessage(
        ts=str(message["ts"]),
        text=message_text(message),
        author_id=message.get("user") or message.get("bot_id"),
        thread_ts=str(thread_ts) if thread_ts and thread_ts != message["ts"] else None,
        reactions=reactions,
        bot_name=(message.get("bot_profile") or {}).get("name") or message.get("username"),
    )


def message_text(message: Mapping[str, Any]) -> str:
    """What a reader saw: the rich text (or the plain `text`), then attachments, then file
    names, each on its own line."""
    parts = [_rich_text(message.get("blocks", ())) or readable(str(message.get("text") or ""),
                                                                keep_mentions=True)]
    for attachment in message.get("attachments", ()):
        parts.append(readable(str(attachment.get("text") or attachment.get("fallback")
                                  or attachment.get("title") or ""), keep_mentions=True))
    for file in message.get("files", ()):
        name = file.get("name") or file.get("title")
        if name:
            parts.append(f"[file: {name}]")
    return "\n".join(part for part in (p.strip() for p in parts) if part)


def _rich_text(blocks: Iterable[Mapping[str, Any]]) -> str:
    lines: list[str] = []
    for block in blocks:
        if block.get("type") == "rich_text":
            lines.append("".join(_element_text(e) for e in block.get("elements", ())))
    return "\n".join(line for line in lines if line.strip())


def _element_text(element: Mapping[str, Any]) -> str:
    kind = element.get("type")
    if kind == "text":
        return str(element.get("text", ""))
    if kind == "link":
        return str(element.get("text") or element.get("url", ""))
    if kind == "user":
        return f"<@{element.get('user_id')}>"
    if kind == "channel":
        return f"#{element.get('channel_id')}"
    if kind == "usergroup":
        return "@group"
    if kind == "broadcast":
        return f"@{element.get('range', 'here')}"
    if kind == "emoji":
        return f":{element.get('name')}:"
    if kind in {"rich_text_section", "rich_text_preformatted", "rich_text_quote"}:
        return "".join(_element_text(e) for e in element.get("elements", ())) + "\n"
    if kind == "rich_text_list":
        return "".join("• " + _element_text(e) for e in element.get("elements", ()))
    return ""

"""Text going to and coming from Slack: mentions in, safe mrkdwn out."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Final
from urllib.parse import quote

# Slack's limit on a section block's text.
SECTION_TEXT_LIMIT: Final = 3000

# With should_escape on, Slack sends a mention as <@U123|name> (the name part is optional
# and deprecated, so both forms must parse).
_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_BARE_SPECIAL_MENTION = re.compile(r"@(here|channel|everyone)\b", re.IGNORECASE)
_USER_MENTION_NAMED = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_LEADING_MENTION = re.compile(r"^\s*<@([UW][A-Z0-9]+)(?:\|[^>]*)?>\s*")


def escape(text: str) -> str:
    """Make user text inert in mrkdwn: Slack asks for &, < and > to be escaped.

    Escaping < and > is also what keeps `<!channel>`, `<!here>` and `<@U…>` typed into a
    title from pinging anybody when the bot repeats it."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # mrkdwn text objects that are not `verbatim` parse some bare mentions themselves; a
    # word joiner after the @ keeps "@here" readable and silent.
    return _BARE_SPECIAL_MENTION.sub(lambda m: f"@\u2060{m.group(1)}", escaped)


_STORED_MENTION = re.compile(r"(<@[UW][A-Z0-9]+>)")


def to_mrkdwn(stored: str) -> str:
    """Stored text (plain, with `<@U…>` where a person was named) as safe mrkdwn: the
    people named are still mentioned; everything else is inert."""
    parts = _STORED_MENTION.split(stored)
    return "".join(part if index % 2 else escape(part) for index, part in enumerate(parts))


def unescape(text: str) -> str:
    """Slack's escaped text back to what the person typed (for storage and documents)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# Characters a URL may keep as they are inside `<url|text>`: everything RFC 3986 allows
# (and `%`, so what is encoded already stays so), but not `<`, `>` or `|`, which end the
# link and would let the rest be read as mrkdwn (`<!channel>`, `<@U…>`), nor white space.
_URL_SAFE = "/:?#[]@!$&'()*+,;=%~"


def link(url: str | None, shown: str) -> str:
    """`shown` (safe mrkdwn already) linked to a URL that came from outside Sitrep (an
    alert's generatorURL, a page's link, a permalink). Only http(s) URLs are linked; the
    URL is percent-encoded where Slack would read it as the end of the link."""
    if not url or not url.strip().lower().startswith(("http://", "https://")):
        return shown
    return f"<{quote(url.strip(), safe=_URL_SAFE)}|{shown}>"


def mention(user_id: str) -> str:
    return f"<@{user_id}>"


def channel_link(channel_id: str) -> str:
    return f"<#{channel_id}>"


def clip(mrkdwn: str, limit: int = SECTION_TEXT_LIMIT) -> str:
    """Cut escaped text to Slack's limit without splitting an `&amp;` or a `<@U…>`.

    Escaping can make text up to five times longer than what the person typed, so the
    check happens here, after escaping, not on the input."""
    if len(mrkdwn) <= limit:
        return mrkdwn
    cut = mrkdwn[:limit - 1]
    # An unclosed `<` can only be a link or a mention cut short (text is escaped): the
    # whole of it goes, however long its URL, rather than show Slack a broken link.
    cut = re.sub(r"(&[a-z]{0,3}|<[^>]*)$", "", cut)
    return cut + "…"


def slack_time(moment: datetime, *, with_date: bool = True) -> str:
    """A time each reader sees in their own Slack time zone; the fallback text is UTC."""
    epoch = int(moment.timestamp())
    shown, fallback = (("{date_short_pretty} {time}", "%Y-%m-%d %H:%M") if with_date
                       else ("{time}", "%H:%M"))
    return f"<!date^{epoch}^{shown}|{moment.astimezone(UTC).strftime(fallback)} UTC>"


def split_leading_mention(text: str) -> tuple[str | None, str]:
    """`<@U1|bob> rest` → ("U1", "rest"); text without a leading mention → (None, text)."""
    match = _LEADING_MENTION.match(text)
    if match is None:
        return None, text.strip()
    return match.group(1), text[match.end():].strip()


def split_trailing_mention(text: str) -> tuple[str, str | None]:
    """`fix the alert <@U1|bob>` → ("fix the alert", "U1")."""
    stripped = text.rstrip()
    matches = list(_USER_MENTION.finditer(stripped))
    if matches and matches[-1].end() == len(stripped):
        last = matches[-1]
        return stripped[:last.start()].strip(), last.group(1)
    return stripped.strip(), None


_SPECIAL_MENTION = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")
_CHANNEL_LINK = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
_SUBTEAM = re.compile(r"<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>")


def readable(text: str, *, keep_mentions: bool = False) -> str:
    """Slack's escaped, marked-up text as a person reads it, for storage and documents.

    `<!here>` becomes `@here`, links their label or address, and `<@U1|bob>` becomes
    `@bob` — or, with `keep_mentions`, the bare `<@U1>` that later rendering turns into a
    mention in Slack and a name in documents. `escape`/`to_mrkdwn` make it safe again on
    the way out."""
    text = _USER_MENTION_NAMED.sub(
        lambda m: f"<@{m.group(1)}>" if keep_mentions else f"@{m.group(2) or m.group(1)}", text)
    text = _SPECIAL_MENTION.sub(lambda m: f"@{m.group(1)}", text)
    text = _SUBTEAM.sub(lambda m: f"@{m.group(1) or 'group'}", text)
    text = _CHANNEL_LINK.sub(lambda m: f"#{m.group(2) or m.group(1)}", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    return unescape(text)

"""How the dashboard shows things: its Jinja2 templates (escaping everything by default),
times in the team's zone, durations, and retrospectives from Markdown to HTML with
markdown-it-py, raw HTML off (a retrospective holds text people wrote in Slack)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

from bot.domain.vocabulary import label, severity_label

# CommonMark with tables (the retrospective's key times are one); "html": False turns any
# raw HTML in the text into escaped text, and markdown-it refuses javascript: links.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown_html(markdown: str, *, top_heading: int = 3) -> Markup:
    """The document as HTML, its headings moved down to start at `top_heading` (it sits
    under the page's own headings, and a page has one h1)."""
    tokens = _MARKDOWN.parse(markdown)
    for token in tokens:
        if token.type in {"heading_open", "heading_close"}:
            token.tag = f"h{min(6, int(token.tag[1:]) + top_heading - 1)}"
    return Markup(_MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {}))


def templates(timezone: ZoneInfo) -> Environment:
    env = Environment(loader=PackageLoader("bot.web", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)

    def local(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return local_time(moment, timezone, fmt)

    def iso(moment: datetime | date | None) -> str:
        return "" if moment is None else moment.isoformat()

    env.filters.update(local=local, iso=iso, duration=duration, label=label,
                       severity=severity_label, web_link=web_link)
    env.globals["timezone"] = str(timezone)
    return env


def local_time(moment: datetime | None, timezone: ZoneInfo,
               fmt: str = "%Y-%m-%d %H:%M") -> str:
    """`moment` as the team reads it, in its time zone."""
    return "" if moment is None else moment.astimezone(timezone).strftime(fmt)


def duration(start: datetime | None, end: datetime | None) -> str:
    """`2 h 05 min`, `14 min`, `3 d 4 h`: how long between two moments."""
    if start is None or end is None:
        return ""
    seconds = max(0, int((end - start) / timedelta(seconds=1)))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min"


def web_link(url: str | None) -> str | None:
    """`url` when it is a web address; anything else (a `javascript:` link) is not linked."""
    if url and url.startswith(("https://", "http://")):
        return url
    return None


def render(env: Environment, template: str, values: Mapping[str, Any]) -> str:
    return env.get_template(template).render(**values)

"""The retrospective document: facts in, blameless Markdown out.

`Renderer` fills a Jinja2 template with `RetroFacts`. The template ships with the package
(bot/retro/templates/retrospective.md.j2); a team can point SITREP_RETRO_TEMPLATE at its own
copy. Text that came from Slack is escaped by the template's `md` filters, so a message
cannot break the document's structure."""

from __future__ import annotations

import re
import traceback
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2

from bot.core.durations import humanize
from bot.core.settings import ConfigError, Settings
from bot.domain.vocabulary import Role, kind_label
from bot.retro.facts import MENTION as _MENTION
from bot.retro.facts import Entry, RetroFacts
from bot.retro.samples import bare_facts, realistic_facts, sample_facts

DEFAULT_TEMPLATE = Path(__file__).with_name("templates") / "retrospective.md.j2"
# CommonMark's punctuation that can start or end structure inside a line; & because
# `&lt;` typed in Slack would otherwise render as "<".
_MD_INLINE = re.compile(r"([\\`*_{}\[\]<>#|~!&])")
# What makes a line a heading, quote, list item or rule when it starts the line.
_MD_LINE_MARKER = re.compile(r"^([>+\-=])")
_MD_ORDERED_ITEM = re.compile(r"^(\d+)([.)])")


def md(text: object) -> str:
    """One line of text from Slack, inert in Markdown: newlines become " / ", and every
    character that could open emphasis, a link, code, a table cell or HTML is escaped."""
    one_line = " / ".join(part.strip() for part in str(text).splitlines() if part.strip())
    return _MD_INLINE.sub(r"\\\1", one_line)


def md_block(text: object) -> str:
    """Paragraphs from Slack: lines kept, each made inert, including at its start."""
    lines = []
    for line in str(text).splitlines():
        # Leading spaces would make an indented code block.
        escaped = _MD_INLINE.sub(r"\\\1", line.lstrip())
        escaped = _MD_LINE_MARKER.sub(r"\\\1", escaped)
        lines.append(_MD_ORDERED_ITEM.sub(r"\1\\\2", escaped))
    return "\n".join(lines)


def _url(value: object) -> str:
    # Parentheses and spaces would end a Markdown link early.
    return str(value).replace(" ", "%20").replace("(", "%28").replace(")", "%29")


# --- rendering ------------------------------------------------------------------------------

class RenderFailed(Exception):
    """The template failed on an incident's facts: which template, at which of its lines
    (when Jinja2 knows), and what it said."""

    def __init__(self, template: Path, line: int | None, error: BaseException) -> None:
        self.template = template
        self.line = line
        self.cause = f"{type(error).__name__}: {error}"
        super().__init__(f"{self.where}: {self.cause}")

    @property
    def where(self) -> str:
        return f"{self.template}" + (f" line {self.line}" if self.line is not None else "")


class Renderer:
    def __init__(self, template_path: Path | None, zone: ZoneInfo) -> None:
        self.zone = zone
        path = template_path or DEFAULT_TEMPLATE
        self.path = path
        environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(path.parent)),
            undefined=jinja2.StrictUndefined, autoescape=False,
            keep_trailing_newline=True, trim_blocks=False, lstrip_blocks=False)
        environment.filters.update({
            "md": md, "md_block": md_block, "url": _url, "kind": kind_label,
            "person": _person, "mentions": _mentions,
            "duration": self._duration,
            "local_datetime": self._local_datetime, "local_time": self._local_time,
        })
        self.environment = environment
        self.template = environment.get_template(path.name)

    def render(self, facts: RetroFacts, *, version: int, generated_at: datetime) -> str:
        """The document; `RenderFailed` when the template fails on these facts (a team's
        template may hold any expression, so anything it raises is its failure)."""
        entries = [Entry(e.occurred_at, e.kind, _named(e.author, facts.people), e.text,
                         e.permalink, e.comment) for e in facts.entries]
        moments = [e.occurred_at for e in entries] + [facts.incident.started_at]
        spans_days = (max(moments).astimezone(self.zone).date()
                      != min(moments).astimezone(self.zone).date())
        handovers = sum(1 for span in facts.roles if span.role == Role.COMMANDER) - 1
        try:
            return self.template.render(
                incident=facts.incident, roles=facts.roles, entries=entries,
                actions=facts.actions, handovers=max(handovers, 0), spans_days=spans_days,
                version=version, people=facts.people, generated_at=generated_at,
                zone_name=_zone_name(self.zone, facts.incident.started_at))
        except Exception as error:
            raise RenderFailed(self.path, _template_line(error, self.path.parent),
                               error) from error

    @staticmethod
    def _duration(value: timedelta | None) -> str:
        return humanize(value) if value is not None else "—"

    def _local_datetime(self, moment: datetime | None) -> str:
        if moment is None:
            return "—"
        local = moment.astimezone(self.zone)
        return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"

    def _local_time(self, moment: datetime, with_day: bool = False) -> str:
        local = moment.astimezone(self.zone)
        return f"{local:%a %d %b %H:%M}" if with_day else f"{local:%H:%M}"


def _named(text: str, people: Mapping[str, str]) -> str:
    return _MENTION.sub(lambda m: f"@{people.get(m.group(1), m.group(1))}", text)


@jinja2.pass_context
def _person(context: jinja2.runtime.Context, user_id: object) -> str:
    """A user id as the name Slack shows, from the document's `people`."""
    people: Mapping[str, str] = context.get("people") or {}
    return f"@{people.get(str(user_id), str(user_id))}"


@jinja2.pass_context
def _mentions(context: jinja2.runtime.Context, text: object) -> str:
    """`<@U…>` in stored text as @name."""
    return _named(str(text), context.get("people") or {})


def _zone_name(zone: ZoneInfo, moment: datetime) -> str:
    abbreviation = moment.astimezone(zone).tzname()
    return zone.key if abbreviation in {None, zone.key} else f"{zone.key} ({abbreviation})"


def _template_line(error: BaseException, folder: Path) -> int | None:
    """The template line at fault: Jinja2 rewrites a render's traceback so that the
    template's own frames carry its file name and line; the innermost of those is the one."""
    lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__)
             if not frame.filename.endswith(".py")
             and Path(frame.filename).is_relative_to(folder)]
    return lines[-1] if lines else None


def renderer_for(settings: Settings) -> Renderer:
    """The team's renderer, checked now: a template that does not load, or fails on a
    sample incident, stops start-up with a clear error instead of failing at a resolve.
    The samples are a small incident, a realistic one (the team's own timeline kinds
    included) and a bare one: a template must cope with what real incidents hold and with
    what is missing."""
    path = settings.retro_template
    if path is not None and not path.is_file():
        raise ConfigError(f"SITREP_RETRO_TEMPLATE points at {path}, which is not a file.")
    shown = path or DEFAULT_TEMPLATE
    try:
        renderer = Renderer(path, settings.timezone)
    except Exception as error:
        where = f" (line {error.lineno})" if isinstance(error, jinja2.TemplateSyntaxError) \
            else ""
        raise ConfigError(f"SITREP_RETRO_TEMPLATE {shown} is broken{where}: "
                          f"{type(error).__name__}: {error}") from error
    # The realistic incident was reopened: its document is a second version.
    samples = ((sample_facts(), 1), (realistic_facts(settings.timeline_emoji.values()), 2),
               (bare_facts(), 1))
    for sample, version in samples:
        try:
            renderer.render(sample, version=version, generated_at=sample.incident.started_at)
        except RenderFailed as failed:
            where = f" (line {failed.line})" if failed.line is not None else ""
            raise ConfigError(f"SITREP_RETRO_TEMPLATE {shown} is broken{where}: it fails on "
                              f"a sample incident: {failed.cause}") from failed
    return renderer

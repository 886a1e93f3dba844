"""The `/incident` grammar: which subcommands exist and how the text after them splits.

Plain values in, plain values out, so the grammar is tested without Slack. What the bot
says about the grammar (help, mistakes) is `wording`'s."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from bot.core import durations
from bot.domain.action_items import parse_due
from bot.domain.errors import InvalidInput
from bot.domain.incidents import parse_severity
from bot.slack import insights_wording, reminder_wording, wording
from bot.slack.mrkdwn import readable, split_leading_mention, split_trailing_mention


class Subcommand(NamedTuple):
    name: str
    arguments: str  # as `help` spells what follows the name


# Only subcommands that really work are listed, so `help` never promises what Sitrep can't do.
# The order is `help`'s; what each one does is in wording.SUBCOMMAND_SUMMARIES.
SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand("start", "[--private] [sev1-4] <title>"),
    Subcommand("commander", "@person"),
    Subcommand("handover", "@person"),
    Subcommand("role", "<role> @person"),
    Subcommand("sev", "<1-4>"),
    Subcommand("status", "<investigating|identified|monitoring|resolved>"),
    Subcommand("update", "<text>"),
    Subcommand("snooze", "<duration>"),
    Subcommand("note", "<text>"),
    Subcommand("action", "<text> [@owner] [due YYYY-MM-DD]"),
    Subcommand("actions", ""),
    Subcommand("timeline", ""),
    Subcommand("resolve", "[summary]"),
    Subcommand("reopen", ""),
    Subcommand("reviewed", ""),
    Subcommand("stats", "[chart]"),
    Subcommand("help", ""),
)

_BY_NAME = {subcommand.name: subcommand for subcommand in SUBCOMMANDS}


@dataclass(frozen=True)
class ParsedCommand:
    name: str
    rest: str


class UnknownSubcommand(Exception):
    def __init__(self, word: str) -> None:
        super().__init__(word)
        self.word = word


def parse(text: str) -> ParsedCommand:
    """Split `/incident` text into a known subcommand and the rest, as typed.

    An empty command means `help`: a person who types just `/incident` wants to know what
    they can do."""
    word, _, rest = text.strip().partition(" ")
    name = word.lower() or "help"
    if name not in _BY_NAME:
        raise UnknownSubcommand(word)
    return ParsedCommand(name=name, rest=rest.strip())


class UsageError(InvalidInput):
    """The words after the subcommand don't fit its grammar; the message shows how."""


# `sev2`, `SEV-2`, `sev 2`: a severity. `sev9` is a mistyped one (refused, not a title);
# "Several users…" or "Severe latency…" are titles.
_LEADING_SEVERITY = re.compile(r"^sev\s*-?\s*(\d+)(?:\s+|$)", re.IGNORECASE)
# `--private`; macOS and iOS turn a typed `--` into a dash, which means the same.
_PRIVATE = re.compile(r"^(?:--|\u2014|\u2013)private(?:\s+|$)", re.IGNORECASE)
_LOOKS_LIKE_NAME = re.compile(r"^@\S+")


@dataclass(frozen=True)
class StartRequest:
    severity: int | None
    title: str  # as the person typed it
    private: bool


def parse_start(rest: str) -> StartRequest:
    """`[--private] [sev1-4] <title>`, the two options in either order."""
    rest = rest.strip()
    severity: int | None = None
    private = False
    while True:
        flag = None if private else _PRIVATE.match(rest)
        found = None if severity is not None else _LEADING_SEVERITY.match(rest)
        if flag:
            private, rest = True, rest[flag.end():]
        elif found:
            severity, rest = parse_severity(found.group(1)), rest[found.end():]
        else:
            return StartRequest(severity=severity, title=readable(rest.strip()),
                                private=private)


def parse_person(rest: str, subcommand: str) -> str:
    """The one person a command is about, from Slack's escaped mention `<@U123|name>`."""
    user_id, after = split_leading_mention(rest)
    if user_id is None:
        typed = rest.strip().split(" ")[0]
        if _LOOKS_LIKE_NAME.match(typed):
            raise UsageError(wording.no_such_person(typed, subcommand))
        raise UsageError(wording.who_should_it_be(subcommand))
    if after:
        raise UsageError(wording.one_person_only(subcommand))
    return user_id


def parse_role(rest: str) -> tuple[str, str]:
    role, _, person = rest.strip().partition(" ")
    if not role:
        raise UsageError(wording.WHICH_ROLE)
    return role.lower(), parse_person(person, f"role {role.lower()}")


# `due 2026-12-04` at the end; a word after `due` with a digit in it is meant as a date
# (and refused if it is not one), while "…that was due yesterday" stays text.
_TRAILING_DUE = re.compile(r"(?:^|\s)due\s+(\S*\d\S*)$", re.IGNORECASE)


@dataclass(frozen=True)
class ActionRequest:
    text: str  # as typed, people named kept as mentions
    owner_id: str | None
    due_on: date | None


def parse_action(rest: str) -> ActionRequest:
    """`<text> [@owner] [due YYYY-MM-DD]`: a mention at the very end names the owner, and
    `due` with a day sets when it is due; the two may come in either order."""
    text, owner = split_trailing_mention(rest)
    due_on = None
    found = _TRAILING_DUE.search(text)
    if found is not None:
        due_on = parse_due(found.group(1))
        text = text[:found.start()].rstrip()
        if owner is None:
            text, owner = split_trailing_mention(text)
    return ActionRequest(text=readable(text, keep_mentions=True), owner_id=owner,
                         due_on=due_on)


def parse_snooze(rest: str) -> timedelta | None:
    """`30m`, `2h`, `1d`…; `off` turns the reminders back on (None)."""
    if not rest.strip():
        raise UsageError(reminder_wording.SNOOZE_USAGE)
    try:
        return durations.parse(rest)
    except durations.BadDuration:
        raise UsageError(reminder_wording.SNOOZE_USAGE) from None


def parse_stats(rest: str) -> bool:
    """`[chart]`: whether the heat map is wanted too."""
    word = rest.strip().lower()
    if word not in {"", "chart"}:
        raise UsageError(insights_wording.STATS_USAGE)
    return word == "chart"


def usage() -> str:
    return wording.usage(SUBCOMMANDS)


def unknown_subcommand_reply(word: str) -> str:
    return wording.unknown_subcommand(word, SUBCOMMANDS)

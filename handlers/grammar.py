"""The `/incident` grammar: which subcommands exist and how the text after them splits.

Plain values in, plain values out, so the grammar is tested without Slack."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.errors import InvalidInput
from bot.domain.incidents import parse_severity
from bot.slack.mrkdwn import readable, split_leading_mention, split_trailing_mention

COMMAND = "/incident"


@dataclass(frozen=True)
class Subcommand:
    name: str
    arguments: str
    summary: str

    def usage_line(self) -> str:
        spelled = f"{COMMAND} {self.name} {self.arguments}".rstrip()
        return f"`{spelled}` — {self.summary}"


# Only subcommands that really work are listed, so `help` never promises what Sitrep can't do.
SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand("start", "[sev1-4] <title>", "open an incident and its channel "
               "(no title opens a form)"),
    Subcommand("commander", "@person", "hand the incident commander role over"),
    Subcommand("handover", "@person", "hand over to the next commander, with a brief of "
               "the incident so far"),
    Subcommand("role", "<role> @person", "assign a role, e.g. comms, scribe or ops"),
    Subcommand("sev", "<1-4>", "change the severity (1 is the most severe)"),
    Subcommand("status", "<investigating|identified|monitoring|resolved>",
               "change the status"),
    Subcommand("update", "<text>", "post a status update here and to the announce channel"),
    Subcommand("note", "<text>", "add a line to the timeline"),
    Subcommand("action", "<text> [@owner]", "record a follow-up action item"),
    Subcommand("timeline", "", "show the timeline so far, only to you"),
    Subcommand("resolve", "[summary]", "resolve the incident"),
    Subcommand("reopen", "", "reopen a resolved incident"),
    Subcommand("help", "", "show this help"),
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
_LOOKS_LIKE_NAME = re.compile(r"^@\S+")


def parse_start(rest: str) -> tuple[int | None, str]:
    """`[sev1-4] <title>` → (severity or None, the title as the person typed it)."""
    rest = rest.strip()
    found = _LEADING_SEVERITY.match(rest)
    if found:
        return parse_severity(found.group(1)), readable(rest[found.end():].strip())
    return None, readable(rest)


def parse_person(rest: str, subcommand: str) -> str:
    """The one person a command is about, from Slack's escaped mention `<@U123|name>`."""
    user_id, after = split_leading_mention(rest)
    example = f"`{COMMAND} {subcommand} @name`"
    if user_id is None:
        typed = rest.strip().split(" ")[0]
        if _LOOKS_LIKE_NAME.match(typed):
            raise UsageError(f"I can't find a Slack user called `{typed}`. Pick the person "
                             f"from the @ list as you type: {example}.")
        raise UsageError(f"Who should it be? Mention them: {example}.")
    if after:
        raise UsageError(f"Mention exactly one person and nothing else: {example}.")
    return user_id


def parse_role(rest: str) -> tuple[str, str]:
    role, _, person = rest.strip().partition(" ")
    if not role:
        raise UsageError(f"Which role, and who? `{COMMAND} role <role> @name`.")
    return role.lower(), parse_person(person, f"role {role.lower()}")


def parse_action(rest: str) -> tuple[str, str | None]:
    """`<text> [@owner]`: a mention at the very end names the owner."""
    text, owner = split_trailing_mention(rest)
    return readable(text, keep_mentions=True), owner


def usage() -> str:
    lines = [f"*Sitrep* keeps the books during an incident. Use `{COMMAND}` like this:"]
    lines += [f"• {subcommand.usage_line()}" for subcommand in SUBCOMMANDS]
    return "\n".join(lines)


def unknown_subcommand_reply(word: str) -> str:
    shown = word if len(word) <= 40 else word[:39] + "…"
    return f"I don't know `{COMMAND} {shown}`.\n\n{usage()}"

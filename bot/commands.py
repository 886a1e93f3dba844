"""The `/incident` grammar: which subcommands exist and how the text after them splits.

Plain values in, plain values out, so the grammar is tested without Slack."""

from __future__ import annotations

from dataclasses import dataclass

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


def usage() -> str:
    lines = [f"*Sitrep* keeps the books during an incident. Use `{COMMAND}` like this:"]
    lines += [f"• {subcommand.usage_line()}" for subcommand in SUBCOMMANDS]
    return "\n".join(lines)


def unknown_subcommand_reply(word: str) -> str:
    shown = word if len(word) <= 40 else word[:39] + "…"
    return f"I don't know `{COMMAND} {shown}`.\n\n{usage()}"

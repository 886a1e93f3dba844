"""Label matchers as Alertmanager writes them: `name=value`, `name!=value`, `name=~regex`,
`name!~regex`, separated by commas (all must match). A regex matches the whole value, as in
Alertmanager, and a label that is absent counts as the empty string, so `team!=sandbox`
matches a group without a `team` label. A value may be double-quoted, for one holding a
comma: `summary=~"a,b"`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_NAME = r"[a-zA-Z_][a-zA-Z0-9_]*"
_MATCHER = re.compile(rf'\s*({_NAME})\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|[^,"]*?)\s*(?:,|$)')


@dataclass(frozen=True)
class Matcher:
    name: str
    op: str
    value: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        have = labels.get(self.name, "")
        if self.op == "=":
            return have == self.value
        if self.op == "!=":
            return have != self.value
        found = re.fullmatch(self.value, have) is not None
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        return f'{self.name}{self.op}"{self.value}"'


@dataclass(frozen=True)
class Matchers:
    """All of them must match; none at all matches everything."""

    matchers: tuple[Matcher, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(matcher.matches(labels) for matcher in self.matchers)

    def __str__(self) -> str:
        return ",".join(map(str, self.matchers)) or "(every group)"


def parse_matchers(text: str) -> Matchers:
    """Raises ValueError with a sentence naming the piece that is wrong."""
    matchers: list[Matcher] = []
    position, text = 0, text.strip()
    while position < len(text):
        found = _MATCHER.match(text, position)
        if found is None or found.end() == position:
            rest = text[position:].split(",")[0].strip()
            raise ValueError(f"{rest!r} is not a label matcher; write name=value, "
                             "name!=value, name=~regex or name!~regex, separated by commas")
        name, op, value = found.group(1), found.group(2), found.group(3)
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        if op in {"=~", "!~"}:
            try:
                re.compile(value)
            except re.error as bad:
                raise ValueError(f"{name}{op}{value}: the regex is wrong ({bad})") from None
        matchers.append(Matcher(name, op, value))
        position = found.end()
    return Matchers(tuple(matchers))

"""Incident channel names: `inc-<N>-<slug of the title>` (`SITREP_CHANNEL_PREFIX` for
another word than `inc`), always valid in Slack.

Slack allows lowercase letters, digits, `-` and `_`, at most 80 characters. python-slugify
transliterates accents and non-Latin script (Ünïcödé → unicode, 東京 → dong-jing), drops
emoji, and cuts at a word boundary."""

from __future__ import annotations

from collections.abc import Iterator

from slugify import slugify

PREFIX = "inc"
MAX_LENGTH = 80
# Channel names with a short, readable slug are easier to type in a hurry than the full
# title; the full title lives on the card and in the topic.
SLUG_WORDS_MAX_LENGTH = 40


def channel_name(number: int, title: str, *, prefix: str = PREFIX, attempt: int = 0) -> str:
    """The name for incident `number`; `attempt` > 0 gives the alternatives tried after
    `name_taken` (a suffix, so the name still says which incident it is)."""
    head = f"{prefix}-{number}"
    suffix = f"-{attempt + 1}" if attempt else ""
    room = min(SLUG_WORDS_MAX_LENGTH, MAX_LENGTH - len(head) - len(suffix) - 1)
    slug = slugify(title, max_length=room, word_boundary=True, save_order=True,
                   lowercase=True, separator="-")
    name = f"{head}-{slug}" if slug else head
    return f"{name}{suffix}"


def candidate_names(number: int, title: str, *, attempts: int,
                    prefix: str = PREFIX) -> Iterator[str]:
    for attempt in range(attempts):
        yield channel_name(number, title, prefix=prefix, attempt=attempt)

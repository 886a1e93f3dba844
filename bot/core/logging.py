"""Sitrep's log: lines for people (`text`) or one JSON object a line for a log collector
(`json`), at `SITREP_LOG_LEVEL`. A line written while the bot handles a Slack request or
event carries the request's or event's id and the team; the lines about an incident carry
its number too (`bot/usecases/incident_log.py`)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import IO

# What a line may say about where it comes from, in this order in a text line.
CONTEXT_FIELDS = ("incident", "team", "request_id", "event_id")
_NOTHING: Mapping[str, object] = {}
_context: ContextVar[Mapping[str, object]] = ContextVar("sitrep_log_context", default=_NOTHING)

# Libraries whose INFO lines say nothing an operator acts on (alembic names its dialect at
# every start, and its plugins as it is imported, which the command line now does after
# logging is set up); their warnings still show.
_CHATTY = ("alembic",)


def bind(**fields: object) -> None:
    """The fields every line carries from here on, in this task and the tasks it starts,
    replacing any bound before: a request's context never leaks into the next one's."""
    _context.set({name: value for name, value in fields.items() if value is not None})


@contextmanager
def context(**fields: object) -> Iterator[None]:
    """Lines written inside also carry `fields` (those that are not None)."""
    token = _context.set({**_context.get(),
                          **{name: value for name, value in fields.items()
                             if value is not None}})
    try:
        yield
    finally:
        _context.reset(token)


class _ContextFields(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _context.get().items():
            # A field given with the line itself (`extra=`) wins.
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class TextFormatter(logging.Formatter):
    """`time LEVEL logger: message [incident=4 team=T1 request_id=…]`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        fields = [f"{name}={getattr(record, name)}" for name in CONTEXT_FIELDS
                  if getattr(record, name, None) is not None]
        return f"{line} [{' '.join(fields)}]" if fields else line


def json_formatter() -> logging.Formatter:
    # Imported here: only `serve` with SITREP_LOG_FORMAT=json needs it.
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                         rename_fields={"asctime": "time", "levelname": "level",
                                        "name": "logger"})


def configure(*, log_format: str, level: str, stream: IO[str] | None = None) -> None:
    """Send every line to `stream` (stderr) in `log_format` at `level`, instead of the
    handler an earlier call set up."""
    handler = _SitrepHandler(stream or sys.stderr)
    handler.setFormatter(json_formatter() if log_format == "json" else TextFormatter())
    handler.addFilter(_ContextFields())
    root = logging.getLogger()
    for old in [old for old in root.handlers if isinstance(old, _SitrepHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    chatty_level = logging.DEBUG if level == "DEBUG" else logging.WARNING
    for name in _CHATTY:
        logging.getLogger(name).setLevel(chatty_level)


class _SitrepHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler `configure` sets up, told apart from any other on the root logger."""


def configure_for_command(log_format: str, log_level: str, *, serving: bool,
                          verbose: bool) -> None:
    """`sitrep serve` logs at `SITREP_LOG_LEVEL`; a one-shot command (`retro`, `db …`)
    only says what went wrong, unless asked for more (`-v`, or the level DEBUG)."""
    if serving or log_level == "DEBUG":
        level = log_level
    elif verbose:
        level = "INFO"
    else:
        level = max(log_level, "WARNING", key=logging.getLevelName)
    configure(log_format=log_format, level=level)

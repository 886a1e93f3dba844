"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database.

    SQLite has no time zone type and hands back naive values; without this, the same column
    would compare differently on SQLite and PostgreSQL. Naive datetimes are refused on the
    way in because their zone is a guess."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware time")
        utc = value.astimezone(UTC)
        # SQLite stores text; naive UTC keeps that text sortable and usable by strftime().
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _without_nul(value: str | None) -> str | None:
    # PostgreSQL's text cannot hold U+0000 (SQLite can); Slack text may carry it. Removed
    # on the way in, on both, so every path that stores text behaves the same.
    return value.replace("\x00", "") if value is not None else None


class NulFreeText(TypeDecorator[str]):
    """Text with NUL characters removed on the way in."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return _without_nul(value)


class NulFreeString(TypeDecorator[str]):
    """A bounded string (ids, names) with NUL characters removed on the way in."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return _without_nul(value)

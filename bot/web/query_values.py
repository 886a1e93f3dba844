"""Numbers and days as people (and scripts) write them in the dashboard's addresses.

`str.isdigit` says yes to digits `int` refuses ("²") and to numbers past any database
integer; a date may be one whose next day or UTC instant Python cannot make (9999-12-31,
0001-01-01). Each of these once turned a typo into a 500, so every value a query carries
is read here, and anything else is "not given"."""

from __future__ import annotations

from datetime import date

# Past this a number is a typo, not a page, a version or an incident (9 digits, as the
# incident route allows).
MOST = 999_999_999
# Days a history can hold: an imported incident from 1999, a filter up to the far future.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


def whole_number(written: str, *, least: int = 1, most: int = MOST) -> int | None:
    """`written` as a whole number in [least, most] (ASCII digits only), else None."""
    written = written.strip()
    if not (written.isascii() and written.isdigit()) or len(written) > len(str(most)):
        return None
    number = int(written)
    return number if least <= number <= most else None


def day(written: str) -> date | None:
    """A calendar day written YYYY-MM-DD, between FIRST_DAY and LAST_DAY, else None."""
    try:
        parsed = date.fromisoformat(written.strip())
    except ValueError:
        return None
    return parsed if FIRST_DAY <= parsed <= LAST_DAY else None


def plain_text(written: str, *, longest: int) -> str:
    """Search text without control characters (PostgreSQL refuses a NUL in a query's
    parameters), at most `longest` characters."""
    kept = "".join(c for c in written if c.isprintable() or c == " ")
    return kept.strip()[:longest]

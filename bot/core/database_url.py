"""`DATABASE_URL` as operators write it, turned into the async URL SQLAlchemy needs.

Hosting providers hand out `postgres://…` and `postgresql://…`; both mean asyncpg here, as
a bare `sqlite://` means aiosqlite. Anything else names a driver Sitrep does not ship."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

ASYNC_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}
_EXAMPLES = ("sqlite+aiosqlite:///sitrep.db or "
             "postgresql+asyncpg://user:password@host:5432/sitrep")


def async_database_url(written: str) -> str:
    """The URL with its async driver; ValueError (fit to show) for one Sitrep cannot use."""
    try:
        url = make_url(written.strip())
    except ArgumentError:
        raise ValueError(f"it is not a database URL; write {_EXAMPLES}") from None
    backend = "postgresql" if url.drivername == "postgres" else url.get_backend_name()
    driver = ASYNC_DRIVERS.get(backend)
    if driver is None:
        raise ValueError(f"Sitrep stores its data in SQLite or PostgreSQL, not "
                         f"{url.drivername!r}; write {_EXAMPLES}")
    named = url.drivername.partition("+")[2]
    if named and named != driver:
        raise ValueError(f"the {named} driver is not installed; write {backend}+{driver}://… "
                         f"(or {backend}://…, which means {driver})")
    return url.set(drivername=f"{backend}+{driver}").render_as_string(hide_password=False)


def shown(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def sqlite_path(url: str) -> str | None:
    """The file an SQLite URL names (None for PostgreSQL or an in-memory database)."""
    parsed: URL = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return parsed.database

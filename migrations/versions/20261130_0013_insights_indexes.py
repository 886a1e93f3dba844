"""indexes that keep `sitrep stats` quick on a long history

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 11:00:00

- `ix_incident_created_at`: a window of the history (`--since`/`--until`, the last 90 days
  of `/incident stats`) reads only its own incidents.
- SQLite only, on the durations themselves (`julianday(end) - julianday(created_at)`, per
  severity, with the start for a window's filter): the median, the 90th percentile and the
  median's interval are read as the k-th entry along these, so `sitrep stats` never sorts
  the history. SQLite cannot reflect an index on an expression, so the models do not
  declare them (autogenerate skips them); PostgreSQL sorts a history of 100,000 durations
  in a window function quickly enough, and gets none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_DURATION_INDEXES = {
    "ix_incident_time_to_mitigate": "mitigated_at",
    "ix_incident_time_to_resolve": "resolved_at",
}


def upgrade() -> None:
    op.create_index("ix_incident_created_at", "incident", ["created_at"])
    if op.get_bind().dialect.name == "sqlite":
        for name, end in SQLITE_DURATION_INDEXES.items():
            op.create_index(
                name, "incident",
                ["severity", sa.text(f"(julianday({end}) - julianday(created_at))"),
                 "created_at"],
                sqlite_where=sa.text(f"{end} >= created_at"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_DURATION_INDEXES:
            op.drop_index(name, table_name="incident")
    op.drop_index("ix_incident_created_at", table_name="incident")

"""incident openings: each step of a start, so a start cut short is finished or abandoned

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.db.types

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "incident_opening",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("team_id", _string(32), nullable=False),
        sa.Column("step", _string(20), nullable=False),
        sa.Column("owner", _string(64), nullable=False),
        sa.Column("lease_until", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("incident_id"),
    )
    with op.batch_alter_table("incident_opening", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_opening_lease_until"), ["lease_until"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("incident_opening", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_opening_lease_until"))
    op.drop_table("incident_opening")

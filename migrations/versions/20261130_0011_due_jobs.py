"""due jobs: timed work (reminders, digests, nudges) as rows, claimed under a lease

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.db.types

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "due_job",
        sa.Column("kind", _string(40), nullable=False),
        sa.Column("subject", _string(64), nullable=False),
        sa.Column("team_id", _string(32), nullable=True),
        sa.Column("due_at", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("lease_owner", _string(64), nullable=True),
        sa.Column("lease_until", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "subject"),
    )
    with op.batch_alter_table("due_job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_due_job_due_at"), ["due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("due_job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_due_job_due_at"))
    op.drop_table("due_job")

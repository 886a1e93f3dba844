"""incident reminders: each reminder or nudge said in an incident's channel, and its answer

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.db.types

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "incident_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", _string(32), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("kind", _string(40), nullable=False),
        sa.Column("handover_hint", sa.Boolean(), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column("quiet_since", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("channel_id", _string(32), nullable=False),
        sa.Column("message_ts", _string(32), nullable=False),
        sa.Column("sent_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("edited_at", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answer", _string(20), nullable=True),
        sa.Column("answered_at", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_by", _string(32), nullable=True),
        sa.Column("snoozed_until", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "kind", "message_ts", "sent_at",
                            name="uq_incident_reminder_said"),
    )
    with op.batch_alter_table("incident_reminder", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_reminder_incident_id"), ["incident_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("incident_reminder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_reminder_incident_id"))
    op.drop_table("incident_reminder")

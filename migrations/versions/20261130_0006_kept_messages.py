"""kept messages: the messages of incident channels, their reactions, and the index a
reaction's lookup needs

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 06:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "kept_message",
        sa.Column("channel_id", _string(32), nullable=False),
        sa.Column("ts", _string(32), nullable=False),
        sa.Column("team_id", _string(32), nullable=False),
        sa.Column("thread_ts", _string(32), nullable=True),
        sa.Column("author_id", _string(32), nullable=True),
        sa.Column("bot_name", _string(255), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("as_of", _string(32), nullable=False),
        sa.Column("reactions_as_of", _string(32), nullable=True),
        sa.PrimaryKeyConstraint("channel_id", "ts"),
    )
    op.create_table(
        "kept_reaction",
        sa.Column("channel_id", _string(32), nullable=False),
        sa.Column("ts", _string(32), nullable=False),
        sa.Column("emoji", _string(100), nullable=False),
        sa.Column("user_id", _string(32), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("as_of", _string(32), nullable=False),
        sa.PrimaryKeyConstraint("channel_id", "ts", "emoji", "user_id"),
    )
    with op.batch_alter_table("timeline_event", schema=None) as batch_op:
        batch_op.create_index("ix_timeline_event_incident_source", ["incident_id", "source_ts"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("timeline_event", schema=None) as batch_op:
        batch_op.drop_index("ix_timeline_event_incident_source")
    op.drop_table("kept_reaction")
    op.drop_table("kept_message")

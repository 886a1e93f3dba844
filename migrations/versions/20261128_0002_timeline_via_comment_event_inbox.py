"""timeline via and comment, event inbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 18:23:19.059279
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.db.types

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("processed_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payload", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("received_at", bot.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.alter_column(
            "processed_at", existing_type=sa.DateTime(timezone=True), nullable=True
        )
        batch_op.create_index(
            batch_op.f("ix_processed_event_processed_at"), ["processed_at"], unique=False
        )

    with op.batch_alter_table("timeline_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "via",
                sqlmodel.sql.sqltypes.AutoString(length=20),
                nullable=False,
                # Rows from before this revision were all written by the lifecycle.
                server_default="auto",
            )
        )
        batch_op.add_column(sa.Column("comment", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("timeline_event", schema=None) as batch_op:
        batch_op.drop_column("comment")
        batch_op.drop_column("via")

    with op.batch_alter_table("processed_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_processed_event_processed_at"))
        batch_op.alter_column(
            "processed_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.drop_column("received_at")
        batch_op.drop_column("payload")

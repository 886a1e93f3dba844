"""stale cards, and the event inbox's back-off: a card Slack would not redraw is marked
and redrawn later; a failing event waits longer each time and is given up only after a day

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 07:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("card_stale", sa.Integer(), server_default="0",
                                      nullable=False))
    with op.batch_alter_table("processed_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("faults", sa.Integer(), server_default="0",
                                      nullable=False))
        batch_op.add_column(sa.Column("next_attempt_at", bot.db.types.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column("given_up_at", bot.db.types.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("processed_event", schema=None) as batch_op:
        batch_op.drop_column("given_up_at")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("faults")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_column("card_stale")

"""paging: incidents opened by a page, and the groups and incidents they track

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "page_tracking",
        sa.Column("team_id", bot.db.types.NulFreeString(length=32), nullable=False),
        sa.Column("source", bot.db.types.NulFreeString(length=20), nullable=False),
        sa.Column("page_key", bot.db.types.NulFreeString(length=64), nullable=False),
        sa.Column("external_key", bot.db.types.NulFreeText(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("team_id", "source", "page_key"),
    )
    with op.batch_alter_table("page_tracking", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_page_tracking_incident_id"), ["incident_id"], unique=False
        )

    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("paged_by", bot.db.types.NulFreeString(length=20), nullable=True)
        )
        batch_op.add_column(sa.Column("page_url", bot.db.types.NulFreeText(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_column("page_url")
        batch_op.drop_column("paged_by")

    with op.batch_alter_table("page_tracking", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_page_tracking_incident_id"))

    op.drop_table("page_tracking")

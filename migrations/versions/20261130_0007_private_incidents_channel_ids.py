"""private incidents; an incident's channel found by its id alone

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("private", sa.Boolean(), nullable=False,
                                      server_default=sa.text("false")))
        batch_op.drop_constraint("uq_incident_team_channel", type_="unique")
        batch_op.create_unique_constraint("uq_incident_channel", ["channel_id"])


def downgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_constraint("uq_incident_channel", type_="unique")
        batch_op.create_unique_constraint("uq_incident_team_channel",
                                          ["team_id", "channel_id"])
        batch_op.drop_column("private")

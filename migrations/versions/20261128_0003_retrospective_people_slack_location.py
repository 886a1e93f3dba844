"""retrospective people and slack location

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 18:40:30.916736
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("retrospective", schema=None) as batch_op:
        batch_op.add_column(sa.Column("people", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("slack_file_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch_op.add_column(sa.Column("permalink", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("retrospective", schema=None) as batch_op:
        batch_op.drop_column("permalink")
        batch_op.drop_column("slack_file_id")
        batch_op.drop_column("people")

"""timeline people as ids

Role changes and action items name their people in columns of their own instead of inside
the entry's text. Rows written before keep their text as it was; readers fall back to it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("timeline_event", schema=None) as batch_op:
        for name in ("subject_id", "previous_id"):
            batch_op.add_column(sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=32),
                                          nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("timeline_event", schema=None) as batch_op:
        batch_op.drop_column("previous_id")
        batch_op.drop_column("subject_id")

"""incidents imported from another system, and the imports that added them

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", bot.db.types.NulFreeString(length=32), nullable=False),
        sa.Column("file_name", bot.db.types.NulFreeText(), nullable=False),
        sa.Column("file_sha256", bot.db.types.NulFreeString(length=64), nullable=False),
        sa.Column("imported_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_import_batch_team_id", "import_batch", ["team_id"])
    op.create_index("ix_import_batch_file_sha256", "import_batch", ["file_sha256"])
    # Plain ADD COLUMNs, and no foreign key (undoing an import deletes its incidents,
    # then the batch): on SQLite a foreign key would mean rebuilding the incident table,
    # that is dropping it, and with foreign keys on, dropping a table deletes the rows
    # that cascade from it.
    op.add_column("incident", sa.Column("source_id", bot.db.types.NulFreeString(length=255),
                                        nullable=True))
    op.add_column("incident", sa.Column("import_batch_id", sa.Integer(), nullable=True))
    op.create_index("ix_incident_import_batch_id", "incident", ["import_batch_id"])
    op.create_index("uq_incident_team_source", "incident", ["team_id", "source_id"],
                    unique=True)
    op.add_column("role_assignment", sa.Column(
        "user_name", bot.db.types.NulFreeString(length=255), nullable=True))


def downgrade() -> None:
    op.drop_column("role_assignment", "user_name")
    op.drop_index("uq_incident_team_source", table_name="incident")
    op.drop_index("ix_incident_import_batch_id", table_name="incident")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_column("import_batch_id")
        batch_op.drop_column("source_id")
    op.drop_table("import_batch")

"""Each platform's revision, a number every write of its recorded history moves.

A reader tells a change by one column of the platforms table instead of the history.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("platforms") as table:
        table.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    """Undo this migration."""
    with op.batch_alter_table("platforms") as table:
        table.drop_column("revision")

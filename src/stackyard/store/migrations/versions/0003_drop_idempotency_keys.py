"""Drop the idempotency keys table: a change's key is a trailer of its commit instead.

Nothing ever wrote the table. Registration answers a repeated key from the repository's
history (the commit carrying it), which every replica and a restored backup share; a row
here could disagree with Git, so the table goes. The downgrade brings it back empty.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.drop_table("idempotency_keys")


def downgrade() -> None:
    """Undo this migration: the table as 0001 made it, empty."""
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scope", "key"),
    )

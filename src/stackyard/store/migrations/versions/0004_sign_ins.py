"""Sign-ins: each person's roles at their latest sign-in, which caps the tokens they made.

A token made by a signed-in person follows its owner's role (``follows_owner``); tokens
that exist already were made before the service could tell who made them, so they keep
their scope, as a bootstrap token made on the service's host does.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "sign_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    with op.batch_alter_table("api_tokens") as table:
        table.add_column(
            sa.Column("follows_owner", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    """Undo this migration: tokens keep their scopes, the sign-ins are forgotten."""
    with op.batch_alter_table("api_tokens") as table:
        table.drop_column("follows_owner")
    op.drop_table("sign_ins")

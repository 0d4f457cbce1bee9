"""Each platform's revision, a number every write of its recorded history moves.

A reader tells a change by one column of the platforms table instead of the history.
The database moves it (a trigger on ``assessments``, in the writing transaction), so
every writer does, including a replica still running a version of Stackyard from before
this migration during a rolling upgrade.

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

_EVENTS = ("INSERT", "UPDATE", "DELETE")
_BUMP = "UPDATE platforms SET revision = revision + 1 WHERE id = {row}.platform_id"


def upgrade() -> None:
    """Apply this migration."""
    op.add_column(
        "platforms", sa.Column("revision", sa.Integer(), nullable=False, server_default="0")
    )
    if op.get_bind().dialect.name == "sqlite":
        for event in _EVENTS:
            row = "OLD" if event == "DELETE" else "NEW"
            op.execute(
                f"CREATE TRIGGER assessments_{event.lower()}_moves_revision "
                f"AFTER {event} ON assessments FOR EACH ROW "
                f"BEGIN {_BUMP.format(row=row)}; END"
            )
        return
    op.execute(
        "CREATE FUNCTION assessments_move_revision() RETURNS trigger AS $$ BEGIN "
        f"IF TG_OP = 'DELETE' THEN {_BUMP.format(row='OLD')}; RETURN OLD; END IF; "
        f"{_BUMP.format(row='NEW')}; RETURN NEW; END $$ LANGUAGE plpgsql"
    )
    op.execute(
        "CREATE TRIGGER assessments_move_revision AFTER INSERT OR UPDATE OR DELETE "
        "ON assessments FOR EACH ROW EXECUTE FUNCTION assessments_move_revision()"
    )


def downgrade() -> None:
    """Undo this migration.

    A plain ``DROP COLUMN`` (SQLite 3.35 and later): a batch rebuild of ``platforms``
    would drop the old table, and with it, through ``ON DELETE CASCADE``, every
    platform's assessments, renders and readings.
    """
    if op.get_bind().dialect.name == "sqlite":
        for event in _EVENTS:
            op.execute(f"DROP TRIGGER assessments_{event.lower()}_moves_revision")
    else:
        op.execute("DROP TRIGGER assessments_move_revision ON assessments")
        op.execute("DROP FUNCTION assessments_move_revision()")
    op.execute("ALTER TABLE platforms DROP COLUMN revision")

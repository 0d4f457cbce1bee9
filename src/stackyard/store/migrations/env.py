"""Alembic's entry point: run the migrations on the connection the store hands over.

The store always passes its own connection (``store.engine.migrate``), so nothing here
reads a configuration file or an environment variable.
"""

from __future__ import annotations

from alembic import context

from stackyard.store.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite alters a table by copying it; Alembic's batch mode does that for us.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()

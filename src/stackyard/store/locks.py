"""One change at a time per platform, across every replica of the service.

Two registrations on one platform each edit the spec, render and commit; run side by
side, the second would build on a spec without the first's cluster and one of them would
be lost. A lock file in the repository orders processes on one host only; replicas on
several hosts share just the database, so the database holds the lock:

- PostgreSQL: ``pg_advisory_xact_lock`` on a key derived from the platform's name. It is
  held until the transaction ends (commit, rollback, or the connection dropping), so a
  crashed replica cannot leave it behind. Different platforms never wait for each other.
  https://www.postgresql.org/docs/15/functions-admin.html#FUNCTIONS-ADVISORY-LOCKS
- SQLite: ``BEGIN IMMEDIATE`` takes the database's single write lock up front; every
  process sharing the file waits for it (up to the busy timeout), so it serialises
  changes to every platform, which is what one SQLite file can offer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session


def lock_key(platform: str) -> int:
    """The advisory lock key of ``platform``: a stable signed 64-bit number from its name."""
    digest = hashlib.sha256(f"stackyard/platform/{platform}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def platform_lock(engine: Engine, platform: str) -> Iterator[Session]:
    """Hold ``platform``'s lock for the ``with`` block; a session in the locked transaction.

    What the block writes through the session commits when the block ends and rolls back
    when it raises; the lock is released at that moment either way.
    """
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection = connection.execution_options(immediate=True)
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(platform)}
                )
            with Session(bind=connection) as session:
                yield session
                session.commit()

"""The store's tests run on SQLite and on a real PostgreSQL server (``tests/postgres.py``)."""

from __future__ import annotations

from tests.postgres import database_url, engines, postgres

__all__ = ["database_url", "engines", "postgres"]

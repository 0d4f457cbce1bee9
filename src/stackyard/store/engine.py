"""Where the store lives: an engine from a database URL, its schema brought up to date.

Two databases, one code path. SQLite in a data directory is the default (nothing to
install, one service process or several on one host); PostgreSQL by URL
(``postgresql+psycopg://user@host/db``) lets several service replicas share one store.
Either way the schema is Alembic's: :func:`open_store` applies the migrations shipped in
this package before anything reads a table, so a new release upgrades the database it
finds, and two replicas starting at once cannot both create a table (Alembic runs in one
transaction; PostgreSQL's DDL is transactional, SQLite's file lock orders them).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, NoSuchModuleError, OperationalError

from stackyard.errors import StackyardError

MIGRATIONS = Path(__file__).parent / "migrations"
DATABASE_FILE = "stackyard.db"
SQLITE_BUSY_SECONDS = 60.0
"""How long a SQLite writer waits for another one (a registration renders while it holds
the platform's lock) before giving up."""


class StoreError(StackyardError):
    """The store cannot be opened: a URL that names no database, or one that does not answer."""


def default_data_dir() -> Path:
    """Where the SQLite store lives when nothing is configured (the XDG data directory)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "stackyard"


def sqlite_url(data_dir: Path) -> str:
    """The URL of the SQLite store in ``data_dir``."""
    return f"sqlite:///{data_dir.resolve() / DATABASE_FILE}"


def _make_sqlite_transactional(engine: Engine) -> None:
    """Let SQLAlchemy, not the sqlite3 module, say where a transaction begins.

    Python's sqlite3 module defers BEGIN and cannot begin an IMMEDIATE transaction, which
    is what takes SQLite's write lock up front (the platform lock, ``store.locks``). This
    is SQLAlchemy's documented recipe for pysqlite:
    https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#serializable-isolation-savepoints-transactional-ddl
    A connection asked for ``immediate=True`` begins with BEGIN IMMEDIATE.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL lets readers go on while a registration holds the write lock.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///FILE`` or ``postgresql+psycopg://…``).

    Raises:
        StoreError: the URL is not one, or names a database Stackyard does not support.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as e:
        raise StoreError(f"not a database URL: {url!r}") from e
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_SECONDS})
        _make_sqlite_transactional(engine)
        return engine
    if backend == "postgresql":
        try:
            return create_engine(parsed, pool_pre_ping=True)
        except NoSuchModuleError as e:
            raise StoreError(f"no driver for {parsed.drivername}: use postgresql+psycopg://") from e
    raise StoreError(
        f"unsupported database {backend!r} in {parsed.render_as_string(hide_password=True)}: "
        "use sqlite:///FILE or postgresql+psycopg://USER@HOST/DB"
    )


def migrate(engine: Engine) -> None:
    """Bring the database's schema up to the newest migration shipped in this package.

    Raises:
        StoreError: the database does not answer.
    """
    # Alembic is imported here: it is needed once per start, and importing it costs every
    # command of the command line (which imports the application layer) its start-up time.
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except OperationalError as e:
        where = engine.url.render_as_string(hide_password=True)
        raise StoreError(f"cannot open the store at {where}: {_first_line(e)}") from e


def open_store(url: str) -> Engine:
    """An engine for ``url`` with its schema up to date (:func:`make_engine`, :func:`migrate`)."""
    engine = make_engine(url)
    migrate(engine)
    return engine


@contextmanager
def answering(engine: Engine) -> Iterator[None]:
    """Turn a database that stopped answering into a :class:`StoreError` naming it.

    A restarted PostgreSQL drops every pooled connection; the engine's ``pool_pre_ping``
    replaces them on the next checkout, so only the requests made while it is down fail,
    and they fail with this error (the service's 503), not with a driver's traceback.

    Raises:
        StoreError: the block lost its connection or could not get one.
    """
    try:
        yield
    except (OperationalError, InterfaceError) as e:
        where = engine.url.render_as_string(hide_password=True)
        raise StoreError(f"the store at {where} does not answer: {_first_line(e)}") from e


def _first_line(error: OperationalError | InterfaceError) -> str:
    return str(error.orig).strip().splitlines()[0] if error.orig else str(error)

"""A real PostgreSQL server for tests: Debian's PostgreSQL, on loopback, in a temporary folder.

:func:`start_postgres` makes a cluster of its own with ``initdb`` (trust authentication,
for loopback only), starts it with ``pg_ctl`` on a free loopback port with its Unix socket
in the same temporary folder, and stops and removes it at the end. Nothing of the
machine's own PostgreSQL setup is read or touched. The binaries are found by glob under
/usr/lib/postgresql/*/bin, newest first, so any Debian major version works.

``initdb`` refuses to run as root; a test run as root (CI containers) runs the server as
``nobody`` through ``runuser``, in a folder ``nobody`` owns.

:func:`database_url` is the fixture the store and service tests take: parametrized over
``sqlite`` and ``postgresql``, each test gets an empty database of its own on both.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine

from stackyard.store import open_store
from tests.servers import free_port

STARTUP_SECONDS = 30


class PostgresMissingError(RuntimeError):
    """PostgreSQL's server binaries are not installed."""


@dataclass(frozen=True)
class Postgres:
    """A running test server and how to reach it."""

    bin_dir: Path
    folder: Path
    port: int
    run_as: tuple[str, ...]

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL of ``database`` over TCP on loopback."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database ``name``; its SQLAlchemy URL."""
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def halt(self) -> None:
        """Stop the server at once, as a crash or a restart would; :meth:`resume` starts it."""
        _pg_ctl_stop(self, check=True)

    def resume(self) -> None:
        """Start the halted server again on the same port, with the same data."""
        started = _pg_ctl_start(self)
        if started.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start again: {started.stderr}")

    def stop(self) -> None:
        """Stop the server, then remove its folder."""
        _pg_ctl_stop(self, check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


def bin_dir() -> Path:
    """The newest installed PostgreSQL's binaries folder."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parent.parent.name),
        reverse=True,
    )
    if not found:
        raise PostgresMissingError(
            "PostgreSQL is not installed: apt-get install postgresql (CI does, see .ci/run)"
        )
    return Path(found[0]).parent


def start_postgres() -> Postgres:
    """Make and start a PostgreSQL cluster in a new temporary folder."""
    binaries = bin_dir()
    folder = Path(tempfile.mkdtemp(prefix="stackyard-postgres-"))
    run_as: tuple[str, ...] = ()
    if os.geteuid() == 0:  # initdb refuses root: run the server as nobody, in nobody's folder
        shutil.chown(folder, user="nobody")
        run_as = ("runuser", "-u", "nobody", "--")
    subprocess.run(
        [
            *run_as,
            str(binaries / "initdb"),
            "-D",
            str(folder / "data"),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
    port = free_port()
    server = Postgres(binaries, folder, port, run_as)
    started = _pg_ctl_start(server)
    if started.returncode != 0:
        log = (folder / "server.log").read_text(errors="replace")
        server.stop()
        raise RuntimeError(f"PostgreSQL did not start: {started.stderr}\n{log}")
    return server


def _pg_ctl_stop(server: Postgres, *, check: bool) -> None:
    # -m immediate: as a crash would, which is what halt() stands for and all stop() needs.
    subprocess.run(
        [
            *server.run_as,
            str(server.bin_dir / "pg_ctl"),
            "-D",
            str(server.folder / "data"),
            "-m",
            "immediate",
            "-w",
            "stop",
        ],
        check=check,
        capture_output=True,
    )


def _pg_ctl_start(server: Postgres) -> subprocess.CompletedProcess[str]:
    # -F: no fsync (a throwaway cluster); -k: the socket in our folder, not /var/run.
    options = f"-h 127.0.0.1 -p {server.port} -k {server.folder} -F -c max_connections=200"
    return subprocess.run(
        [
            *server.run_as,
            str(server.bin_dir / "pg_ctl"),
            "-D",
            str(server.folder / "data"),
            "-o",
            options,
            "-l",
            str(server.folder / "server.log"),
            "-t",
            str(STARTUP_SECONDS),
            "-w",
            "start",
        ],
        check=False,
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """One PostgreSQL server for the whole test session."""
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


_databases = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of this test's own: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    server: Postgres = request.getfixturevalue("postgres")
    return server.create_database(f"test_{os.getpid()}_{next(_databases)}")


Engines = Callable[[str], Engine]


@pytest.fixture
def engines() -> Iterator[Engines]:
    """Open migrated engines (``open_store``) that are all disposed when the test ends.

    An engine left to the garbage collector would close its pooled PostgreSQL
    connections in ``__del__``, which Python reports as an unraisable warning.
    """
    opened: list[Engine] = []

    def open_engine(url: str) -> Engine:
        engine = open_store(url)
        opened.append(engine)
        return engine

    yield open_engine
    for engine in opened:
        engine.dispose()

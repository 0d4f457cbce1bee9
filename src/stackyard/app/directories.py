"""``identity check``: bind to each company directory the spec declares and search it.

The spec names only the Secret that holds each directory's bind password, so the
password comes from the caller: an environment variable (``password_env``) or a file
(``password_file``), never an argument a process listing would show. One password is
used for every directory checked; directories with different passwords are checked one
at a time (``directory``).

The result fails when any directory has an error finding: Keycloak's federation would
not work as declared (no bind, a base DN that does not exist, a filter that finds
nobody, a certificate it would not trust).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stackyard.errors import COMMAND_LINE, InputError, Location, Problem
from stackyard.fsio.read import read_input_bytes
from stackyard.identity import DirectoryReport, check_directory
from stackyard.identity.directory import TIMEOUT_SECONDS
from stackyard.spec import Directory, LoadedSpec, load_spec
from stackyard.versioning import schema_id
from stackyard.wording import counted

MAX_SECRET_BYTES = 64 * 1024
"""The largest password file read."""


@dataclass(frozen=True)
class DirectoryCheckResult:
    """Every directory checked, in spec order."""

    spec: Path
    directories: tuple[DirectoryReport, ...]

    @property
    def failed(self) -> bool:
        """Whether any directory has an error finding."""
        return any(d.failed for d in self.directories)

    @property
    def reasons(self) -> tuple[str, ...]:
        """One sentence per directory Keycloak could not federate as declared."""
        return tuple(
            f"directory {d.name!r} has {counted(len(d.errors), 'error finding')}"
            for d in self.directories
            if d.failed
        )

    def as_dict(self) -> dict[str, Any]:
        """The versioned JSON document (``directory-check``)."""
        return {
            "schema": schema_id("directory-check"),
            "spec": str(self.spec),
            "directories": [d.as_dict() for d in self.directories],
            "summary": {
                "directories": len(self.directories),
                "failed": sum(1 for d in self.directories if d.failed),
            },
        }


def check_directories(
    spec: Path,
    *,
    directory: str | None = None,
    password_env: str | None = None,
    password_file: Path | None = None,
    timeout: int = TIMEOUT_SECONDS,
    environ: Mapping[str, str] | None = None,
) -> DirectoryCheckResult:
    """Bind to each directory of ``spec`` (or only ``directory``) and run Keycloak's searches.

    Args:
        spec: the platform spec.
        directory: check only the directory of this name.
        password_env: the environment variable holding the bind password.
        password_file: the file holding the bind password (one trailing newline dropped).
        timeout: seconds to wait for each connection and each answer.
        environ: the environment to read ``password_env`` from (default: the process's).

    Raises:
        SpecError: the spec is not valid.
        InputError: no directory to check, an unknown ``directory``, no password or two
            sources of it, an unreadable password file.
    """
    loaded = load_spec(spec)
    chosen = _chosen(loaded, directory)
    password = _password(password_env, password_file, os.environ if environ is None else environ)
    reports = [
        check_directory(
            entry,
            password,
            document=loaded.document,
            index=index,
            ca_data=_ca_pem(loaded, entry),
            timeout=timeout,
        )
        for index, entry in chosen
    ]
    return DirectoryCheckResult(spec, tuple(reports))


def _chosen(loaded: LoadedSpec, name: str | None) -> list[tuple[int, Directory]]:
    directories = list(enumerate(loaded.platform.identity.directories))
    if not directories:
        raise InputError(
            [
                Problem(
                    Location(loaded.source),
                    "identity.directories",
                    "the spec declares no directory to check",
                    "add identity: {directories: [...]} (see docs/identity.md)",
                )
            ]
        )
    if name is None:
        return directories
    chosen = [(index, d) for index, d in directories if d.name == name]
    if not chosen:
        names = ", ".join(d.name for _, d in directories)
        raise InputError(
            [
                Problem(
                    COMMAND_LINE,
                    "--directory",
                    f"unknown directory {name!r}",
                    f"the spec declares: {names}",
                )
            ]
        )
    return chosen


def _password(env: str | None, file: Path | None, environ: Mapping[str, str]) -> str:
    if env is not None and file is not None:
        raise InputError(
            [
                Problem(
                    COMMAND_LINE,
                    "--password-env",
                    "give --password-env or --password-file, not both",
                )
            ]
        )
    if file is not None:
        raw = read_input_bytes(file, max_bytes=MAX_SECRET_BYTES, what="the password file")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError(
                [Problem(Location(str(file)), "--password-file", "the password file is not UTF-8")]
            ) from e
        password = text[:-1] if text.endswith("\n") else text
        password = password[:-1] if password.endswith("\r") else password
        if not password:
            raise InputError(
                [Problem(Location(str(file)), "--password-file", "the password file is empty")]
            )
        return password
    if env is None:
        raise InputError(
            [
                Problem(
                    COMMAND_LINE,
                    "--password-env",
                    "the bind password is needed: the spec names only the Secret that holds it",
                    "give --password-env VAR or --password-file FILE",
                )
            ]
        )
    value = environ.get(env)
    if not value:
        raise InputError(
            [
                Problem(
                    COMMAND_LINE,
                    "--password-env",
                    f"the environment variable {env} is not set or empty",
                )
            ]
        )
    return value


def _ca_pem(loaded: LoadedSpec, directory: Directory) -> str | None:
    """The directory's CA certificates, read and checked with the spec; None: the system's."""
    ca = loaded.directory_cas.get(directory.name)
    return None if ca is None else ca.pem

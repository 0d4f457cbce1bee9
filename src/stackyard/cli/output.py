"""Shared output helpers: the ``--output`` option, JSON printing, finding tables, files."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from stackyard.errors import InputError, Location, Problem
from stackyard.plan import Finding


class OutputFormat(StrEnum):
    """How a reporting command prints its result."""

    text = "text"
    json = "json"


def console() -> Console:
    """A console on stdout; no colour codes when stdout is not a terminal."""
    return Console(file=sys.stdout, highlight=False, soft_wrap=True)


def print_json(data: Any) -> None:
    """Print ``data`` as stable, indented JSON."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def findings_table(findings: Iterable[Finding]) -> Table:
    """A table of findings: severity, check id, location, message and hint."""
    table = Table(title="Findings", show_lines=False, expand=False)
    table.add_column("severity")
    table.add_column("check")
    table.add_column("where", overflow="fold")
    table.add_column("problem", overflow="fold")
    table.add_column("fix", overflow="fold")
    for finding in findings:
        table.add_row(
            f"[{_STYLE[finding.severity]}]{finding.severity}[/]",
            finding.check,
            f"{finding.location}" + (f"\n{finding.field}" if finding.field else ""),
            finding.message,
            finding.hint,
        )
    return table


def write_atomically(path: Path, text: str, option: str) -> None:
    """Write ``text`` to ``path`` through a temporary file beside it, then rename.

    A failure leaves the previous file (or none) in place, never half a file.

    Raises:
        InputError: the directory of ``path`` (given with ``option``) does not exist.
    """
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise InputError([Problem(Location(str(path)), option, "its directory does not exist")])
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".stackyard-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

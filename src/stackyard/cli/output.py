"""Shared output helpers: formats, console, wrapped lines, JSON, stderr lines, findings.

The table engine (wrapping at separators, never inside a name) is :mod:`stackyard.cli.tables`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from stackyard.app import Finding
from stackyard.cli import options
from stackyard.cli.tables import table, wrap_markup


class OutputFormat(StrEnum):
    """How a reporting command prints its result."""

    text = "text"
    json = "json"


class _Console(Console):
    """rich's console, with a closed pipe ending the command as any other write does."""

    def on_broken_pipe(self) -> None:
        # rich exits 1 on its own, which reads as "findings"; let the one handler in
        # cli.errors end every command the same way instead.
        self.quiet = True
        raise BrokenPipeError


def console() -> Console:
    """A console on stdout; no colour codes when stdout is not a terminal."""
    return _Console(file=sys.stdout, highlight=False, soft_wrap=True)


def line_printer(out: Console) -> Callable[[str], None]:
    """Print one line of rich markup on ``out``, wrapped at separators to ``out``'s width.

    For the lines of a text report outside its tables (``plan --why``, ``diff``): like a
    table cell, a line breaks only after a separator or a space, never inside a name.
    """
    return lambda markup: out.print(wrap_markup(markup, out.width))


def notice(text: str) -> None:
    """Say ``text`` on stderr for a person — a summary or a notice — unless ``--quiet``."""
    if not options.quiet():
        print(text, file=sys.stderr)


def warn(text: str) -> None:
    """Say ``text`` on stderr even with ``--quiet``: an error, or data lost or at risk."""
    print(text, file=sys.stderr)


def print_json(data: Any) -> None:
    """Print ``data`` as stable, indented JSON."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def findings_table(findings: Iterable[Finding], title: str = "Findings") -> Table:
    """The one table of findings (plan, a refused render or simulation, validate).

    Columns: severity, check id, location (and field), message, and the hint when any
    finding has one.
    """
    rows = list(findings)
    hints = any(finding.hint for finding in rows)
    result = table(title, "severity", "check", "where", "problem", *(["fix"] if hints else []))
    for finding in rows:
        cells = [
            f"[{_STYLE[finding.severity]}]{finding.severity}[/]",
            escape(finding.check),
            escape(f"{finding.location}" + (f"\n{finding.field}" if finding.field else "")),
            escape(finding.message),
        ]
        if hints:
            cells.append(escape(finding.hint))
        result.add_row(*cells)
    return result

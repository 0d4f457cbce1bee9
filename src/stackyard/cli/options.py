"""Options of the root command that every subcommand and display reads: ``--quiet``.

The root callback sets them once per invocation, before the subcommand runs; command
modules and the progress display read them through :func:`quiet` instead of taking
them as parameters one by one. ``--quiet`` silences what is said for a person's
comfort on stderr — summaries ("wrote 12 files"), notices and progress — and never an
error, nor a warning that data was or may be lost.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RootOptions:
    """What the root command was asked for."""

    quiet: bool = False


_current = RootOptions()


def configure(*, quiet: bool) -> None:
    """Record the root options of this invocation (called by the root callback)."""
    _current.quiet = quiet


def quiet() -> bool:
    """True when ``--quiet`` was given: no summaries, notices or progress on stderr."""
    return _current.quiet

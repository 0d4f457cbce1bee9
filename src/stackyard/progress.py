"""Progress of a long step, reported by the library and drawn (or not) by a shell.

Library code never prints: a step that can take more than a second takes a ``Progress``
and calls it as work completes. The command line draws a bar on stderr when stderr is a
terminal; the fleet service may record it; tests and scripts pass nothing.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Receives ``(step, done, total)``: ``done`` of ``total`` units of ``step`` finished.

    ``step`` names what is being done in a few words ("checking schemas"); ``total`` is
    None while unknown. A new ``step`` string starts a new task; calls are cheap and may
    be frequent, so a receiver throttles its own drawing.
    """

    def __call__(self, step: str, done: int, total: int | None) -> None:
        """Record that ``done`` of ``total`` units of ``step`` are finished."""


def no_progress(step: str, done: int, total: int | None) -> None:
    """The receiver that ignores everything: the default for library calls."""

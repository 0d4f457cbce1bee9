"""Progress bars on stderr while a long step runs: drawn for a person, never for a pipe.

The library reports ``(step, done, total)`` to a :class:`stackyard.progress.Progress`;
:func:`progress_display` gives a command the receiver to hand to its use case. When
stderr is a terminal and ``--quiet`` was not given, it draws one rich bar per step on
stderr, erased when the block ends, so the report on stdout and the lines on stderr read
as they would without it. Otherwise (a pipe, a file, CI logs, ``--quiet``) the receiver
ignores everything and nothing is written.

The library may report thousands of times a second (once per file or object), so the
receiver redraws at most :data:`REDRAW_SECONDS` apart, and at once when a step starts.
It draws from the calling thread only (no refresh thread): assessment forks worker
processes while it reports, and a fork must not copy a thread that holds the terminal.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as Bars

from stackyard.cli import options
from stackyard.progress import Progress, no_progress

REDRAW_SECONDS = 0.1


@contextmanager
def progress_display() -> Iterator[Progress]:
    """The receiver for a command's long steps, drawing on stderr only when it should."""
    if options.quiet() or not sys.stderr.isatty():
        yield no_progress
        return
    bars = Bars(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(file=sys.stderr, highlight=False),
        transient=True,
        auto_refresh=False,
        # A line said on stderr meanwhile ("waiting for another render") is printed
        # above the bars; stdout is left alone, or rich would send it to stderr.
        redirect_stdout=False,
        redirect_stderr=True,
    )
    with bars:
        yield _Receiver(bars)


class _Receiver:
    """Turns ``(step, done, total)`` calls into rich tasks, one per step, redrawn sparingly."""

    def __init__(self, bars: Bars) -> None:
        self._bars = bars
        self._step: str | None = None
        self._task: TaskID | None = None
        self._drawn = 0.0

    def __call__(self, step: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if step != self._step:
            self._step = step
            self._task = self._bars.add_task(step, total=total, completed=done)
        elif now - self._drawn < REDRAW_SECONDS and done != total:
            return
        else:
            assert self._task is not None
            self._bars.update(self._task, total=total, completed=done)
        self._drawn = now
        self._bars.refresh()

"""Concurrent callers of one computation share a run of it that began after they asked.

A hundred readers of the fleet each need its version (:func:`stackyard.app.fleet_version`:
a query and a few stats per platform). Computing it once per caller spends the CPU a
hundred times on one answer; handing a caller a result computed *before* it asked could
miss a commit it has just made. Here a caller waits for the next run that starts after
its arrival, and every caller that arrived meanwhile takes that run's result: each
result is as fresh as computing it alone would give (the run began after the caller
asked), and under load the runs are one per run-time, not one per caller.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

_Value = TypeVar("_Value")


class Coalesced(Generic[_Value]):
    """One computation, run for many concurrent callers at a time (the module docstring)."""

    def __init__(self, compute: Callable[[], _Value]) -> None:
        """Share runs of ``compute``."""
        self._compute = compute
        self._changed = threading.Condition()
        self._started = 0
        self._finished = 0
        self._running = False
        self._value: _Value | None = None
        self._waiting = 0

    @property
    def waiting(self) -> int:
        """How many callers are waiting for a run (one in flight began before they asked)."""
        with self._changed:
            return self._waiting

    def get(self) -> _Value:
        """The result of a run of the computation that began after this call did."""
        with self._changed:
            wanted = self._started + 1
            while True:
                if self._finished >= wanted:
                    return self._value  # type: ignore[return-value]  # set with _finished
                if not self._running:
                    break
                self._waiting += 1
                self._changed.wait()
                self._waiting -= 1
            self._running = True
            self._started += 1
            run = self._started
        try:
            value = self._compute()
        except BaseException:
            # The callers waiting for this run start one of their own; this one raises.
            with self._changed:
                self._running = False
                self._changed.notify_all()
            raise
        with self._changed:
            self._running = False
            self._finished, self._value = run, value
            self._changed.notify_all()
        return value

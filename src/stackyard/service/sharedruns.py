"""Requests on the event loop that need one blocking computation share a run of it.

A kept answer (``answers``) costs a dictionary lookup once the version of what it shows
is known, and the version is a blocking call (a query and a few stats). Handing each
request to a worker thread for it costs more than the lookup: a hundred waiting requests
are a hundred thread hand-offs and a hundred wake-ups. Here the requests for one key
(the fleet, a platform) share one run in a worker thread, which began after each of
them arrived, as the application layer's :class:`~stackyard.app.Coalesced` does for
threads: under load the runs are one per run-time, not one per request, and no result
is older than the request that gets it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

_Value = TypeVar("_Value")


class _Runs:
    """One key's run in flight and the run the requests since it began wait for."""

    def __init__(self) -> None:
        self.running: asyncio.Future[Any] | None = None
        self.next: asyncio.Future[Any] | None = None


class SharedRuns:
    """Runs of blocking computations, shared per key by the requests of one event loop."""

    def __init__(self) -> None:
        """No runs yet."""
        self._keys: dict[Hashable, _Runs] = {}

    def __len__(self) -> int:
        """How many keys have a run in flight or waiting."""
        return len(self._keys)

    async def get(self, key: Hashable, compute: Callable[[], _Value]) -> _Value:
        """``compute()``'s result from a run for ``key`` that began after this call did.

        Every request for ``key`` that arrives before that run begins shares it (and its
        exception, if it raises); a request cancelled while waiting leaves it running
        for the others.
        """
        runs = self._keys.setdefault(key, _Runs())
        if runs.next is None or runs.next.done():  # done: cancelled before it began
            runs.next = asyncio.ensure_future(self._run(key, runs, compute))
            runs.next.add_done_callback(_retrieved)
        result: _Value = await asyncio.shield(runs.next)
        return result

    async def _run(self, key: Hashable, runs: _Runs, compute: Callable[[], _Value]) -> _Value:
        if runs.running is not None:
            # A run that began before some of this run's requests arrived: wait it out.
            try:
                await asyncio.wait([runs.running])
            except asyncio.CancelledError:
                # Cancelled before it began (the loop closing): the next request starts anew.
                if runs.running is None and self._keys.get(key) is runs:
                    del self._keys[key]
                raise
        runs.running, runs.next = runs.next, None  # from here on, new requests wait for the next
        try:
            return await run_in_threadpool(compute)
        finally:
            runs.running = None
            idle = runs.next is None or runs.next.done()
            if idle and self._keys.get(key) is runs:
                del self._keys[key]  # idle: a key asked for once (any name) is not kept


def _retrieved(run: asyncio.Future[Any]) -> None:
    """Take a run's exception: each request that waited for it has raised it already.

    If every request gave up waiting (cancelled), it is nobody's problem to log.
    """
    if not run.cancelled():
        run.exception()

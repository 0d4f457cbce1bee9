"""Requests on the event loop share runs of a blocking computation, each begun after they asked."""

from __future__ import annotations

import asyncio
import threading

import pytest

from stackyard.service.sharedruns import SharedRuns


class _Gated:
    """A computation that counts its runs and, when told to, holds one until let go."""

    def __init__(self) -> None:
        self.runs = 0
        self.hold = threading.Event()
        self.held = threading.Event()
        self.go = threading.Event()

    def __call__(self) -> int:
        self.runs += 1
        if self.hold.is_set():
            self.hold.clear()
            self.held.set()
            self.go.wait(timeout=30)
        return self.runs


async def _until(condition: threading.Event) -> None:
    while not condition.is_set():
        await asyncio.sleep(0.001)


def test_requests_arriving_during_a_run_share_the_next_one_and_none_gets_an_older_result() -> None:
    async def scenario() -> tuple[int, list[int], int, int]:
        runs, compute = SharedRuns(), _Gated()
        compute.hold.set()
        first = asyncio.ensure_future(runs.get("fleet", compute))
        await _until(compute.held)  # run 1 is computing: it began before those below asked
        later = [asyncio.ensure_future(runs.get("fleet", compute)) for _ in range(50)]
        await asyncio.sleep(0.01)
        compute.go.set()
        results = await asyncio.gather(*later)
        return await first, results, compute.runs, len(runs)

    first, later, count, keys = asyncio.run(scenario())
    assert first == 1
    assert later == [2] * 50  # one run for fifty requests, begun after each of them asked
    assert count == 2
    assert keys == 0  # nothing kept once idle, whatever the keys asked for


def test_each_key_has_runs_of_its_own() -> None:
    async def scenario() -> list[str]:
        runs = SharedRuns()
        return list(
            await asyncio.gather(
                runs.get("a", lambda: "A"), runs.get("b", lambda: "B"), runs.get("a", lambda: "X")
            )
        )

    assert asyncio.run(scenario()) == ["A", "B", "A"]


def test_a_runs_exception_reaches_every_request_sharing_it_and_the_next_run_is_fresh() -> None:
    calls: list[int] = []

    def failing() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise LookupError("no platform named x")
        return len(calls)

    async def scenario() -> tuple[list[BaseException | int], int]:
        runs = SharedRuns()
        shared = await asyncio.gather(
            *(runs.get("x", failing) for _ in range(3)), return_exceptions=True
        )
        return shared, await runs.get("x", failing)

    shared, after = asyncio.run(scenario())
    assert all(isinstance(result, LookupError) for result in shared)
    assert after == 2 and len(calls) == 2


def test_a_request_that_gives_up_leaves_the_run_to_the_others() -> None:
    async def scenario() -> tuple[int, bool]:
        runs, compute = SharedRuns(), _Gated()
        compute.hold.set()
        gone = asyncio.ensure_future(runs.get("fleet", compute))
        stays = asyncio.ensure_future(runs.get("fleet", compute))
        await _until(compute.held)
        gone.cancel()
        compute.go.set()
        with pytest.raises(asyncio.CancelledError):
            await gone
        return await stays, gone.cancelled()

    assert asyncio.run(scenario()) == (1, True)


def test_a_run_cancelled_before_it_began_leaves_the_key_to_the_next_request() -> None:
    async def scenario() -> tuple[int, int, int]:
        runs, compute = SharedRuns(), _Gated()
        compute.hold.set()
        first = asyncio.ensure_future(runs.get("fleet", compute))
        await _until(compute.held)
        before = asyncio.all_tasks()  # this test, the first request and the first run
        queued = asyncio.ensure_future(runs.get("fleet", compute))
        await asyncio.sleep(0.01)  # its run is waiting for the first to end
        (run,) = asyncio.all_tasks() - before - {queued}
        run.cancel()  # the queued run itself, as a closing loop cancels it
        with pytest.raises(asyncio.CancelledError):
            await queued
        compute.go.set()
        done = await first
        again = await runs.get("fleet", compute)
        return done, again, len(runs)

    assert asyncio.run(scenario()) == (1, 2, 0)

"""Concurrent callers share one run that began after they asked, never an older one."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from stackyard.app.coalescing import Coalesced


class Gate:
    """A computation that counts its runs and holds each until let go."""

    def __init__(self, fail_on: int = 0) -> None:
        self.runs = 0
        self.started = threading.Semaphore(0)
        self.go = threading.Semaphore(0)
        self.fail_on = fail_on

    def __call__(self) -> int:
        self.runs += 1
        run = self.runs
        self.started.release()
        assert self.go.acquire(timeout=10)
        if run == self.fail_on:
            raise RuntimeError(f"run {run} failed")
        return run


def waiting(coalesced: Coalesced[int], count: int) -> None:
    """Until ``count`` callers wait on ``coalesced`` (they are past their arrival)."""
    deadline = time.monotonic() + 10
    while coalesced.waiting < count:
        assert time.monotonic() < deadline, "the callers never waited"
        time.sleep(0.001)


def test_callers_arriving_during_a_run_share_the_next_run_not_that_one() -> None:
    gate = Gate()
    coalesced = Coalesced(gate)
    with ThreadPoolExecutor(max_workers=4) as pool:
        first = pool.submit(coalesced.get)
        assert gate.started.acquire(timeout=10)  # run 1 is under way
        later: list[Future[int]] = [pool.submit(coalesced.get) for _ in range(3)]
        waiting(coalesced, 3)
        gate.go.release()  # run 1 ends; one of the three starts run 2
        assert first.result(timeout=10) == 1
        assert gate.started.acquire(timeout=10)
        gate.go.release()
        assert [f.result(timeout=10) for f in later] == [2, 2, 2]
    assert gate.runs == 2


def test_a_caller_alone_runs_at_once_and_a_failed_run_fails_only_its_caller() -> None:
    gate = Gate(fail_on=1)
    coalesced = Coalesced(gate)
    with ThreadPoolExecutor(max_workers=2) as pool:
        failing = pool.submit(coalesced.get)
        assert gate.started.acquire(timeout=10)
        other = pool.submit(coalesced.get)
        waiting(coalesced, 1)
        gate.go.release()
        with pytest.raises(RuntimeError, match="run 1 failed"):
            failing.result(timeout=10)
        assert gate.started.acquire(timeout=10)  # the waiting caller ran its own
        gate.go.release()
        assert other.result(timeout=10) == 2
    gate.go.release()
    assert coalesced.get() == 3

"""Benchmark: what reporting progress costs validate, assess and the failure matrix.

Usage: python benchmarks/progress.py [--clusters 20] [--groups 1000] [--repeat 3]

First, what one call costs each receiver (200,000 calls in a row). Then each case runs
with no receiver (the library default), with a receiver that only counts
calls (the cost of the calls themselves), and with the command line's display drawing
on a pseudo-terminal (what a person at a terminal gets). Runs alternate between the
three so that a busy machine slows them alike; best of N. Results are recorded by hand
in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import pty
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from fleet import fleet_spec

from assess import generate
from stackyard.assess import assess_directory
from stackyard.catalog import load_catalog
from stackyard.cli.progress import progress_display
from stackyard.plan import make_plan
from stackyard.progress import Progress, no_progress
from stackyard.render import write_tree
from stackyard.render.build import render_metadata, render_plan
from stackyard.simulate.matrix import failure_matrix
from stackyard.simulate.run import prepare
from stackyard.spec import load_spec_text
from stackyard.validate.run import validate_directory


class Counter:
    """A receiver that counts calls and does nothing else."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, step: str, done: int, total: int | None) -> None:
        self.calls += 1


def on_terminal(work: Callable[[Progress], object]) -> None:
    """Run ``work`` with the command line's display drawing on a pseudo-terminal.

    A thread reads the terminal as an emulator would, so the display never waits on
    a full buffer.
    """
    master, slave = pty.openpty()
    reader = threading.Thread(target=_read_all, args=(master,), daemon=True)
    reader.start()
    saved = sys.stderr
    try:
        with os.fdopen(slave, "w") as terminal:
            sys.stderr = terminal
            with progress_display() as progress:
                assert progress is not no_progress
                work(progress)
    finally:
        sys.stderr = saved
        reader.join()
        os.close(master)


def _read_all(master: int) -> None:
    try:
        while os.read(master, 65536):
            pass
    except OSError:  # the other end closed
        pass


def compare(label: str, work: Callable[[Progress], object], repeat: int) -> None:
    """Best wall time of ``work`` with each receiver, runs alternating."""
    best = {"none": float("inf"), "counting": float("inf"), "terminal": float("inf")}
    counter = Counter()
    for _ in range(repeat):
        for name in best:
            start = time.perf_counter()
            if name == "none":
                work(no_progress)
            elif name == "counting":
                counter.calls = 0
                work(counter)
            else:
                on_terminal(work)
            best[name] = min(best[name], time.perf_counter() - start)
    none = best["none"]
    print(
        f"{label:<44} none {none:7.2f} s  counting {best['counting']:7.2f} s "
        f"({best['counting'] / none:5.3f})  terminal {best['terminal']:7.2f} s "
        f"({best['terminal'] / none:5.3f})  calls {counter.calls}"
    )


def per_call(calls: int = 200_000) -> None:
    """What one call costs each receiver, alone: a number no busy machine blurs much."""
    for name in ("none", "counting", "terminal"):

        def work(progress: Progress) -> None:
            for done in range(calls):
                progress("reading files", done, calls)

        start = time.perf_counter()
        if name == "none":
            work(no_progress)
        elif name == "counting":
            work(Counter())
        else:
            on_terminal(work)
        seconds = time.perf_counter() - start
        print(f"one call, {name:<9} {seconds / calls * 1e6:6.2f} µs")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clusters", type=int, default=20)
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    per_call()
    load_catalog()
    scratch = Path(tempfile.mkdtemp(prefix="stackyard-bench-"))
    plan = make_plan(load_spec_text(fleet_spec(args.clusters), "fleet.yaml"))
    write_tree(render_plan(plan), scratch / "fleet", render_metadata(plan))
    corpus = scratch / "corpus"
    generate(corpus, args.groups)
    validate_directory(scratch / "fleet")  # schemas loaded once, as a CLI run would

    fleet = f"fleet of {args.clusters}"
    compare(f"{fleet}: render", lambda p: render_plan(plan, p), args.repeat)
    compare(f"{fleet}: validate", lambda p: validate_directory(scratch / "fleet", progress=p), 1)
    compare(
        f"assess {args.groups} applications, one process",
        lambda p: assess_directory(corpus, workers=0, progress=p),
        args.repeat,
    )
    compare(
        f"assess {args.groups} applications, parse ahead",
        lambda p: assess_directory(corpus, progress=p),
        args.repeat,
    )
    model = prepare(plan)
    compare(f"{fleet}: failure matrix", lambda p: failure_matrix(model, 1800.0, p), args.repeat)


if __name__ == "__main__":
    main()

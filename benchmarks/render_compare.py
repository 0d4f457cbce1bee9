"""Benchmark: render and simulate-model CPU of two checkouts, side by side in one run.

Usage: python benchmarks/render_compare.py BEFORE AFTER [--clusters 50 200] [--rounds 2]

BEFORE and AFTER are checkouts (a worktree of main and the branch under test). Each
measurement runs in a fresh child process that imports Stackyard from that checkout, plans
the generated fleet, then times ``render_plan`` and ``build_runtime_model`` in CPU seconds;
the checkouts alternate, so load on the machine falls on both alike. Prints the best of the
rounds and the before/after ratio.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

CHILD = """
import sys, time
sys.path[:0] = [sys.argv[1] + "/src", sys.argv[1] + "/benchmarks"]
from fleet import fleet_spec
from stackyard.catalog import load_catalog
from stackyard.plan import make_plan
from stackyard.render.build import render_plan
from stackyard.simulate.dependencies import build_runtime_model
from stackyard.spec import load_spec_text
load_catalog()
plan = make_plan(load_spec_text(fleet_spec(int(sys.argv[2])), "fleet.yaml"))
start = time.process_time()
tree = render_plan(plan)
middle = time.process_time()
build_runtime_model(plan, tree)
print(middle - start, time.process_time() - middle)
"""


def run(checkout: str, clusters: int) -> tuple[float, float]:
    """Render and model CPU seconds of ``checkout`` for a fleet of ``clusters``."""
    env = dict(os.environ, PYTHONPATH="")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, checkout, str(clusters)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    render, model = done.stdout.split()
    return float(render), float(model)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--clusters", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    for clusters in args.clusters:
        best: dict[str, tuple[float, float]] = {}
        for _ in range(args.rounds):
            for label, checkout in (("before", args.before), ("after", args.after)):
                render, model = run(checkout, clusters)
                old = best.get(label, (render, model))
                best[label] = (min(old[0], render), min(old[1], model))
        for index, what in enumerate(("render", "simulate model")):
            before, after = best["before"][index], best["after"][index]
            print(
                f"{clusters:>5} clusters, {what:<15} before {before:7.2f} s"
                f"   after {after:7.2f} s   ratio {before / after:5.2f}"
            )


if __name__ == "__main__":
    main()

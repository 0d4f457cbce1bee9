"""Benchmark: load and plan the reference example and generated fleets.

Usage: python benchmarks/plan.py [--clusters 200] [--repeat 5]

Prints wall time (best of N) and peak memory for each case; results are recorded by
hand in docs/benchmarks.md. Not part of the test suite: timings belong here, never in
unit tests.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fleet import fleet_spec
from timing import measure

from stackyard.catalog import load_catalog
from stackyard.plan import make_plan
from stackyard.spec import load_spec, load_spec_text

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clusters", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    load_catalog()  # loaded once per process; not part of each plan
    example = ROOT / "examples" / "local-multicluster.yaml"

    def plan_example() -> None:
        make_plan(load_spec(example))

    measure("local-multicluster: load + plan", plan_example, args.repeat)
    text = fleet_spec(args.clusters)

    def plan_fleet() -> None:
        plan = make_plan(load_spec_text(text, "fleet.yaml"))
        assert not plan.errors, plan.errors[:3]

    measure(f"fleet of {args.clusters} app clusters: load + plan", plan_fleet, args.repeat)


if __name__ == "__main__":
    main()

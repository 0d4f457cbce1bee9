"""Benchmark: simulate incidents and the single-failure matrix on the example and a fleet.

Usage: python benchmarks/simulate.py [--clusters 50] [--repeat 3]

Prints wall time (best of N) and peak memory for each case; results are recorded by
hand in docs/benchmarks.md. Model building (plan + in-memory render) is measured apart
from the simulation itself, which runs on a built model.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fleet import fleet_spec
from timing import measure

from stackyard.catalog import load_catalog
from stackyard.plan import make_plan
from stackyard.simulate.matrix import failure_matrix
from stackyard.simulate.run import prepare, run_scenario
from stackyard.simulate.scenario import single_failure
from stackyard.spec import load_spec, load_spec_text

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clusters", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    load_catalog()
    local = make_plan(load_spec(ROOT / "examples" / "local-multicluster.yaml"))
    measure("local-multicluster: plan + render + model", lambda: prepare(local), args.repeat)
    model = prepare(local)
    measure(
        "local-multicluster: mgmt down 3h (full report)",
        lambda: run_scenario(model, single_failure(model, "mgmt", "3h")),
        args.repeat,
    )
    measure(
        f"local-multicluster: all {len(model.services) + len(local.clusters)} single failures",
        lambda: failure_matrix(model, 1800.0),
        args.repeat,
    )
    fleet = make_plan(load_spec_text(fleet_spec(args.clusters), "fleet.yaml"))
    measure(f"fleet of {args.clusters}: plan + render + model", lambda: prepare(fleet), 1)
    fleet_model = prepare(fleet)
    measure(
        f"fleet of {args.clusters}: mgmt down 3h (full report)",
        lambda: run_scenario(fleet_model, single_failure(fleet_model, "mgmt", "3h")),
        args.repeat,
    )
    targets = len(fleet_model.services) + len(fleet.clusters)
    measure(
        f"fleet of {args.clusters}: all {targets} single failures",
        lambda: failure_matrix(fleet_model, 1800.0),
        1,
    )


if __name__ == "__main__":
    main()

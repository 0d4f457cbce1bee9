"""Benchmark: render and validate the 3-cluster example and a generated fleet.

Usage: python benchmarks/render.py [--clusters 200] [--repeat 3]

Targets on the 2-core reference machine (docs/benchmarks.md): 3-cluster enterprise
render + validate under 2 s; 200-cluster render under 15 s.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from fleet import fleet_spec
from timing import measure

from stackyard.catalog import load_catalog
from stackyard.plan import make_plan
from stackyard.render import write_tree
from stackyard.render.build import render_metadata, render_plan
from stackyard.spec import load_spec, load_spec_text
from stackyard.validate.run import validate_directory

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clusters", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    load_catalog()
    scratch = Path(tempfile.mkdtemp(prefix="stackyard-bench-"))
    example = ROOT / "examples" / "local-multicluster.yaml"

    def render_and_validate() -> None:
        plan = make_plan(load_spec(example))
        out = scratch / "example"
        write_tree(render_plan(plan), out, render_metadata(plan))
        report = validate_directory(out)
        assert not report.errors, report.errors[:3]

    # The first validation loads schemas; the CLI pays that once per process too.
    measure("local-multicluster (3 clusters): render + validate", render_and_validate, args.repeat)
    text = fleet_spec(args.clusters)

    def render_fleet() -> None:
        plan = make_plan(load_spec_text(text, "fleet.yaml"))
        write_tree(render_plan(plan), scratch / "fleet", render_metadata(plan))

    label = f"fleet of {args.clusters} app clusters: plan + render + write"
    measure(label, render_fleet, args.repeat)

    def validate_fleet() -> None:
        report = validate_directory(scratch / "fleet")
        assert not report.errors, report.errors[:3]

    measure(f"fleet of {args.clusters} app clusters: validate", validate_fleet, 1)


if __name__ == "__main__":
    main()

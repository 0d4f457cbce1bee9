"""``stackyard render SPEC -o DIR``: write the GitOps repository for a platform."""

from __future__ import annotations

import sys
from pathlib import Path

from stackyard.cli.errors import FINDINGS, OK
from stackyard.cli.output import console, findings_table
from stackyard.plan import make_plan
from stackyard.render import write_tree
from stackyard.render.build import render_metadata, render_plan
from stackyard.spec import load_spec


def render_command(spec: Path, output: Path) -> int:
    """Plan, refuse on error findings, render in memory, then write atomically."""
    plan = make_plan(load_spec(spec))
    if plan.errors:
        console().print(findings_table(plan.errors))
        print(
            f"error: {spec} has {len(plan.errors)} error findings; nothing written", file=sys.stderr
        )
        return FINDINGS
    tree = render_plan(plan)
    write_tree(tree, output, render_metadata(plan))
    print(f"wrote {len(tree)} files to {output}", file=sys.stderr)
    return OK

"""``stackyard simulate SPEC``: print what :func:`stackyard.app.simulate` found."""

from __future__ import annotations

import sys
from pathlib import Path

from stackyard.app import PlanRefusedError, SimulateRequest, simulate
from stackyard.cli.errors import FINDINGS, OK
from stackyard.cli.output import OutputFormat, console, findings_table, print_json
from stackyard.cli.progress import progress_display


def simulate_command(spec: Path, request: SimulateRequest, output: OutputFormat) -> int:
    """Simulate and report; exit 1 on a plan with errors, or when the result failed (strict)."""
    try:
        with progress_display() as progress:
            result = simulate(spec, request, progress=progress)
    except PlanRefusedError as refused:
        console().print(findings_table(refused.findings))
        print(f"error: {refused}", file=sys.stderr)
        return FINDINGS
    if output is OutputFormat.json:
        print_json(result.as_dict())
    else:
        sys.stdout.write(result.text())
    for reason in result.reasons:
        print(reason, file=sys.stderr)
    return FINDINGS if result.failed else OK

"""``stackyard simulate SPEC``: print what :func:`stackyard.app.simulate` found."""

from __future__ import annotations

import sys
from pathlib import Path

from stackyard.app import PlanRefusedError, SimulateRequest, simulate
from stackyard.cli.output import OutputFormat, console, print_json
from stackyard.cli.progress import progress_display
from stackyard.cli.results import exit_status, refused
from stackyard.cli.tables import wrap_text


def simulate_command(spec: Path, request: SimulateRequest, output: OutputFormat) -> int:
    """Simulate and report; exit 1 on a plan with errors, or when the result failed (strict)."""
    try:
        with progress_display() as progress:
            result = simulate(spec, request, progress=progress)
    except PlanRefusedError as refusal:
        return refused(refusal, output)
    if output is OutputFormat.json:
        print_json(result.as_dict())
    else:
        sys.stdout.write(wrap_text(result.text(), console().width))
    return exit_status(result)

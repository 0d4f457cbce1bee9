"""``stackyard simulate SPEC``: failure domains and SLOs from the plan and rendered settings.

Modes: ``--fail TARGET --for DURATION`` (one failure), ``--scenario FILE`` (multi-step),
``--all-single-failures --for DURATION`` (the failure matrix); with none of them, the
runtime dependency model and the RPO/RTO check.
"""

from __future__ import annotations

import sys
from pathlib import Path

from stackyard.cli.errors import FINDINGS, OK
from stackyard.cli.output import (
    OutputFormat,
    console,
    counted,
    findings_table,
    print_json,
)
from stackyard.errors import InputError, Location, Problem
from stackyard.fsio.write import write_text
from stackyard.plan import make_plan
from stackyard.simulate.backups import check_disaster_recovery
from stackyard.simulate.matrix import failure_matrix
from stackyard.simulate.run import IncidentReport, prepare, run_scenario
from stackyard.simulate.scenario import load_scenario, single_failure, window_seconds
from stackyard.simulate.svg import incident_svg
from stackyard.simulate.text import dr_text, incident_text, matrix_text, priorities_text
from stackyard.spec import load_spec

COMMAND_LINE = Location("command line")


def simulate_command(
    spec: Path,
    fail: str | None,
    duration: str | None,
    scenario: Path | None,
    all_single: bool,
    output: OutputFormat,
    svg: Path | None,
    strict: bool,
) -> int:
    """Simulate and report; exit 1 on error findings, or with ``strict`` on a broken verdict."""
    _check_usage(fail, duration, scenario, all_single, svg)
    plan = make_plan(load_spec(spec))
    if plan.errors:
        console().print(findings_table(plan.errors))
        print(f"error: {spec} has {counted(len(plan.errors), 'error finding')}", file=sys.stderr)
        return FINDINGS
    model = prepare(plan)
    if all_single:
        assert duration is not None
        matrix = failure_matrix(model, window_seconds(duration, COMMAND_LINE, "--for"))
        if output is OutputFormat.json:
            print_json(matrix.as_dict())
        else:
            sys.stdout.write(matrix_text(matrix, model))
        return OK
    if fail is None and scenario is None:
        recovery = check_disaster_recovery(model)
        if output is OutputFormat.json:
            print_json({"model": model.as_dict(), "disasterRecovery": recovery.as_dict()})
        else:
            lines = [*priorities_text(model), "", *dr_text(recovery)]
            sys.stdout.write("\n".join(lines) + "\n")
        return OK
    if scenario is not None:
        incident = load_scenario(model, scenario)
    else:
        assert fail is not None and duration is not None
        incident = single_failure(model, fail, duration)
    report = run_scenario(model, incident)
    if svg is not None:
        write_text(svg, incident_svg(report), option="--svg")
    if output is OutputFormat.json:
        print_json(report.as_dict())
    else:
        sys.stdout.write(incident_text(report))
    return FINDINGS if strict and _broken(report) else OK


def _broken(report: IncidentReport) -> bool:
    return any(c.verdict not in ("holds", "not applicable") for c in report.contract) or any(
        e.verdict == "exceeds" for e in report.slo
    )


def _check_usage(
    fail: str | None,
    duration: str | None,
    scenario: Path | None,
    all_single: bool,
    svg: Path | None,
) -> None:
    modes = [
        name
        for name, on in (
            ("--fail", fail),
            ("--scenario", scenario),
            ("--all-single-failures", all_single),
        )
        if on
    ]
    problems = []
    if len(modes) > 1:
        problems.append(f"{' and '.join(modes)} cannot be combined; choose one")
    if scenario is None and (fail is not None or all_single) and duration is None:
        problems.append("--for DURATION is required with --fail and --all-single-failures")
    if duration is not None and fail is None and not all_single:
        where = " (a scenario file gives its window as 'for:')" if scenario is not None else ""
        problems.append(f"--for applies to --fail or --all-single-failures{where}")
    if svg is not None and fail is None and scenario is None:
        problems.append("--svg draws one incident: use it with --fail or --scenario")
    if problems:
        raise InputError([Problem(COMMAND_LINE, "", p) for p in problems])
    if duration is not None:
        window_seconds(duration, COMMAND_LINE, "--for")  # before the spec is read

"""``stackyard validate DIR``: print what :func:`stackyard.app.validate` found."""

from __future__ import annotations

from pathlib import Path

from stackyard.app import Validation, validate
from stackyard.cli.output import (
    OutputFormat,
    console,
    findings_table,
    notice,
    print_json,
)
from stackyard.cli.progress import progress_display
from stackyard.cli.results import exit_status
from stackyard.wording import counted


def validate_command(
    directory: Path,
    output: OutputFormat,
    kubernetes_version: str | None,
    hydrate: bool,
    charts: Path | None,
    images: Path | None,
) -> int:
    """Validate ``directory``; exit 1 when any error finding exists."""
    with progress_display() as progress:
        result = validate(
            directory,
            kubernetes_version=kubernetes_version,
            hydrate=hydrate,
            charts=charts,
            images=images,
            progress=progress,
        )
    if result.images is not None:
        notice(
            f"hydrated {counted(result.hydrated_releases, 'release')}; "
            f"{counted(result.image_count, 'image')} listed in {result.images}"
        )
    if output is OutputFormat.json:
        print_json(result.as_dict())
    else:
        _print_text(result)
    return exit_status(result)


def _print_text(result: Validation) -> None:
    """The findings and what could not be checked as tables, then the counts."""
    report = result.report
    out = console()
    for title, rows in (
        ("Validation findings", report.problems),
        ("Not checked", report.unchecked),
    ):
        if rows:
            out.print(findings_table(rows, title))
    # The counts say how much was proved: objects found, then how many of them a schema
    # checked; a tree where nothing was checked carries an error finding, never a green line.
    out.print(
        f"{counted(report.files, 'manifest file')}, {counted(report.objects, 'object')}, "
        f"{report.checked} checked against Kubernetes {report.kubernetes_version} and CRD "
        f"schemas: {counted(len(result.errors), 'error')}, "
        f"{counted(len(result.warnings), 'warning')}, "
        f"{len(report.unchecked)} not checked"
    )

"""``stackyard validate DIR``: prove a GitOps tree against real schemas and charts."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.table import Table

from stackyard.cli.errors import FINDINGS, OK
from stackyard.cli.output import OutputFormat, console, counted, print_json
from stackyard.fsio.write import write_text
from stackyard.validate.run import validate_directory


def validate_command(
    directory: Path,
    output: OutputFormat,
    kubernetes_version: str | None,
    charts: Path | None,
    images: Path | None,
) -> int:
    """Validate ``directory``; exit 1 when any error finding exists."""
    report = validate_directory(directory, kubernetes_version, charts)
    if report.hydration is not None:
        target = images or directory / "images.txt"
        write_text(target, report.hydration.inventory(), option="--images")
        print(
            f"hydrated {counted(report.hydration.rendered, 'release')}; "
            f"{counted(len(report.hydration.images), 'image')} listed in {target}",
            file=sys.stderr,
        )
    if output is OutputFormat.json:
        print_json(
            {
                "directory": str(report.root),
                "kubernetesVersion": report.kubernetes_version,
                "files": report.files,
                "objects": report.objects,
                "objectsChecked": report.checked,
                "findings": [f.as_dict() for f in report.problems],
                "unchecked": [f.as_dict() for f in report.unchecked],
                "summary": {
                    "error": len(report.errors),
                    "warning": len(report.problems) - len(report.errors),
                    "unchecked": len(report.unchecked),
                },
            }
        )
        return FINDINGS if report.errors else OK
    out = console()
    for title, rows in (
        ("Validation findings", report.problems),
        ("Not checked", report.unchecked),
    ):
        if not rows:
            continue
        table = Table(title=title, expand=False)
        for column in ("where", "check", "severity", "detail"):
            table.add_column(column, overflow="fold")
        for finding in rows:
            table.add_row(str(finding.location), finding.check, finding.severity, finding.message)
        out.print(table)
    # The counts say how much was proved: objects found, then how many of them a schema
    # checked; a tree where nothing was checked carries an error finding, never a green line.
    out.print(
        f"{counted(report.files, 'manifest file')}, {counted(report.objects, 'object')}, "
        f"{report.checked} checked against Kubernetes {report.kubernetes_version} and CRD "
        f"schemas: {counted(len(report.errors), 'error')}, "
        f"{counted(len(report.problems) - len(report.errors), 'warning')}, "
        f"{len(report.unchecked)} not checked"
    )
    return FINDINGS if report.errors else OK

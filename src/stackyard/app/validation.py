"""``validate``: prove a rendered GitOps tree against real schemas and, optionally, charts.

With ``hydrate``, the charts in ``charts`` are rendered with Helm and the images they
use are written to an inventory file (``images``, by default ``DIR/images.txt``): the
inventory is part of the use case, so every shell writes the same file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stackyard.errors import COMMAND_LINE, InputError, Problem
from stackyard.findings import Finding
from stackyard.fsio.write import write_text
from stackyard.progress import Progress, no_progress
from stackyard.validate.run import ValidationReport, validate_directory
from stackyard.versioning import schema_id
from stackyard.wording import counted

IMAGES_FILE = "images.txt"


@dataclass(frozen=True)
class Validation:
    """One validation run: the report, and where the image inventory went (if hydrated)."""

    report: ValidationReport
    images: Path | None = None

    @property
    def errors(self) -> list[Finding]:
        """Findings of error severity."""
        return self.report.errors

    @property
    def warnings(self) -> list[Finding]:
        """Findings of warning severity."""
        return self.report.warnings

    @property
    def failed(self) -> bool:
        """Whether the shell should fail (exit 1): any error finding."""
        return bool(self.report.errors)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the validation failed, one sentence; empty when it found no error."""
        if not self.report.errors:
            return ()
        return (f"{self.report.root} has {counted(len(self.report.errors), 'error finding')}",)

    @property
    def hydrated_releases(self) -> int:
        """How many releases Helm rendered (0 without hydration)."""
        return self.report.hydration.rendered if self.report.hydration else 0

    @property
    def image_count(self) -> int:
        """How many distinct images the inventory lists (0 without hydration)."""
        return len(self.report.hydration.images) if self.report.hydration else 0

    def as_dict(self) -> dict[str, Any]:
        """The versioned JSON document (``validation``)."""
        report = self.report
        return {
            "schema": schema_id("validation"),
            "directory": str(report.root),
            "kubernetesVersion": report.kubernetes_version,
            "files": report.files,
            "objects": report.objects,
            "objectsChecked": report.checked,
            "findings": [f.as_dict() for f in report.problems],
            "unchecked": [f.as_dict() for f in report.unchecked],
            "summary": {
                "error": len(self.errors),
                "warning": len(self.warnings),
                "unchecked": len(report.unchecked),
            },
            "hydration": None
            if self.images is None
            else {
                "releases": self.hydrated_releases,
                "images": self.image_count,
                "inventory": str(self.images),
            },
        }


def validate(
    directory: Path,
    *,
    kubernetes_version: str | None = None,
    hydrate: bool = False,
    charts: Path | None = None,
    images: Path | None = None,
    progress: Progress = no_progress,
) -> Validation:
    """Validate the tree at ``directory``; with ``hydrate``, render ``charts`` and list images.

    Args:
        directory: a rendered (or any) GitOps tree.
        kubernetes_version: the schemas to check against (default: the version the tree
            was rendered for, else the newest known).
        hydrate: render the charts in ``charts`` with Helm and check what they make.
        charts: a folder of chart archives or directories (needed by ``hydrate``,
            ignored without it).
        images: where the image inventory goes (default ``directory/images.txt``).
        progress: hears each long step.

    Raises:
        InputError: ``hydrate`` without ``charts``, a directory that is not one, a
            Kubernetes version that is not a version or has no schemas, an inventory
            that cannot be written.
    """
    if hydrate and charts is None:
        problem = Problem(COMMAND_LINE, "", "--hydrate needs --charts DIR")
        raise InputError([problem])
    report = validate_directory(
        directory, kubernetes_version, charts if hydrate else None, progress
    )
    if report.hydration is None:
        return Validation(report)
    target = images or directory / IMAGES_FILE
    write_text(target, report.hydration.inventory(), option="--images")
    return Validation(report, target)

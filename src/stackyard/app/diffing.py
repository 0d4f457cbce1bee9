"""What changes between two specs, or between two rendered trees (``stackyard diff``).

Two specs are compared field by field through their plans. With ``manifests``, or when
either side is a folder ``render`` wrote (it holds the marker), the rendered trees are
compared object by object, as ``kubectl diff`` and ``helm diff`` show manifests.
The gate: with ``fail_on_disruptive``, a disruptive change fails the result.

A spec compared as manifests is rendered as ``render`` renders it, with the same policy:
a spec that plans with error findings has no render, so it is refused
(:func:`~stackyard.app.planning.plan_without_errors`) with its findings, exit 1 as for
render and simulate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stackyard.app.planning import plan_without_errors
from stackyard.plan.diff import SpecDiff, compare_specs
from stackyard.progress import Progress, no_progress
from stackyard.render.treediff import TreeDiff, compare_rendered, is_rendered_tree
from stackyard.versioning import schema_id
from stackyard.wording import counted


def _gate_reasons(disruptive: int, failed: bool) -> tuple[str, ...]:
    if not failed:
        return ()
    changes = counted(disruptive, "disruptive change")
    return (f"{changes} (--fail-on-disruptive)",)


@dataclass(frozen=True)
class SpecDiffResult:
    """Every spec change from ``old`` to ``new``, and which are disruptive."""

    old: Path
    new: Path
    diff: SpecDiff
    failed: bool  # a CI gate stops here: asked to, and something disrupts

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the gate failed, one sentence; empty when it passed."""
        return _gate_reasons(len(self.diff.disruptive), self.failed)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``stackyard diff --output json``."""
        return {"schema": schema_id("diff"), **self.diff.as_dict()}


@dataclass(frozen=True)
class ManifestDiffResult:
    """Every rendered object and file that differs from ``old`` to ``new``."""

    old: Path
    new: Path
    diff: TreeDiff
    failed: bool  # a CI gate stops here: asked to, and something disrupts

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the gate failed, one sentence; empty when it passed."""
        return _gate_reasons(len(self.diff.disruptive), self.failed)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``stackyard diff --manifests --output json``."""
        return {"schema": schema_id("manifest-diff"), **self.diff.as_dict()}


def diff(
    old: Path,
    new: Path,
    *,
    manifests: bool = False,
    fail_on_disruptive: bool = False,
    progress: Progress = no_progress,
) -> SpecDiffResult | ManifestDiffResult:
    """Compare two specs, or their renders, or two rendered folders.

    ``progress`` hears the long steps of a rendered comparison: each spec's render
    ("rendering the old spec", "rendering the new spec") and "comparing objects". A
    comparison of two specs field by field is quick and reports nothing.

    Raises:
        InputError: either side cannot be read or is invalid.
        PlanRefusedError: a spec compared as manifests plans with error findings (it
            has no render), with its findings.
    """
    if manifests or is_rendered_tree(old) or is_rendered_tree(new):
        tree = compare_rendered(old, new, plan_without_errors, progress)
        return ManifestDiffResult(old, new, tree, tree.fails(fail_on_disruptive=fail_on_disruptive))
    specs = compare_specs(old, new)
    return SpecDiffResult(old, new, specs, specs.fails(fail_on_disruptive=fail_on_disruptive))

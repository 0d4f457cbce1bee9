"""What changed since an earlier run (``--compare OLD.json``), by stable ids.

Both sides are read as the versioned JSON document (``Assessment.as_dict``), so a
report written by an earlier Stackyard compares with today's. Areas compare by rating,
controls by status (missing < partial < achieved), workload findings by identity
(check, object, container) — never by line, which moves with every edit. Only open
findings count: one that became excepted is no longer open, and shows as resolved.
Ids present on one side only (a control added to the model) are not changes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from stackyard.assess.model import SCHEMA_VERSION, Assessment
from stackyard.assess.report.markdown import cell, code
from stackyard.errors import InputError, Location, Problem
from stackyard.fsio import read_input_bytes

# Reports of the largest repositories are a few MiB; the cap only stops runaway input.
MAX_REPORT_BYTES = 64 * 1024 * 1024
_STATUS_RANK = {"missing": 0, "partial": 1, "achieved": 2}

FindingKey = tuple[str, str, str]


@dataclass(frozen=True)
class AreaDelta:
    """One area's rating before and after."""

    area: str
    title: str
    old: int
    new: int

    @property
    def delta(self) -> int:
        """Positive when the area improved."""
        return self.new - self.old


@dataclass(frozen=True)
class ControlChange:
    """A control whose status moved."""

    control: str
    area: str
    title: str
    old: str
    new: str


@dataclass(frozen=True)
class FindingChange:
    """A workload finding that appeared or went away."""

    check: str
    object_ref: str
    container: str
    message: str
    where: str


@dataclass(frozen=True)
class Comparison:
    """The difference between two assessments of the same repository."""

    old_level: str
    new_level: str
    areas: tuple[AreaDelta, ...]
    improved: tuple[ControlChange, ...]
    regressed: tuple[ControlChange, ...]
    new_findings: tuple[FindingChange, ...]
    resolved_findings: tuple[FindingChange, ...]

    @property
    def has_regressions(self) -> bool:
        """Whether anything got worse: an area, a control, or a new finding."""
        return bool(self.regressed or self.new_findings or any(a.delta < 0 for a in self.areas))

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "level": {"old": self.old_level, "new": self.new_level},
            "areas": [
                {"id": a.area, "title": a.title, "old": a.old, "new": a.new, "delta": a.delta}
                for a in self.areas
            ],
            "controls": {
                "improved": [_change(c) for c in self.improved],
                "regressed": [_change(c) for c in self.regressed],
            },
            "workloadFindings": {
                "new": [_finding(f) for f in self.new_findings],
                "resolved": [_finding(f) for f in self.resolved_findings],
            },
        }


def load_previous(path: Path) -> dict[str, Any]:
    """Read an earlier ``--output json`` report.

    Raises:
        InputError: unreadable, not JSON, or not an assessment of this schema.
    """
    try:
        raw = read_input_bytes(path, max_bytes=MAX_REPORT_BYTES, what="the earlier report")
    except InputError as e:
        raise InputError([replace(p, field="--compare") for p in e.problems]) from e
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise _error(path, 0, "file is not valid UTF-8") from e
    except json.JSONDecodeError as e:
        raise _error(path, e.lineno, f"invalid JSON: {e.msg}") from e
    except ValueError as e:  # a number over Python's digit limit
        raise _error(path, 0, f"invalid JSON: {e}") from e
    except RecursionError as e:
        raise _error(path, 0, "invalid JSON: nesting is too deep") from e
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_VERSION:
        found = data.get("schema") if isinstance(data, dict) else None
        raise _error(path, 1, f"not a {SCHEMA_VERSION} assessment (schema: {found!r})")
    problem = _shape_problem(data)
    if problem:
        raise _error(path, 0, f"not an assessment report as Stackyard writes it: {problem}")
    return data


def _shape_problem(report: Mapping[str, Any]) -> str:
    """What in an earlier report ``compare`` could not read ('' when nothing).

    A report may have been edited or be hostile; only the parts compared are checked.
    """
    areas = report.get("areas", [])
    if not isinstance(areas, list):
        return "areas is not a list"
    for i, area in enumerate(areas):
        if not (isinstance(area, dict) and isinstance(area.get("id"), str)):
            return f"areas[{i}] has no id"
        if type(area.get("rating")) is not int:
            return f"areas[{i}].rating is not an integer"
        controls = area.get("controls", [])
        if not isinstance(controls, list):
            return f"areas[{i}].controls is not a list"
        for j, control in enumerate(controls):
            if not (isinstance(control, dict) and isinstance(control.get("id"), str)):
                return f"areas[{i}].controls[{j}] has no id"
            if control.get("status") not in _STATUS_RANK:
                return f"areas[{i}].controls[{j}].status is not one of {', '.join(_STATUS_RANK)}"
    findings = report.get("workloadFindings", [])
    if not isinstance(findings, list):
        return "workloadFindings is not a list"
    for k, item in enumerate(findings):
        texts = ("check", "object") if isinstance(item, dict) else ()
        if not texts or not all(isinstance(item.get(key), str) for key in texts):
            return f"workloadFindings[{k}] has no check and object"
        if not isinstance(item.get("container", ""), str) or not isinstance(
            item.get("message", ""), str
        ):
            return f"workloadFindings[{k}] has a container or message that is not text"
        if not isinstance(item.get("evidence", {}), dict):
            return f"workloadFindings[{k}].evidence is not a mapping"
    return ""


def compare(old: Mapping[str, Any], new: Assessment | Mapping[str, Any]) -> Comparison:
    """Compare an earlier report (JSON document) with a new assessment."""
    current = new.as_dict() if isinstance(new, Assessment) else new
    old_areas = {a["id"]: a for a in old.get("areas", [])}
    areas = tuple(
        AreaDelta(a["id"], a["title"], old_areas[a["id"]]["rating"], a["rating"])
        for a in current.get("areas", [])
        if a["id"] in old_areas
    )
    old_controls = {c["id"]: c for a in old.get("areas", []) for c in a.get("controls", [])}
    improved: list[ControlChange] = []
    regressed: list[ControlChange] = []
    for area in current.get("areas", []):
        for control in area.get("controls", []):
            before = old_controls.get(control["id"])
            if before is None:
                continue
            change = ControlChange(
                control["id"], area["id"], control["title"], before["status"], control["status"]
            )
            rank = _STATUS_RANK[control["status"]] - _STATUS_RANK[before["status"]]
            if rank > 0:
                improved.append(change)
            elif rank < 0:
                regressed.append(change)
    old_findings, new_findings = _open_findings(old), _open_findings(current)
    return Comparison(
        old_level=str(old.get("level", "")),
        new_level=str(current.get("level", "")),
        areas=areas,
        improved=tuple(improved),
        regressed=tuple(regressed),
        new_findings=tuple(f for k, f in new_findings.items() if k not in old_findings),
        resolved_findings=tuple(f for k, f in old_findings.items() if k not in new_findings),
    )


def render_comparison_markdown(comparison: Comparison) -> str:
    """The comparison as Markdown (a pull-request comment section)."""
    level = comparison.new_level
    if comparison.old_level != comparison.new_level:
        level = f"{comparison.old_level} → **{comparison.new_level}**"
    lines = [f"## Since the previous assessment: {level}", ""]
    changed = [a for a in comparison.areas if a.delta]
    if changed:
        lines += ["| Area | Before | After | Change |", "|---|---:|---:|---:|"]
        lines += [f"| {cell(a.title)} | {a.old} | {a.new} | {a.delta:+d} |" for a in changed]
        lines.append("")
    for title, changes in (("Improved", comparison.improved), ("Regressed", comparison.regressed)):
        if changes:
            lines += [f"### {title} controls", ""]
            lines += [f"- {code(c.control)} {cell(c.title)}: {c.old} → {c.new}" for c in changes]
            lines.append("")
    for title, findings in (
        ("New", comparison.new_findings),
        ("Resolved", comparison.resolved_findings),
    ):
        if findings:
            lines += [f"### {title} workload findings ({len(findings)})", ""]
            lines += [f"- {code(f.check)} {cell(f.where)}: {cell(f.message)}" for f in findings]
            lines.append("")
    if len(lines) == 2:
        lines.append("No change.")
    return "\n".join(lines).rstrip() + "\n"


def _open_findings(report: Mapping[str, Any]) -> dict[FindingKey, FindingChange]:
    found: dict[FindingKey, FindingChange] = {}
    for item in report.get("workloadFindings", []):
        if item.get("excepted"):
            continue
        key = (item["check"], item["object"], item.get("container", ""))
        evidence = item.get("evidence", {})
        where = f"{evidence.get('file', '')}:{evidence.get('line', 0)}"
        found.setdefault(key, FindingChange(*key, item.get("message", ""), where))
    return found


def _change(change: ControlChange) -> dict[str, str]:
    return {
        "id": change.control,
        "area": change.area,
        "title": change.title,
        "old": change.old,
        "new": change.new,
    }


def _finding(finding: FindingChange) -> dict[str, str]:
    return {
        "check": finding.check,
        "object": finding.object_ref,
        "container": finding.container,
        "message": finding.message,
        "where": finding.where,
    }


def _error(path: Path, line: int, message: str) -> InputError:
    return InputError([Problem(Location(str(path), line), "--compare", message)])

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
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from stackyard.assess.model import SCHEMA_VERSION, Assessment
from stackyard.assess.report.markdown import cell, code
from stackyard.errors import InputError, Location, Problem, YamlError
from stackyard.fsio import read_input_bytes
from stackyard.yamlio import LocatedDocument, load_yaml_text, validate_document

# Reports of the largest repositories are a few MiB; the cap only stops runaway input.
MAX_REPORT_BYTES = 64 * 1024 * 1024
MAX_LOCATED_BYTES = 4 * 1024 * 1024  # larger reports' shape errors name no line
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
        InputError: unreadable, not JSON, not an assessment of this schema, or a part
            that ``compare`` reads of the wrong shape (at its line, for reports up to
            ``MAX_LOCATED_BYTES``).
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
    document = LocatedDocument(str(path), data)
    try:
        validate_document(_Report, document)
    except InputError:
        # Positions cost a second, YAML, reading of the text: paid only to locate errors,
        # and only for a text the YAML reader accepts anyway (JSON is YAML).
        validate_document(_Report, _located(raw, document))
        raise
    return data


class _Evidence(BaseModel):
    file: StrictStr = ""
    line: StrictInt = 0


class _WorkloadFinding(BaseModel):
    check: StrictStr
    object: StrictStr
    container: StrictStr = ""
    message: StrictStr = ""
    excepted: StrictBool = False
    evidence: _Evidence = _Evidence()


class _Control(BaseModel):
    id: StrictStr
    status: Literal["missing", "partial", "achieved"]


class _Area(BaseModel):
    id: StrictStr
    rating: StrictInt
    controls: list[_Control] = []


class _Report(BaseModel):
    """What ``compare`` reads of an earlier report; keys it does not read are ignored.

    Unknown keys are not errors here, unlike in the user's own files: within one schema
    version a report may gain keys, and a report written by a later Stackyard still
    compares.
    """

    model_config = ConfigDict(populate_by_name=True)

    areas: list[_Area] = []
    workload_findings: list[_WorkloadFinding] = Field(default=[], alias="workloadFindings")


def _located(raw: bytes, document: LocatedDocument) -> LocatedDocument:
    """``document`` with the positions of its text, when the YAML reader accepts it."""
    if len(raw) > MAX_LOCATED_BYTES:
        return document
    try:
        positions = load_yaml_text(raw.decode("utf-8"), document.source).positions
    except YamlError:
        return document
    return replace(document, positions=positions)


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

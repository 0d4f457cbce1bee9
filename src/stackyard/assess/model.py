"""The values an assessment is made of, shared by detectors, scoring and every report.

An assessment reads any platform repository and rates it per area of the maturity
model (data in ``assess/data/maturity.yaml``) on the 1–5 scale of the maturity scorecard,
with an overall level on the CNCF Cloud Native Maturity Model. Every verdict carries
evidence: file:line spans of what was found, or what was looked for and not found.
What proves a practice (``evidence``) and what proves its absence (``gaps``) are kept
apart, a coverage count ("13 of 14 applications") lists the units it counted
(``units``), and nothing is cut: reports may show the first few spans, the JSON holds
them all.
The JSON shape (``Assessment.as_dict``) is versioned by ``SCHEMA_VERSION``
(``schema_id("assessment")``) and its ids are stable, so CI can compare runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from stackyard.errors import Location
from stackyard.findings import Finding, Severity
from stackyard.versioning import schema_id

SCHEMA_VERSION = schema_id("assessment")

Status = Literal["achieved", "partial", "missing"]
Priority = Literal["Essential", "1st", "2nd"]
CnmmLevel = Literal["Build", "Operate", "Scale", "Improve", "Adapt"]
CNMM_LEVELS: tuple[CnmmLevel, ...] = ("Build", "Operate", "Scale", "Improve", "Adapt")
ExceptionOrigin = Literal["file", "annotation"]
Distribution = Literal["kubeadm", "rke2", "k3s", "talos"]
Engine = Literal["argocd", "flux"]  # the GitOps engine that reconciles the repository
Provider = Literal["aws", "gcp", "azure", "onprem"]  # where the clusters run
ExcludeOrigin = Literal["default", "option"]
NoticeKind = Literal["", "template"]  # see Notice


# Evidence text is a quote of the cited lines, optionally followed by this separator and
# a note that the lines cannot show (what a template renders to, a count, an absence).
NOTE_SEPARATOR = " — "


@dataclass(frozen=True, order=True)
class Evidence:
    """A span of a file that supports a verdict (lines are 1-based, inclusive).

    ``text`` quotes what is written in those lines (``selfHeal: true``,
    ``resources:``); anything the lines cannot show follows ``NOTE_SEPARATOR``
    (``name: '{{.name}}' — hub``).
    """

    file: str
    line: int
    end_line: int
    text: str = ""

    @property
    def quote(self) -> str:
        """The part of ``text`` written in the cited lines (before any note)."""
        return self.text.partition(NOTE_SEPARATOR)[0]

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {"file": self.file, "line": self.line, "endLine": self.end_line, "text": self.text}


@dataclass(frozen=True)
class Unit:
    """One thing a coverage count counts ("13 of 14 applications": one application).

    ``counted`` says whether it has the practice; ``evidence`` cites what proves it
    (the ``resources:`` key of its values) or, when it is not counted, the unit itself.
    """

    name: str
    counted: bool
    evidence: tuple[Evidence, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "name": self.name,
            "counted": self.counted,
            "evidence": [e.as_dict() for e in self.evidence],
        }


def noted(quote: str, note: str) -> str:
    """Evidence text: ``quote`` as written, then ``note`` (what the lines cannot show)."""
    return f"{quote}{NOTE_SEPARATOR}{note}" if note and note != quote else quote


def covered(units: tuple[Unit, ...]) -> float | None:
    """The fraction of ``units`` counted; None when there are none."""
    if not units:
        return None
    return sum(u.counted for u in units) / len(units)


@dataclass(frozen=True)
class ControlResult:
    """The verdict on one control of the maturity model."""

    control: str
    area: str
    title: str
    status: Status
    weight: float
    level: int
    evidence: tuple[Evidence, ...] = ()  # what proves the practice is in place
    looked_for: str = ""
    detail: str = ""
    excepted: bool = False  # accepted in an exceptions file; rating unchanged
    gaps: tuple[Evidence, ...] = ()  # what proves it is not (a release without requests)
    units: tuple[Unit, ...] = ()  # what a coverage count counted, each counted or not
    coverage: float | None = None  # counted fraction of ``units``, for coverage controls

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "id": self.control,
            "area": self.area,
            "title": self.title,
            "status": self.status,
            "weight": self.weight,
            "level": self.level,
            "detail": self.detail,
            "lookedFor": self.looked_for,
            "excepted": self.excepted,
            "evidence": [e.as_dict() for e in self.evidence],
            "gaps": [e.as_dict() for e in self.gaps],
            "units": [u.as_dict() for u in self.units],
            "coverage": self.coverage,
        }


@dataclass(frozen=True)
class AreaResult:
    """One area's rating (1–5) and the control verdicts behind it."""

    area: str
    title: str
    rating: int
    controls: tuple[ControlResult, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "id": self.area,
            "title": self.title,
            "rating": self.rating,
            "controls": [c.as_dict() for c in self.controls],
        }


@dataclass(frozen=True)
class RoadmapItem:
    """A gap turned into work, in a roadmap priority class (Essential, 1st, 2nd)."""

    priority: Priority
    area: str
    control: str
    title: str
    reason: str
    next_step: str

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "priority": self.priority,
            "area": self.area,
            "control": self.control,
            "title": self.title,
            "reason": self.reason,
            "nextStep": self.next_step,
        }


@dataclass(frozen=True)
class WorkloadFinding:
    """A per-object check result (Polaris / kube-score style), with a stable id."""

    check: str
    severity: Severity
    message: str
    evidence: Evidence
    object_ref: str  # kind/namespace/name
    excepted: bool = False  # accepted in an exceptions file or by the object's annotations
    container: str = ""  # empty for pod-level checks; with check and object, the identity

    @property
    def finding(self) -> Finding:
        """The common part: check, severity and message at the evidence's first line."""
        where = Location(self.evidence.file, self.evidence.line)
        return Finding(where, self.check, self.message, self.severity)

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "check": self.check,
            "severity": self.severity,
            "message": self.message,
            "object": self.object_ref,
            "container": self.container,
            "excepted": self.excepted,
            "evidence": self.evidence.as_dict(),
        }


@dataclass(frozen=True)
class Notice:
    """Something skipped or handled on the way (binary file, invalid YAML, loop...).

    ``kind`` names notices that come one per file and repeat (every file of a template
    repository is read as a template): reports summarise those by kind, the JSON keeps
    each. Empty for a notice that stands alone.
    """

    file: str
    message: str
    kind: NoticeKind = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {"file": self.file, "message": self.message, "kind": self.kind}


@dataclass(frozen=True)
class ExcludedPaths:
    """What one exclude rule left out of the assessment (folders are not walked)."""

    rule: str  # the pattern as written
    origin: ExcludeOrigin  # a default rule, or ``--exclude``
    reason: str
    folders: tuple[str, ...]
    files: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "rule": self.rule,
            "origin": self.origin,
            "reason": self.reason,
            "folders": list(self.folders),
            "files": list(self.files),
        }


@dataclass(frozen=True)
class ExceptionUse:
    """One accepted finding (an exceptions-file entry or an object's exemption annotation).

    What became of it in this run: how many findings and controls it matched.
    """

    check: str
    target: str  # the object or file pattern it matches
    reason: str
    expires: str  # ISO date, through which it applies; empty for annotations (no expiry)
    expired: bool
    matched: int  # findings and controls it marked as excepted
    source: Evidence  # where the entry or annotation is written
    origin: ExceptionOrigin = "file"

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "check": self.check,
            "target": self.target,
            "reason": self.reason,
            "expires": self.expires,
            "expired": self.expired,
            "matched": self.matched,
            "origin": self.origin,
            "source": self.source.as_dict(),
        }


@dataclass(frozen=True)
class Assessment:
    """The whole result of ``stackyard assess``."""

    root: str
    areas: tuple[AreaResult, ...]
    level: CnmmLevel
    roadmap: tuple[RoadmapItem, ...]
    workload_findings: tuple[WorkloadFinding, ...] = ()
    notices: tuple[Notice, ...] = ()
    stats: dict[str, int] = field(default_factory=dict)
    exceptions: tuple[ExceptionUse, ...] = ()
    distributions: tuple[Distribution, ...] = ()  # read from node bootstrap; advice follows
    engines: tuple[Engine, ...] = ()  # Argo CD and/or Flux objects; advice follows
    providers: tuple[Provider, ...] = ()  # cloud or on-premises signs; advice follows
    excluded: tuple[ExcludedPaths, ...] = ()  # left out by exclude rules, by rule

    def area(self, area_id: str) -> AreaResult:
        """The result of area ``area_id``."""
        return next(a for a in self.areas if a.area == area_id)

    def excepted_counts(self) -> dict[str, int]:
        """How many workload findings and controls are excepted (derived, never stale)."""
        return {
            "exceptedFindings": sum(f.excepted for f in self.workload_findings),
            "exceptedControls": sum(c.excepted for a in self.areas for c in a.controls),
        }

    def as_dict(self) -> dict[str, Any]:
        """The versioned JSON document (``--output json``)."""
        return {
            "schema": SCHEMA_VERSION,
            "root": self.root,
            "level": self.level,
            "areas": [a.as_dict() for a in self.areas],
            "roadmap": [r.as_dict() for r in self.roadmap],
            "workloadFindings": [w.as_dict() for w in self.workload_findings],
            "notices": [n.as_dict() for n in self.notices],
            "stats": dict(sorted({**self.stats, **self.excepted_counts()}.items())),
            "exceptions": [x.as_dict() for x in self.exceptions],
            "distributions": list(self.distributions),
            "gitopsEngines": list(self.engines),
            "providers": list(self.providers),
            "excluded": [x.as_dict() for x in self.excluded],
        }

"""One finding and one severity vocabulary for every check Stackyard runs.

The plan's static checks, ``validate`` over a GitOps tree and ``assess``'s workload
checks all say the same thing: this check, at this place, found this, and here is
what to do. They share :class:`Finding`, its JSON shape (:meth:`Finding.as_dict`) and
the severities ``error`` (the input is wrong; gates fail), ``warning`` (probably
wrong) and ``info`` (worth knowing).

What a check could not look at — no schema for a kind, a chart that is not local — is
not a problem in the input and has no severity of its own: it is an ``info`` finding
marked ``unchecked``, a gap in coverage that reports list apart from the findings.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from stackyard.errors import Location

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
SEVERITY_ORDER: Mapping[str, int] = {name: rank for rank, name in enumerate(SEVERITIES)}
"""Rank of each severity, most severe first, for sorting."""


@functools.total_ordering
@dataclass(frozen=True)
class Finding:
    """The result of one check at one place.

    Attributes:
        location: where in which file (line and column 0 when unknown).
        check: the stable id of the check (``SY101``, ``schema``, ``WL007``).
        message: what is wrong.
        severity: how much it matters.
        field: the dotted path of the offending field, when there is one.
        hint: what to do about it.
        cluster: the cluster it concerns, for findings about one cluster of a plan.
        unchecked: a gap in coverage (what could not be checked) rather than a
            problem; always of severity ``info``.
    """

    location: Location
    check: str
    message: str
    severity: Severity = "error"
    field: str = ""
    hint: str = ""
    cluster: str | None = None
    unchecked: bool = False

    def __post_init__(self) -> None:
        if self.unchecked and self.severity != "info":
            raise ValueError("an unchecked finding (a coverage gap) has severity info")

    @classmethod
    def not_checked(cls, location: Location, check: str, message: str) -> Finding:
        """A coverage gap: ``check`` could not look at ``location``, for the reason given."""
        return cls(location, check, message, "info", unchecked=True)

    def as_dict(self) -> dict[str, Any]:
        """JSON shape, the same in every report that lists findings."""
        return {
            "check": self.check,
            "severity": self.severity,
            "message": self.message,
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "field": self.field,
            "hint": self.hint,
            "cluster": self.cluster,
            "unchecked": self.unchecked,
        }

    def __lt__(self, other: Finding) -> bool:
        """Findings sort by place: file, line, column, then check, message, severity."""
        return by_place(self) < by_place(other)

    def __str__(self) -> str:
        where = f"{self.location}: {self.field}" if self.field else str(self.location)
        return f"{where}: {self.check}: {self.message}"


def by_place(finding: Finding) -> tuple[Location, str, str, int]:
    """Sort key: file, line and column, then check, message and severity."""
    return (finding.location, finding.check, finding.message, SEVERITY_ORDER[finding.severity])


def by_severity(finding: Finding) -> tuple[int, Location, str]:
    """Sort key: most severe first, then file, line and column, then check."""
    return (SEVERITY_ORDER[finding.severity], finding.location, finding.check)

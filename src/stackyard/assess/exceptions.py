"""Accepted findings: a YAML file of exceptions, each with a reason and an expiry date.

Policy:

- An exception names a check: a workload check (``WL007``, or its Polaris or
  kube-score name) or a maturity-model control id. For workload checks, ``object``
  (``kind/namespace/name``) and ``file`` are shell-style patterns (``*`` also crosses
  ``/``) that must both match; left out, they match everything. Control exceptions
  take no pattern: a control is judged once per repository.
- ``reason`` and ``expires`` (an ISO date) are mandatory: an accepted risk without a
  reason is not accepted, and one without an end is forgotten. An exception applies up
  to and including its expiry date; after it, it stops applying and is reported (a
  notice, and ``expired: true`` in the assessment's ``exceptions`` list).
- Excepted findings and controls stay in the report, marked ``excepted``; ratings and
  the overall level do not change (an accepted gap is still a gap), but excepted
  controls leave the roadmap and excepted results are suppressed in SARIF.
- A malformed file is an :class:`~stackyard.errors.InputError` listing every problem
  with its file:line, so it can be fixed in one pass.
- An entry naming a check that is neither a workload check nor a control of the
  model is bad input too (exit 2, with the file, line, field and the nearest known
  names): a misspelt id would otherwise accept nothing while the file says a risk is
  accepted. Checkov ignores unknown ids silently, and its users report that as a
  defect (bridgecrewio/checkov#7614).
- An entry that is in force but matches nothing is reported as a notice, not an
  error, as ESLint reports unused disable directives
  (https://eslint.org/docs/latest/use/command-line-interface#--report-unused-disable-directives):
  the finding may have been fixed, or the file is shared by several repositories.

Example::

    exceptions:
      - check: WL007
        object: DaemonSet/kube-system/cilium
        reason: the CNI agent programs the node's network
        expires: 2026-12-31
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo, field_validator

from stackyard.assess.model import (
    Assessment,
    ControlResult,
    Evidence,
    ExceptionUse,
    Notice,
    WorkloadFinding,
)
from stackyard.assess.workloads import WORKLOAD_CHECKS
from stackyard.assess.workloads.exemptions import check_names
from stackyard.errors import InputError, Location, Problem
from stackyard.yamlio import LocatedDocument, read_yaml_document, validate_document

# Every name a workload check is known by -> the ``WL`` ids it stands for.
WORKLOAD_ALIASES = check_names(WORKLOAD_CHECKS)


@dataclass(frozen=True)
class AcceptedFinding:
    """One entry of an exceptions file."""

    check: str
    reason: str
    expires: dt.date
    location: Location
    object: str = "*"
    file: str = "*"
    field: str = "check"  # the entry's field in the file, for messages

    @property
    def workload_ids(self) -> frozenset[str]:
        """The ``WL`` ids it covers; empty when it names a control."""
        return WORKLOAD_ALIASES.get(self.check, frozenset())

    @property
    def target(self) -> str:
        """The patterns it matches, for reports."""
        if not self.workload_ids:
            return "(control)"
        return f"object {self.object}, file {self.file}"

    def expired(self, today: dt.date) -> bool:
        """Whether it no longer applies on ``today``."""
        return today > self.expires

    def covers_finding(self, finding: WorkloadFinding) -> bool:
        """Whether it accepts a workload finding."""
        return (
            finding.check in self.workload_ids
            and fnmatchcase(finding.object_ref, self.object)
            and fnmatchcase(finding.evidence.file, self.file)
        )

    def covers_control(self, control: ControlResult) -> bool:
        """Whether it accepts a control verdict (only gaps can be accepted)."""
        return (
            not self.workload_ids and control.control == self.check and control.status != "achieved"
        )


def load_exceptions(path: Path) -> list[AcceptedFinding]:
    """Read an exceptions file.

    Raises:
        InputError: the file is unreadable, not YAML, or an entry is malformed (every
            problem, each with file and line).
    """
    document = read_yaml_document(path, what="the exceptions file")
    return [] if document.data is None else parse_exceptions(document)


def parse_exceptions(document: LocatedDocument) -> list[AcceptedFinding]:
    """Validate a loaded exceptions document; see :func:`load_exceptions`."""
    parsed = validate_document(_ExceptionsFile, document)
    return [
        AcceptedFinding(
            check=entry.check,
            reason=entry.reason,
            expires=entry.expires,
            location=document.locate(("exceptions", index, "check"), key=True),
            object=entry.object or "*",
            file=entry.file or "*",
            field=f"exceptions[{index}].check",
        )
        for index, entry in enumerate(parsed.exceptions)
    ]


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value.strip()


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError("must be an ISO date such as 2026-12-31")


_Text = Annotated[str, BeforeValidator(_text)]


class _Entry(BaseModel):
    """One accepted finding as written in the file."""

    model_config = ConfigDict(extra="forbid")

    check: _Text
    reason: _Text
    expires: Annotated[dt.date, BeforeValidator(_date)]
    object: _Text | None = None
    file: _Text | None = None

    @field_validator("object", "file")
    @classmethod
    def _workload_checks_only(cls, pattern: str | None, info: ValidationInfo) -> str | None:
        check = info.data.get("check")
        if pattern is not None and check is not None and check not in WORKLOAD_ALIASES:
            message = (
                f"{info.field_name} patterns apply to workload checks only; {check!r} is not one"
            )
            raise ValueError(message)
        return pattern


class _ExceptionsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exceptions: list[_Entry]


def apply_exceptions(
    assessment: Assessment,
    exceptions: Sequence[AcceptedFinding],
    *,
    today: dt.date | None = None,
) -> Assessment:
    """Mark what ``exceptions`` accept; report those that expired.

    Args:
        assessment: the result to mark (not changed; a new one is returned).
        exceptions: entries from :func:`load_exceptions`.
        today: the date expiry is judged on (the local date by default).

    Raises:
        InputError: an entry names a check that is neither a workload check nor a
            control of the assessment (every such entry, with its file and line).
    """
    _refuse_unknown_checks(assessment, exceptions)
    today = today or dt.date.today()
    active = [e for e in exceptions if not e.expired(today)]
    matched: dict[int, int] = {}

    def first_cover(covers: list[bool]) -> bool:
        for position, hit in enumerate(covers):
            if hit:
                key = id(active[position])
                matched[key] = matched.get(key, 0) + 1
                return True
        return False

    findings = tuple(
        dataclasses.replace(f, excepted=True)
        if not f.excepted and first_cover([e.covers_finding(f) for e in active])
        else f  # already excepted by the object's own annotations, or not covered
        for f in assessment.workload_findings
    )
    areas = tuple(
        dataclasses.replace(
            area,
            controls=tuple(
                dataclasses.replace(c, excepted=True)
                if first_cover([e.covers_control(c) for e in active])
                else c
                for c in area.controls
            ),
        )
        for area in assessment.areas
    )
    excepted_controls = {c.control for a in areas for c in a.controls if c.excepted}
    roadmap = tuple(r for r in assessment.roadmap if r.control not in excepted_controls)
    uses = tuple(_use(e, today, matched.get(id(e), 0)) for e in exceptions)
    notices = tuple(
        Notice(
            e.location.file,
            f"line {e.location.line}: "
            + (_expiry_message(e) if e.expired(today) else _unused_message(e)),
        )
        for e in exceptions
        if e.expired(today) or not matched.get(id(e))
    )
    return dataclasses.replace(
        assessment,
        areas=areas,
        roadmap=roadmap,
        workload_findings=findings,
        notices=assessment.notices + notices,
        exceptions=assessment.exceptions + uses,
    )


def _refuse_unknown_checks(assessment: Assessment, exceptions: Sequence[AcceptedFinding]) -> None:
    controls = {c.control for area in assessment.areas for c in area.controls}
    known = sorted(controls | WORKLOAD_ALIASES.keys())
    problems = []
    for entry in exceptions:
        if entry.workload_ids or entry.check in controls:
            continue
        near = difflib.get_close_matches(entry.check, known, n=3, cutoff=0.6)
        hint = f"did you mean {' or '.join(near)}?" if near else "see docs/assessment-model.md"
        problems.append(
            Problem(
                entry.location,
                entry.field,
                f"unknown check {entry.check!r}: not a workload check (WL001, its Polaris or "
                "kube-score name) nor a control id of the maturity model",
                hint,
            )
        )
    if problems:
        raise InputError(problems)


def _use(entry: AcceptedFinding, today: dt.date, matched: int) -> ExceptionUse:
    line = entry.location.line
    return ExceptionUse(
        check=entry.check,
        target=entry.target,
        reason=entry.reason,
        expires=entry.expires.isoformat(),
        expired=entry.expired(today),
        matched=matched,
        source=Evidence(entry.location.file, line, line, f"check: {entry.check}"),
    )


def _unused_message(entry: AcceptedFinding) -> str:
    what = "no workload finding" if entry.workload_ids else "no gap of this control"
    return (
        f"the exception for {entry.check} ({entry.target}) matched nothing: "
        f"{what} in this run; remove it or correct its patterns"
    )


def _expiry_message(entry: AcceptedFinding) -> str:
    return (
        f"the exception for {entry.check} ({entry.target}) expired on "
        f"{entry.expires.isoformat()} and no longer applies; renew it with a new reason "
        "or fix the findings"
    )

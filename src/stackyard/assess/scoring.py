"""Verdicts per control, ratings per area, and the overall CNCF maturity level.

The rules are stated in ``stackyard.assess.maturity`` (and docs/assessment.md); this
module applies them. A control's detectors are combined as the model says: ``all``
takes the worst mapped status (every detector must agree the practice is in place),
``any`` the best (one of several ways of doing it is enough).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from stackyard.assess.detectors import DetectorResult
from stackyard.assess.maturity import (
    HIGH_WATER,
    LEVELS,
    PASS_MARK,
    SCORES,
    Area,
    Control,
    MaturityModel,
)
from stackyard.assess.model import (
    CNMM_LEVELS,
    AreaResult,
    CnmmLevel,
    ControlResult,
    Status,
    covered,
)

_RANK: dict[Status, int] = {"missing": 0, "partial": 1, "achieved": 2}


def judge(control: Control, area: Area, results: Mapping[str, DetectorResult]) -> ControlResult:
    """The verdict on one control from its detectors' results."""
    verdicts = [(ref.map(results[ref.name].status), results[ref.name]) for ref in control.detectors]
    pick = min if control.combine == "all" else max
    status = pick((s for s, _ in verdicts), key=lambda s: _RANK[s])
    chosen = (
        [r for s, r in verdicts if s == status]
        if control.combine == "any"
        else [r for _, r in verdicts]
    )
    evidence = tuple(dict.fromkeys(e for r in chosen for e in r.evidence))
    gaps = tuple(dict.fromkeys(e for r in chosen for e in r.gaps))
    units = tuple(u for r in chosen for u in r.units)
    looked_for = "; ".join(r.looked_for for s, r in verdicts if s != "achieved" and r.looked_for)
    detail = "; ".join(dict.fromkeys(r.detail for r in chosen if r.detail))
    fraction = covered(units) if control.coverage else None
    if fraction is not None:
        status = coverage_status(fraction)
    return ControlResult(
        control=control.id,
        area=area.id,
        title=control.title,
        status=status,
        weight=control.weight,
        level=control.level,
        evidence=evidence,
        looked_for=looked_for if status != "achieved" else "",
        detail=detail,
        gaps=gaps,
        units=units,
        coverage=fraction,
    )


def coverage_status(fraction: float) -> Status:
    """A coverage control's status: achieved from ``HIGH_WATER``, missing at nothing."""
    if fraction >= HIGH_WATER:
        return "achieved"
    return "partial" if fraction > 0 else "missing"


def points(control: ControlResult) -> float:
    """What a verdict scores: 1, 0.5, 0 — a partial coverage control its covered fraction."""
    if control.status == "partial" and control.coverage is not None:
        return control.coverage
    return SCORES[control.status]


def level_score(controls: Sequence[ControlResult], level: int) -> float:
    """Weighted mean score of the controls at ``level`` (1.0 when it has none)."""
    at_level = [c for c in controls if c.level == level]
    total = sum(c.weight for c in at_level)
    if not total:
        return 1.0
    return sum(c.weight * points(c) for c in at_level) / total


def rate(controls: Sequence[ControlResult]) -> int:
    """Highest level L such that every level 2..L is met; 1 when level 2 is not."""
    rating = 1
    for level in LEVELS:
        if level_score(controls, level) < PASS_MARK:
            break
        rating = level
    return rating


def score(model: MaturityModel, results: Mapping[str, DetectorResult]) -> tuple[AreaResult, ...]:
    """Every area's controls judged and rated."""
    areas = []
    for area in model.areas:
        controls = tuple(judge(c, area, results) for c in area.controls)
        areas.append(AreaResult(area.id, area.title, rate(controls), controls))
    return tuple(areas)


def cnmm_level(model: MaturityModel, ratings: Mapping[str, int]) -> CnmmLevel:
    """The overall CNCF Cloud Native Maturity Model level (see ``maturity``)."""
    reached: CnmmLevel = CNMM_LEVELS[0]
    for number, level in enumerate(CNMM_LEVELS[1:], start=2):
        expected = [ratings[a.id] for a in model.areas if CNMM_LEVELS.index(a.cnmm) + 1 <= number]
        if not expected:
            reached = level
            continue
        mean = sum(expected) / len(expected)
        if mean < number - 0.5 or min(expected) < number - 2:
            break
        reached = level
    return reached

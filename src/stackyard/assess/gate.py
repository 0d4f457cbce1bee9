"""The CI gate: ``--fail-under LEVEL`` decides whether an assessment is good enough.

``LEVEL`` is either

- a CNCF Cloud Native Maturity Model level name (``Build``, ``Operate``, ``Scale``,
  ``Improve``, ``Adapt``; any case): the gate fails when the overall level is below it;
- an area rating from 1 to 5: the gate fails when *any* area is rated below it. The
  weakest area decides, because an average would let a strong area hide a missing one
  (great observability does not make up for no backups).

Exceptions do not move the gate: they change no rating and no level.
"""

from __future__ import annotations

from stackyard.assess.model import CNMM_LEVELS, Assessment, CnmmLevel
from stackyard.errors import InputError, Location, Problem

Threshold = CnmmLevel | int


def parse_threshold(text: str) -> Threshold:
    """Read a ``--fail-under`` value.

    Raises:
        InputError: neither a level name nor a rating from 1 to 5.
    """
    value = text.strip()
    if value.isdigit() and 1 <= int(value) <= 5:
        return int(value)
    for level in CNMM_LEVELS:
        if value.lower() == level.lower():
            return level
    names = ", ".join(CNMM_LEVELS)
    message = f"{text!r} is neither a maturity level ({names}) nor an area rating 1-5"
    raise InputError([Problem(Location("--fail-under"), "", message)])


def fail_under(assessment: Assessment, level: Threshold | str) -> bool:
    """Whether ``assessment`` is below ``level`` (the CI gate fails, exit 1).

    Args:
        assessment: the result to judge.
        level: a CNMM level name, or an area rating 1–5 every area must reach; a
            string is parsed with :func:`parse_threshold`.
    """
    threshold = parse_threshold(level) if isinstance(level, str) else level
    if isinstance(threshold, int):
        return any(area.rating < threshold for area in assessment.areas)
    return CNMM_LEVELS.index(assessment.level) < CNMM_LEVELS.index(threshold)

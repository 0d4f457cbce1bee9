"""Ratings degrade in proportion to coverage: one application without requests is not two levels.

The rule (docs/assessment.md, "Coverage controls"): a coverage control is achieved from
90% of its units, partial scoring its covered fraction below that, missing at none.
"""

from __future__ import annotations

import pytest

from stackyard.assess import assess_directory
from stackyard.assess.detectors import detectors_by_name
from stackyard.assess.maturity import HIGH_WATER, MaturityModelError, load_model, parse_model
from stackyard.assess.model import ControlResult, Unit
from stackyard.assess.scoring import coverage_status, level_score, points
from tests.assess.maturity.conftest import WriteTree, control
from tests.assess.maturity.test_detectors import app
from tests.assess.maturity.test_model import GOOD

RESOURCES = "resources:\n  requests:\n    cpu: 10m\n  limits:\n    memory: 64Mi"


def applications(total: int, without: int) -> dict[str, str | bytes]:
    """``total`` Applications of their own chart; the last ``without`` set no resources."""
    return {
        f"apps/app{i:02d}.yaml": app(
            f"app{i:02d}", f"chart{i:02d}", "" if i >= total - without else RESOURCES
        )
        for i in range(total)
    }


def rating(write_tree: WriteTree, total: int, without: int) -> tuple[int, ControlResult]:
    assessment = assess_directory(write_tree(applications(total, without)))
    return (
        assessment.area("resource-management").rating,
        control(assessment, "RM-REQUESTS-ALL"),
    )


def test_one_application_without_requests_among_18_costs_no_level(write_tree: WriteTree) -> None:
    full, _ = rating(write_tree, 18, 0)
    one_short, requests = rating(write_tree, 18, 1)
    assert full == one_short == 4  # no quotas, autoscalers or budgets: level 5 is not met
    assert requests.status == "achieved"
    assert requests.coverage == pytest.approx(17 / 18)
    assert requests.detail == "requests on 17 of 18 applications"
    assert [u.name for u in requests.units if not u.counted] == ["app17"]
    assert [g.file for g in requests.gaps] == ["apps/app17.yaml"]  # still cited, labelled


def test_half_the_applications_without_requests_fail_level_three(write_tree: WriteTree) -> None:
    area, requests = rating(write_tree, 18, 9)
    assert requests.status == "partial" and requests.coverage == 0.5
    assert area == 2


def test_fifteen_of_eighteen_still_meet_their_levels_as_partial(write_tree: WriteTree) -> None:
    area, requests = rating(write_tree, 18, 3)
    assert requests.status == "partial" and requests.coverage == pytest.approx(15 / 18)
    assert area == 4


def test_one_of_fifty_applications_scores_next_to_nothing(write_tree: WriteTree) -> None:
    assessment = assess_directory(write_tree(applications(50, 49)))
    requests = control(assessment, "RM-REQUESTS-ALL")
    assert requests.status == "partial" and requests.coverage == pytest.approx(0.02)
    controls = assessment.area("resource-management").controls
    assert level_score(controls, 3) == pytest.approx(0.02)
    assert assessment.area("resource-management").rating == 2  # some requests: level 2 only


def test_the_score_never_falls_as_coverage_rises() -> None:
    scores = []
    for counted in range(0, 51):
        units = tuple(Unit(f"u{i}", i < counted) for i in range(50))
        fraction = counted / 50
        result = ControlResult(
            "RM-REQUESTS-ALL",
            "a",
            "t",
            coverage_status(fraction),
            1,
            3,
            units=units,
            coverage=fraction,
        )
        scores.append(points(result))
    assert scores == sorted(scores)
    assert scores[0] == 0 and scores[-1] == 1
    assert scores[int(50 * HIGH_WATER)] == 1 and scores[int(50 * HIGH_WATER) - 1] < 0.9


def test_requests_and_limits_are_the_coverage_controls() -> None:
    flagged = {c.id for a in load_model().areas for c in a.controls if c.coverage}
    assert flagged == {"RM-REQUESTS-ALL", "RM-LIMITS-ALL"}


def test_a_coverage_control_has_one_unmapped_detector() -> None:
    text = GOOD
    for level in (2, 3, 4, 5):
        detectors = "[{name: resource-requests, partial: achieved}]" if level == 2 else "[grafana]"
        coverage = "        coverage: true\n" if level == 2 else ""
        text += (
            f"      - id: DEMO-L{level}\n        title: t\n        level: {level}\n"
            f"        detectors: {detectors}\n{coverage}        priority: 1st\n"
            "        why: w\n        next_step: n\n"
        )
    with pytest.raises(MaturityModelError, match="coverage control DEMO-L2 must have one"):
        parse_model(text, "m.yaml", detectors_by_name())

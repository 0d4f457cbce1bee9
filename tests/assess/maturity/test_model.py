"""The packaged maturity model is valid, complete and tied to real detectors; bad ones fail."""

from __future__ import annotations

from importlib import resources

import pytest

from stackyard.assess.detectors import ALL_DETECTORS, detectors_by_name
from stackyard.assess.maturity import MaturityModelError, load_model, parse_model
from stackyard.assess.model import ControlResult, Status
from stackyard.assess.scoring import cnmm_level, rate

AREAS = {
    "gitops-iac",
    "identity-sso",
    "secrets",
    "access-control",
    "networking",
    "observability",
    "resource-management",
    "supply-chain",
    "disaster-recovery",
    "policy-as-code",
    "cluster-hardening",
    "cicd",
    "multi-tenancy",
    "finops",
    "developer-portal",
    "resilience-testing",
    "service-mesh",
    "api-management",
}
GOOD = """\
version: 1
areas:
  - id: demo
    title: Demo
    cnmm: Operate
    controls:
"""
CONTROL = """\
      - id: {id}
        title: t
        level: {level}
        detectors: [{detector}]
        priority: {priority}
        why: w
        next_step: n
"""


def model_text(**overrides: str) -> str:
    text = GOOD
    for level in (2, 3, 4, 5):
        values = {"id": f"DEMO-L{level}", "level": str(level), "detector": "gitops-controller"}
        values["priority"] = "1st"
        if level == 2:
            values.update(overrides)
        text += CONTROL.format(**values)
    return text


def test_the_packaged_model_loads_with_every_required_area() -> None:
    model = load_model()
    assert {a.id for a in model.areas} == AREAS


def test_every_registered_detector_is_used_and_every_used_one_exists() -> None:
    names = [d.name for d in ALL_DETECTORS]
    assert len(names) == len(set(names))
    assert load_model().detector_names() == set(names)


def test_seed_001_items_map_to_controls() -> None:
    seeds = {c.seed for a in load_model().areas for c in a.controls if c.seed}
    expected = {f"E{i}" for i in range(1, 4)} | {f"P{i}" for i in range(1, 6)}
    assert seeds == expected | {f"S{i}" for i in range(1, 8)}


def test_a_minimal_model_parses() -> None:
    model = parse_model(model_text(), "m.yaml", detectors_by_name())
    assert [c.level for c in model.areas[0].controls] == [2, 3, 4, 5]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"detector": "no-such-detector"}, "unknown detectors: no-such-detector"),
        ({"level": "6"}, "less than or equal to 5"),
        ({"level": "1"}, "greater than or equal to 2"),
        ({"priority": "urgent"}, "priority"),
        ({"id": "lower-case"}, "String should match pattern"),
        ({"id": "DEMO-L3"}, "control ids used twice: DEMO-L3"),
    ],
)
def test_a_malformed_model_fails_loudly(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(MaturityModelError, match=message):
        parse_model(model_text(**overrides), "m.yaml", detectors_by_name())


def test_an_area_without_a_level_fails() -> None:
    text = GOOD + CONTROL.format(id="DEMO-A", level=2, detector="grafana", priority="2nd")
    with pytest.raises(MaturityModelError, match="no control at level 3, 4, 5"):
        parse_model(text, "m.yaml", detectors_by_name())


def test_a_model_that_is_not_yaml_fails() -> None:
    with pytest.raises(MaturityModelError, match=r"m\.yaml"):
        parse_model("version: [1\n", "m.yaml", detectors_by_name())


def test_the_packaged_file_is_shipped_as_package_data() -> None:
    assert (resources.files("stackyard.assess") / "data" / "maturity.yaml").is_file()


def controls(*statuses: tuple[int, Status]) -> list[ControlResult]:
    return [
        ControlResult(f"C-{i}", "a", "t", status, 1.0, level)
        for i, (level, status) in enumerate(statuses)
    ]


@pytest.mark.parametrize(
    ("statuses", "rating"),
    [
        ([(2, "missing"), (3, "achieved"), (4, "achieved"), (5, "achieved")], 1),
        ([(2, "achieved"), (3, "missing"), (4, "achieved"), (5, "achieved")], 2),
        ([(2, "achieved"), (3, "achieved"), (3, "partial"), (4, "partial"), (5, "achieved")], 3),
        ([(2, "partial"), (3, "achieved"), (4, "achieved"), (5, "achieved")], 1),
        ([(2, "achieved"), (3, "achieved"), (4, "achieved"), (5, "achieved")], 5),
    ],
)
def test_rating_is_the_highest_level_with_every_level_below_met(
    statuses: list[tuple[int, Status]], rating: int
) -> None:
    assert rate(controls(*statuses)) == rating


def test_overall_level_counts_only_areas_expected_so_far() -> None:
    model = load_model()
    ratings = {a.id: 1 for a in model.areas}
    assert cnmm_level(model, ratings) == "Build"
    foundations = {a.id for a in model.areas if a.cnmm == "Operate"}
    ratings.update({a: 4 for a in foundations} | {"resource-management": 4})
    assert cnmm_level(model, ratings) == "Scale"  # Improve areas (policy at 1) hold it there
    ratings.update({"supply-chain": 4, "policy-as-code": 4, "cicd": 4})
    assert cnmm_level(model, ratings) == "Scale"  # cluster hardening at 1 holds it too
    ratings.update({"cluster-hardening": 4})
    assert cnmm_level(model, ratings) == "Improve"  # FinOps and the portal are Adapt areas


def test_one_area_far_behind_blocks_the_next_level() -> None:
    model = load_model()
    ratings = {a.id: 5 for a in model.areas}
    ratings["policy-as-code"] = 1
    assert cnmm_level(model, ratings) == "Scale"

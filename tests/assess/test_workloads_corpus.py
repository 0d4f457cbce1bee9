"""An application repository of plain manifests: workload findings and ratings as read."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.assess import Assessment, assess_directory

REPO = Path(__file__).resolve().parent / "repos" / "app-manifests"
MANIFESTS = "kubernetes-manifests"

# The expert reading in the repository's README.md.
EXPECTED_FINDINGS = {
    ("WL018", f"{MANIFESTS}/frontend.yaml", 5),
    ("WL017", f"{MANIFESTS}/emailworker.yaml", 5),
    ("WL018", f"{MANIFESTS}/emailworker.yaml", 5),
    ("WL016", f"{MANIFESTS}/emailworker.yaml", 19),
    ("WL017", f"{MANIFESTS}/redis-cart.yaml", 5),
    ("WL018", f"{MANIFESTS}/redis-cart.yaml", 5),
    ("WL016", f"{MANIFESTS}/redis-cart.yaml", 19),
}
RATINGS = {"resource-management": 4, "gitops-iac": 1, "policy-as-code": 1, "networking": 1}


@pytest.fixture(scope="module")
def assessment() -> Assessment:
    return assess_directory(REPO)


def test_workload_findings_are_the_expert_reading_at_their_lines(assessment: Assessment) -> None:
    found = {(f.check, f.evidence.file, f.evidence.line) for f in assessment.workload_findings}
    assert found == EXPECTED_FINDINGS


def test_cited_lines_show_the_claim(assessment: Assessment) -> None:
    for finding in assessment.workload_findings:
        line = (REPO / finding.evidence.file).read_text(encoding="utf-8").splitlines()
        assert finding.evidence.text in line[finding.evidence.line - 1], finding


def test_the_spreading_finding_says_the_term_selects_other_pods(assessment: Assessment) -> None:
    (frontend,) = [
        f for f in assessment.workload_findings if f.evidence.file.endswith("frontend.yaml")
    ]
    assert "selects its own pods (labels app=frontend)" in frontend.message


def test_the_cache_without_replicas_is_asked_to_say_how_many(assessment: Assessment) -> None:
    # No replicas and no autoscaler here: one replica, unless one kept elsewhere scales it.
    cache = [
        f
        for f in assessment.workload_findings
        if f.evidence.file.endswith("redis-cart.yaml") and f.check in {"WL017", "WL018"}
    ]
    assert len(cache) == 2
    assert all("replicas is not set" in f.message for f in cache)
    assert all("write `replicas: 1` for a single instance" in f.message for f in cache)
    others = [f for f in assessment.workload_findings if f not in cache]
    assert not any("replicas is not set" in f.message for f in others)


@pytest.mark.parametrize(("area", "expected"), sorted(RATINGS.items()))
def test_area_ratings_are_within_one_of_the_expert_reading(
    assessment: Assessment, area: str, expected: int
) -> None:
    assert abs(assessment.area(area).rating - expected) <= 1, assessment.area(area)

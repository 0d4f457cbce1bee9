"""A repository rendered by Stackyard rates by edition: community < standard < enterprise."""

from __future__ import annotations

import pytest

from stackyard.assess import Assessment, assess_directory
from stackyard.assess.model import CNMM_LEVELS
from tests.assess.maturity.conftest import control
from tests.conftest import EXAMPLES, render_example

EDITIONS = {
    "community": "community-poc",
    "standard": "aws-standard",
    "enterprise": "aws-enterprise",
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Assessment]:
    """Each edition's shipped example, rendered to disk and assessed."""
    assessments = {}
    for edition, example in EDITIONS.items():
        out = tmp_path_factory.mktemp(edition) / "tree"
        render_example(EXAMPLES / f"{example}.yaml", out)
        assessments[edition] = assess_directory(out)
    return assessments


def mean(assessment: Assessment) -> float:
    return sum(a.rating for a in assessment.areas) / len(assessment.areas)


def rank(assessment: Assessment) -> int:
    return CNMM_LEVELS.index(assessment.level)


def test_editions_rate_community_below_standard_below_enterprise(
    rendered: dict[str, Assessment],
) -> None:
    community, standard, enterprise = (rendered[e] for e in EDITIONS)
    assert mean(community) < mean(standard) < mean(enterprise)
    assert rank(community) < rank(standard) <= rank(enterprise)
    for area in standard.areas:  # an edition never loses what the one below has
        assert enterprise.area(area.area).rating >= area.rating, area.area


def test_enterprise_reaches_at_least_improve(rendered: dict[str, Assessment]) -> None:
    assert rank(rendered["enterprise"]) >= CNMM_LEVELS.index("Improve")


def test_the_rendered_validation_pipeline_is_what_lifts_ci_cd(
    rendered: dict[str, Assessment],
) -> None:
    cicd = rendered["enterprise"].area("cicd")
    pipelines = next(c for c in cicd.controls if c.status == "achieved")
    assert any("stackyard-validate.yaml" in e.file for e in pipelines.evidence)


def test_edition_differences_show_in_the_verdicts(rendered: dict[str, Assessment]) -> None:
    community, standard, enterprise = (rendered[e] for e in EDITIONS)
    assert control(community, "NET-CNI-MODERN").status == "missing"  # Canal
    assert control(standard, "NET-CNI-MODERN").status == "achieved"  # Cilium ENI
    assert control(community, "SSO-IDP").status == "missing"
    assert control(standard, "SSO-WIRED").status == "achieved"
    assert control(standard, "ACC-GATEWAY").status == "missing"
    assert control(enterprise, "ACC-GATEWAY").status == "achieved"  # Teleport
    assert control(enterprise, "POL-ENFORCE").status == "achieved"  # Kyverno
    assert control(enterprise, "FIN-COST-VISIBILITY").status == "achieved"  # OpenCost
    for edition in rendered.values():
        assert control(edition, "DR-ETCD-SNAPSHOT").status == "achieved"
        assert control(edition, "GITOPS-SELF-HEAL").status == "achieved"


def test_rendered_trees_read_without_notices(rendered: dict[str, Assessment]) -> None:
    for edition in rendered.values():
        assert edition.notices == ()

"""An umbrella chart installs Argo CD; its root ApplicationSet lives in the chart's values.

The expert reading is in ``tests/assess/repos/umbrella-argocd/README.md``.
"""

from __future__ import annotations

import pytest

from stackyard.assess import Assessment
from stackyard.assess.model import Evidence
from tests.assess.maturity.conftest import assert_within_one, control, corpus

VALUES = "charts/argocd/values.yaml"
EXPECTED = {"gitops-iac": 4, "resource-management": 2, "networking": 1}


@pytest.fixture(scope="module")
def assessment() -> Assessment:
    """The repository, assessed."""
    return corpus("umbrella-argocd")


@pytest.mark.parametrize(("area", "rating"), sorted(EXPECTED.items()))
def test_ratings_match_the_expert_reading(assessment: Assessment, area: str, rating: int) -> None:
    assert_within_one(assessment, area, rating)


def test_gitops_rates_four_from_the_application_set_in_chart_values(
    assessment: Assessment,
) -> None:
    # 5ac5b48 saw no Application object and rated GitOps 1.
    assert assessment.area("gitops-iac").rating == 4


def test_self_heal_is_cited_at_the_values_file_line(assessment: Assessment) -> None:
    heal = control(assessment, "GITOPS-SELF-HEAL")
    assert heal.status == "achieved"
    assert heal.detail == "automated sync with selfHeal on 4 of 4 applications"
    assert heal.evidence[0] == Evidence(VALUES, 56, 56, "automated.selfHeal: true")


def test_the_root_application_set_is_cited_at_its_values_entry(assessment: Assessment) -> None:
    root = control(assessment, "GITOPS-APP-OF-APPS")
    assert root.status == "achieved"
    assert root.detail == "1 ApplicationSets: platform-addons"
    assert root.evidence == (
        Evidence(VALUES, 24, 59, "platform-addons: — ApplicationSet platform-addons"),
    )


def test_each_addon_is_counted_with_its_own_values_file(assessment: Assessment) -> None:
    requests = control(assessment, "RM-REQUESTS-ALL")
    assert requests.detail == "requests on 2 of 4 applications"
    cited = {(e.file, e.line, e.end_line) for e in requests.evidence}
    assert ("addons/cert-manager/values.yaml", 3, 8) in cited
    assert ("addons/ingress-nginx/values.yaml", 3, 6) in cited
    assert control(assessment, "RM-LIMITS-ALL").detail == "limits on 1 of 4 applications"


def test_addon_charts_named_in_git_files_are_components(assessment: Assessment) -> None:
    tls = control(assessment, "NET-TLS")
    assert tls.status == "achieved"
    assert (
        Evidence(
            "addons/cert-manager/config.yaml",
            1,
            4,
            "chart: cert-manager — git file addons/cert-manager/config.yaml",
        )
        in tls.evidence
    )

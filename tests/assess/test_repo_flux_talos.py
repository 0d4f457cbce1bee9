"""The flux-talos repository (home-ops style) is rated as its README's expert reading."""

from __future__ import annotations

import pytest

from stackyard.assess import Assessment
from tests.assess.maturity.conftest import assert_within_one, control, corpus, spans
from tests.assess.test_advice import ARGO_WORDS, AWS_WORDS, RKE2_WORDS, leaks

EXPERT = {
    "gitops-iac": 3,
    "identity-sso": 1,
    "secrets": 2,
    "access-control": 1,
    "networking": 2,
    "observability": 2,
    "resource-management": 3,
    "supply-chain": 1,
    "disaster-recovery": 2,
    "policy-as-code": 1,
    "cicd": 3,
    "multi-tenancy": 1,
    "finops": 1,
    "developer-portal": 1,
    "resilience-testing": 1,
    "service-mesh": 1,
    "api-management": 1,
}
CILIUM = "kubernetes/apps/kube-system/cilium/app"
TALOS = "talos"


@pytest.fixture(scope="module")
def assessment() -> Assessment:
    return corpus("flux-talos")


@pytest.mark.parametrize(("area", "expected"), sorted(EXPERT.items()))
def test_area_ratings_are_within_one_of_the_expert_reading(
    assessment: Assessment, area: str, expected: int
) -> None:
    assert_within_one(assessment, area, expected)


def test_the_platform_is_talos_on_premises_reconciled_by_flux(assessment: Assessment) -> None:
    assert assessment.distributions == ("talos",)
    assert assessment.engines == ("flux",)
    assert assessment.providers == ("onprem",)


def test_an_application_with_two_overlays_is_counted_once(assessment: Assessment) -> None:
    assert assessment.stats["releases"] == 12
    heal = control(assessment, "GITOPS-SELF-HEAL")
    assert heal.detail == "drift reverted on 11 of 12 applications; without driftDetection: echo"
    requests = control(assessment, "RM-REQUESTS-ALL")
    assert requests.detail == "requests on 4 of 4 applications and 1 of 1 workloads"
    limits = control(assessment, "RM-LIMITS-ALL")
    # the staging deployment of echo sets no limit; production's limit is not enough
    assert limits.detail == "limits on 3 of 4 applications and 1 of 1 workloads"
    assert limits.status == "partial"


def test_the_talos_backup_cronjob_is_an_off_node_etcd_snapshot(assessment: Assessment) -> None:
    etcd = control(assessment, "DR-ETCD-SNAPSHOT")
    assert etcd.status == "achieved"
    assert spans(etcd) == [
        ("kubernetes/apps/kube-system/talos-backup/app/cronjob.yaml", 16, 16),
        (f"{TALOS}/patches/global/machine-features.yaml", 6, 6),
    ]


def test_oidc_flags_are_read_from_the_talos_patch(assessment: Assessment) -> None:
    assert spans(control(assessment, "SSO-KUBE-API")) == [
        (f"{TALOS}/patches/controller/cluster.yaml", 7, 7)
    ]


def test_cilium_is_cited_at_cni_none_and_its_values_from_the_generated_config_map(
    assessment: Assessment,
) -> None:
    cni = control(assessment, "NET-CNI-MODERN")
    assert cni.status == "achieved"
    assert spans(cni) == [
        (f"{TALOS}/talconfig.yaml", 8, 8),
        (f"{CILIUM}/helm/values.yaml", 36, 36),
        (f"{CILIUM}/helmrelease.yaml", 2, 22),
    ]
    assert spans(control(assessment, "NET-FLOW-VISIBILITY")) == [
        (f"{CILIUM}/helmrelease.yaml", 20, 20)
    ]


def test_talos_default_pod_security_is_cluster_wide(assessment: Assessment) -> None:
    psa = control(assessment, "POL-PSA")
    assert psa.status == "achieved"
    assert spans(psa) == [(f"{TALOS}/talconfig.yaml", 2, 26)]


def test_the_roadmap_speaks_talos_flux_and_on_premises(assessment: Assessment) -> None:
    assert leaks(RKE2_WORDS, assessment) == []
    assert leaks(ARGO_WORDS, assessment) == []
    assert leaks(AWS_WORDS, assessment) == []
    steps = {r.control: r.next_step for r in assessment.roadmap}
    assert "driftDetection" in steps["GITOPS-SELF-HEAL"]
    assert "Flagger" in steps["CICD-PROGRESSIVE"]

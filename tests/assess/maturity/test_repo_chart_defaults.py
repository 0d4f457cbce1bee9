"""The chart-defaults repository is rated as its README's expert reading, with exact evidence.

The repository leans on what charts do by default (loki-stack's Promtail,
kube-prometheus-stack's Grafana and Alertmanager, Bitnami's resource presets), on a
chart's own resource shape, on digests pinned in values and on a kopia-based backup tool.
"""

from __future__ import annotations

import pytest

from stackyard.assess import Assessment
from stackyard.assess.model import Evidence
from tests.assess.maturity.conftest import assert_within_one, control, corpus

EXPERT = {
    "gitops-iac": 2,
    "networking": 1,
    "observability": 3,
    "resource-management": 4,
    "supply-chain": 1,
    "disaster-recovery": 2,
    "identity-sso": 1,
    "policy-as-code": 1,
}


@pytest.fixture(scope="module")
def assessment() -> Assessment:
    """The chart-defaults repository, assessed."""
    return corpus("chart-defaults")


@pytest.mark.parametrize(("area", "expected"), sorted(EXPERT.items()))
def test_area_ratings_match_the_expert_reading_within_one(
    assessment: Assessment, area: str, expected: int
) -> None:
    assert_within_one(assessment, area, expected)


def test_resource_management_is_not_dropped_by_presets_or_the_charts_own_shape(
    assessment: Assessment,
) -> None:
    assert assessment.area("resource-management").rating == 4
    for control_id, field in (("RM-REQUESTS-ALL", "requests"), ("RM-LIMITS-ALL", "limits")):
        verdict = control(assessment, control_id)
        assert verdict.status == "achieved"
        assert verdict.detail == f"{field} on 8 of 8 applications"
        assert (
            Evidence(
                "values/linkding.yaml",
                5,
                7,
                "linkding.resources: — cpu/memory: the chart's own shape, requests and limits",
            )
            in verdict.evidence
        )
        assert (
            Evidence(
                "apps/ingress.yaml",
                1,
                26,
                "ingress: requests and limits by chart default (nginx-ingress-controller 11.4.1)",
            )
            in verdict.evidence
        )


def test_promtail_grafana_and_alertmanager_run_by_chart_default(assessment: Assessment) -> None:
    assert control(assessment, "OBS-LOGS").evidence == (
        Evidence("apps/loki-stack.yaml", 1, 33, "Application loki"),
        Evidence(
            "apps/loki-stack.yaml",
            1,
            33,
            "promtail by chart default (loki-stack 2.10.2: promtail.enabled not set)",
        ),
    )
    assert control(assessment, "OBS-GRAFANA").evidence == (
        Evidence(
            "apps/kube-prometheus-stack.yaml",
            1,
            31,
            "grafana by chart default (kube-prometheus-stack 65.1.1: grafana.enabled not set)",
        ),
    )
    alerting = control(assessment, "OBS-ALERTING")
    assert alerting.status == "achieved"
    assert alerting.evidence[0].text.startswith("alertmanager by chart default")


def test_the_bitnami_ingress_controller_is_counted(assessment: Assessment) -> None:
    ingress = control(assessment, "NET-INGRESS")
    assert ingress.status == "achieved"
    assert ingress.evidence == (Evidence("apps/ingress.yaml", 1, 26, "Application ingress"),)


def test_digests_in_values_are_counted_alike_by_every_image_control(
    assessment: Assessment,
) -> None:
    digests = control(assessment, "SC-DIGESTS")
    assert digests.detail == "3 of 3 images pinned by digest"
    assert [(e.file, e.line, e.end_line) for e in digests.evidence] == [
        ("values/homepage.yaml", 3, 3),
        ("values/linkding.yaml", 4, 4),
        ("values/vaultwarden.yaml", 3, 3),
    ]
    assert control(assessment, "SC-PINNED-TAGS").detail == (
        "no :latest or untagged images among 3 image references"
    )


def test_the_kopia_backup_is_an_off_cluster_volume_backup(assessment: Assessment) -> None:
    volumes = control(assessment, "DR-PV-BACKUP")
    assert volumes.status == "achieved"
    assert volumes.evidence == (
        Evidence("backups/vaultwarden.yaml", 11, 16, "kopia: — ReplicationSource vaultwarden"),
    )
    assert control(assessment, "DR-VELERO").status == "missing"


def test_the_overall_level_is_operate(assessment: Assessment) -> None:
    assert assessment.level == "Operate"

"""The repository of seed 001 is rated as seed 001's corrected scorecard, with exact evidence."""

from __future__ import annotations

import pytest

from stackyard.assess import Assessment
from stackyard.assess.model import Evidence
from tests.assess.citations import misquoted
from tests.assess.maturity.conftest import control

# PLATFORM-FACTS §4, the 001 column (CI/CD is not rated by 001; 000 said 1).
SEED001_RATINGS = {
    "gitops-iac": 5,
    "identity-sso": 5,
    "secrets": 4,
    "access-control": 5,
    "observability": 4,
    "resource-management": 4,
    "supply-chain": 2,
    "disaster-recovery": 2,
    "networking": 2,
    "policy-as-code": 1,
    "cicd": 1,
}
MONITORING = "gitops-apps/bootstrap/apps/monitoring.yaml"
VAULT = "gitops-apps/bootstrap/apps/vault.yaml"


@pytest.mark.parametrize(("area", "expected"), sorted(SEED001_RATINGS.items()))
def test_area_ratings_match_seed_001_within_one(
    seed001: Assessment, area: str, expected: int
) -> None:
    assert abs(seed001.area(area).rating - expected) <= 1, seed001.area(area)


def test_most_ratings_match_seed_001_exactly(seed001: Assessment) -> None:
    exact = [a for a, r in SEED001_RATINGS.items() if seed001.area(a).rating == r]
    assert len(exact) >= 8, exact


def test_overall_level_is_scale_as_seed_001_says(seed001: Assessment) -> None:
    assert seed001.level == "Scale"


@pytest.mark.parametrize(
    ("seed", "controls"),
    [
        ("E1", {"DR-ETCD-SNAPSHOT", "DR-VELERO"}),
        ("E2", {"NET-CNI-MODERN"}),
        ("E3", {"SSO-ALL-UIS"}),
    ],
)
def test_every_essential_gap_of_seed_001_is_in_the_roadmap(
    seed001: Assessment, seed: str, controls: set[str]
) -> None:
    essential = {r.control: r for r in seed001.roadmap if r.priority == "Essential"}
    assert controls <= set(essential)
    for control_id in controls:
        assert f"[{seed}]" in essential[control_id].reason
        assert essential[control_id].next_step


def test_roadmap_lists_essential_then_first_then_second(seed001: Assessment) -> None:
    order = {"Essential": 0, "1st": 1, "2nd": 2}
    ranks = [order[r.priority] for r in seed001.roadmap]
    assert ranks == sorted(ranks)
    assert [r.control for r in seed001.roadmap[:4]] == [
        "DR-ETCD-SNAPSHOT",
        "DR-VELERO",
        "NET-CNI-MODERN",
        "SSO-ALL-UIS",
    ]


def test_sso_gap_names_the_services_not_wired(seed001: Assessment) -> None:
    sso = control(seed001, "SSO-ALL-UIS")
    assert sso.status == "partial"
    assert "Argo CD, Harbor" in sso.detail and "wired: Grafana" in sso.detail


def test_first_class_items_of_seed_001_are_in_the_roadmap(seed001: Assessment) -> None:
    first = " ".join(r.reason for r in seed001.roadmap if r.priority == "1st")
    for item in ("[P1]", "[P2]", "[P3]", "[P4]", "[P5]"):
        assert item in first


def test_grafana_sso_evidence_is_monitoring_yaml_lines_131_to_143(seed001: Assessment) -> None:
    wired = control(seed001, "SSO-WIRED")
    assert wired.status == "achieved"
    assert wired.evidence == (Evidence(MONITORING, 131, 143, "grafana.ini.auth.generic_oauth:"),)


def test_alertmanager_ha_evidence_is_monitoring_yaml_line_92(seed001: Assessment) -> None:
    ha = control(seed001, "OBS-ALERTMANAGER-HA")
    assert ha.status == "achieved"
    assert ha.evidence == (Evidence(MONITORING, 92, 92, "alertmanagerSpec.replicas: 3"),)


def test_loki_tempo_datasources_evidence_is_lines_158_to_187(seed001: Assessment) -> None:
    linked = control(seed001, "OBS-CORRELATION")
    assert linked.status == "achieved"
    assert linked.evidence == (Evidence(MONITORING, 158, 187, "grafana.additionalDataSources:"),)


def test_vault_injector_evidence_is_vault_yaml_line_81(seed001: Assessment) -> None:
    injection = control(seed001, "SEC-INJECTION")
    assert injection.evidence == (Evidence(VAULT, 81, 81, "injector.enabled: true"),)


def test_canal_is_found_inside_terraform_user_data(seed001: Assessment) -> None:
    cni = control(seed001, "NET-CNI-MODERN")
    assert cni.status == "missing"
    assert cni.gaps == (Evidence("stacks/dev/30-rke2-cluster/main.tf", 26, 26, "cni: canal"),)


def test_standalone_vault_is_cited_with_its_file_storage_line(seed001: Assessment) -> None:
    ha = control(seed001, "SEC-HA")
    assert ha.status == "missing"
    assert Evidence(VAULT, 71, 71, 'storage "file" {') in ha.gaps
    unseal = control(seed001, "SEC-AUTO-UNSEAL")
    assert unseal.evidence == (Evidence(VAULT, 75, 75, 'seal "awskms" {'),)


def test_requests_and_limits_are_counted_per_application(seed001: Assessment) -> None:
    for control_id, field in (("RM-REQUESTS-ALL", "requests"), ("RM-LIMITS-ALL", "limits")):
        result = control(seed001, control_id)
        assert result.status == "achieved"
        assert result.detail == f"{field} on 13 of 13 applications"


def test_harbor_without_trivy_and_latest_tags_are_cited(seed001: Assessment) -> None:
    scanning = control(seed001, "SC-SCANNING")
    assert scanning.status == "missing"
    assert scanning.gaps == (
        Evidence("gitops-apps/bootstrap/apps/harbor.yaml", 39, 39, "trivy.enabled: false"),
    )
    tags = control(seed001, "SC-PINNED-TAGS")
    assert tags.gaps == (
        Evidence("gitops-apps/bootstrap/apps/promtail.yaml", 29, 29, "image.tag: latest"),
    )


def test_self_heal_covers_the_root_and_all_thirteen_apps(seed001: Assessment) -> None:
    heal = control(seed001, "GITOPS-SELF-HEAL")
    assert heal.status == "achieved"
    assert heal.detail == "automated sync with selfHeal on 14 of 14 applications"
    assert control(seed001, "GITOPS-APP-OF-APPS").detail == "App of Apps: platform-root"


def test_missing_verdicts_say_what_was_looked_for(seed001: Assessment) -> None:
    for area in seed001.areas:
        for result in area.controls:
            if result.status != "achieved":
                assert result.looked_for, result.control
            else:
                assert result.evidence or result.control == "SC-PINNED-TAGS", result.control


def test_the_seed_repository_reads_without_notices(seed001: Assessment) -> None:
    assert seed001.notices == ()


def test_every_cited_span_shows_its_claim(seed001: Assessment) -> None:
    assert misquoted(seed001) == []

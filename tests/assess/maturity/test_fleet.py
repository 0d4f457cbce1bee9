"""A repository that deploys to several clusters is a fleet, in every GitOps spelling.

Each folder under ``tests/assess/resources/fleets`` is one repository: Argo CD cluster
Secrets targeted by Applications or ApplicationSet cluster generators, Rancher Fleet
GitRepos, Flux Kustomizations with a kubeConfig; and their single-cluster twins.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.assess.detectors import DetectorResult, detectors_by_name
from stackyard.assess.inputs import index_repository
from stackyard.assess.model import Status
from tests.assess.conftest import RESOURCES

FLEETS = RESOURCES / "fleets"


def fleet_verdict(repository: str) -> DetectorResult:
    index = index_repository(FLEETS / repository, [])
    return detectors_by_name()["fleet-management"].detect(index)


def cited(result: DetectorResult) -> set[tuple[str, int]]:
    return {(e.file, e.line) for e in result.evidence}


@pytest.mark.parametrize(
    ("repository", "status", "detail"),
    [
        ("argocd-applications", "achieved", "2 clusters managed as a fleet: edge-1, edge-2"),
        ("applicationset", "achieved", "2 clusters managed as a fleet: edge-1, the local cluster"),
        ("applicationset-selector", "partial", "fleet tooling for a single cluster (edge-1)"),
        ("rancher-fleet", "achieved", "1 cluster groups or selectors"),
        ("rancher-fleet-local", "partial", "single cluster (the local cluster)"),
        ("flux-kubeconfig", "achieved", "kubeconfig edge-1-kubeconfig, kubeconfig edge-2"),
        ("flux-local", "missing", "a single cluster: every application deploys to the cluster"),
        ("single-cluster", "partial", "fleet tooling for a single cluster (prod)"),
    ],
)
def test_fleets_are_recognised_in_each_spelling_and_one_cluster_is_not(
    repository: str, status: Status, detail: str
) -> None:
    result = fleet_verdict(repository)
    assert result.status == status, result
    assert detail in result.detail


def test_argocd_applications_cite_each_registration_and_destination() -> None:
    result = fleet_verdict("argocd-applications")
    assert {
        ("clusters/edge-1.yaml", 12),  # stringData.server
        ("clusters/edge-2.yaml", 13),  # base64 data.server, decoded to match
        ("apps/ingress.yaml", 13),  # destination.server
        ("apps/ingress.yaml", 28),  # destination.name
    } <= cited(result)


def test_a_cluster_generator_cites_where_it_is_written() -> None:
    result = fleet_verdict("applicationset")
    assert ("appset.yaml", 11) in cited(result)  # the nested clusters: {} generator


def test_repository_credentials_are_not_clusters() -> None:
    # Two repository Secrets share the label key; counting them made a single
    # selected cluster look like a fleet.
    result = fleet_verdict("applicationset-selector")
    assert result.status == "partial"
    assert ("clusters.yaml", 11) in cited(result)
    assert all("repo-" not in e.text for e in result.evidence)


def test_releases_to_their_own_cluster_are_not_fleet_tooling_and_are_not_cited() -> None:
    # A single-cluster Flux repository: its Kustomizations and HelmReleases deploy where
    # Flux runs. Citing each of them as "fleet tooling" buried the verdict in noise.
    result = fleet_verdict("flux-local")
    assert result.evidence == ()
    assert result.gaps == ()


def test_the_local_cluster_of_a_fleet_is_cited_once() -> None:
    # Two Kustomizations deploy locally, one through a kubeConfig: a fleet of two, with the
    # local cluster cited at its first deployment and the remote one at its kubeConfig.
    result = fleet_verdict("flux-local-and-remote")
    assert result.status == "achieved"
    assert "2 clusters managed as a fleet" in result.detail
    assert [(e.file, e.line) for e in result.evidence] == [
        ("kustomizations.yaml", 1),
        ("kustomizations.yaml", 41),
    ]


def test_nothing_to_target_clusters_is_missing(tmp_path: Path) -> None:
    (tmp_path / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n", encoding="utf-8"
    )
    result = detectors_by_name()["fleet-management"].detect(index_repository(tmp_path, []))
    assert result.status == "missing"

"""A Terraform-provisioned platform: identity, Helm releases and a cloud CNI all in HCL.

The expert reading is in tests/assess/repos/terraform-identity/README.md.
"""

from __future__ import annotations

import pytest

from stackyard.assess import Assessment
from stackyard.assess.model import Evidence
from tests.assess.maturity.conftest import assert_within_one, control, corpus

EXPERT = {
    "identity-sso": 4,
    "gitops-iac": 2,
    "networking": 1,
    "cicd": 3,
}
EKS = "infra/modules/eks/main.tf"
IDENTITY = "infra/modules/identity"
ARGOCD = "infra/modules/argocd"


@pytest.fixture(scope="module")
def assessment() -> Assessment:
    return corpus("terraform-identity")


@pytest.mark.parametrize(("area", "expected"), sorted(EXPERT.items()))
def test_ratings_are_within_one_of_the_expert_reading(
    assessment: Assessment, area: str, expected: int
) -> None:
    assert_within_one(assessment, area, expected)


def test_identity_agrees_with_the_sso_wiring_it_reports(assessment: Assessment) -> None:
    assert control(assessment, "SSO-WIRED").status == "achieved"
    idp = control(assessment, "SSO-IDP")
    assert idp.status == "achieved"
    assert Evidence(f"{IDENTITY}/keycloak.tf", 1, 5, 'resource "keycloak_realm" "platform"') in (
        idp.evidence
    )
    assert (
        Evidence(
            f"{IDENTITY}/vault.tf", 7, 14, 'resource "vault_identity_oidc_provider" "platform"'
        )
        in idp.evidence
    )
    assert assessment.area("identity-sso").rating >= 4


def test_terraform_and_dex_clients_are_counted_with_their_lines(assessment: Assessment) -> None:
    clients = control(assessment, "SSO-OIDC-CLIENTS")
    assert clients.detail == "4 OIDC clients as code: argo-workflows, argocd, backstage, grafana"
    spans = {(e.file, e.line, e.end_line) for e in clients.evidence}
    assert spans == {
        (f"{ARGOCD}/values/argocd.yaml", 17, 17),  # Dex staticClients[0].id
        (f"{IDENTITY}/keycloak.tf", 9, 9),
        (f"{IDENTITY}/keycloak.tf", 17, 17),
        (f"{IDENTITY}/vault.tf", 17, 17),
    }


def test_helm_release_values_are_read_like_any_release(assessment: Assessment) -> None:
    wired = control(assessment, "SSO-ALL-UIS")
    assert wired.status == "achieved"
    spans = {(e.file, e.line, e.end_line) for e in wired.evidence}
    # Grafana: the yamlencode({...}) literal in the helm_release; Argo CD: its values file.
    assert spans == {(f"{ARGOCD}/main.tf", 29, 34), (f"{ARGOCD}/values/argocd.yaml", 7, 21)}


def test_the_cloud_cni_survives_a_placeholder_line_in_its_file(assessment: Assessment) -> None:
    cni = control(assessment, "NET-CNI")
    assert cni.status == "achieved"
    assert cni.detail == "CNI: aws-vpc-cni (vpc-native)"
    assert [(e.file, e.line, e.end_line) for e in cni.evidence] == [(EKS, 19, 21)]
    lost = [n.message for n in assessment.notices if n.file == EKS]
    assert len(lost) == 1 and lost[0].startswith("line 1: Terraform block locals not read")


def test_one_root_module_with_three_children_is_one_stack(assessment: Assessment) -> None:
    stacks = control(assessment, "IAC-STACKS")
    assert stacks.status == "partial"
    assert stacks.detail.startswith("1 Terraform root module: infra/live/platform")
    assert [(e.file, e.line, e.end_line) for e in stacks.evidence] == [
        ("infra/live/platform/backend.tf", 1, 8)
    ]


def test_helm_releases_are_not_applications_waiting_for_a_parent(
    assessment: Assessment,
) -> None:
    assert control(assessment, "GITOPS-APP-OF-APPS").status == "missing"

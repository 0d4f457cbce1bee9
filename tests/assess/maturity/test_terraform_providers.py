"""Terraform providers, Argo CD SSO and Atlantis read by the detectors, with their lines."""

from __future__ import annotations

from stackyard.assess import assess_directory
from tests.assess.maturity.conftest import WriteTree, control, index

ARGOCD_OIDC = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  namespace: argocd
data:
  oidc.config: |
    name: Okta
    issuer: https://acme.okta.com
    clientID: argocd
"""

MANAGED_CLUSTERS = """\
resource "google_container_cluster" "gke" {
  name              = "platform"
  datapath_provider = "ADVANCED_DATAPATH"
}

resource "azurerm_kubernetes_cluster" "aks" {
  name = "platform"
  network_profile {
    network_plugin      = "azure"
    network_plugin_mode = "overlay"
    network_data_plane  = "cilium"
  }
}
"""

ANNOTATION = r"service\\.beta\\.kubernetes\\.io/aws-load-balancer-type"
HELM_SET = f"""\
resource "helm_release" "ingress" {{
  name  = "ingress-nginx"
  chart = "ingress-nginx"
  set {{
    name  = "controller.service.annotations.{ANNOTATION}"
    value = "nlb"
  }}
  set {{
    name  = "controller.replicaCount"
    value = 3
  }}
}}
"""

ATLANTIS = """\
version: 3
projects:
  - dir: infra/live/prod
    autoplan:
      when_modified: ["*.tf", "../../modules/**/*.tf"]
      enabled: true
"""


def test_sso_wired_to_an_outside_issuer_means_an_identity_provider_exists(
    write_tree: WriteTree,
) -> None:
    assessment = assess_directory(write_tree({"argocd/argocd-cm.yaml": ARGOCD_OIDC}))
    idp = control(assessment, "SSO-IDP")
    assert idp.status == "achieved"
    assert [(e.file, e.line) for e in idp.evidence] == [("argocd/argocd-cm.yaml", 7)]
    assert "outside the repository" in idp.detail


def test_gke_dataplane_v2_and_aks_cilium_are_cnis(write_tree: WriteTree) -> None:
    assessment = assess_directory(write_tree({"clusters.tf": MANAGED_CLUSTERS}))
    cni = control(assessment, "NET-CNI")
    assert cni.detail == "CNI: cilium (native)"
    assert [(e.line, e.end_line) for e in cni.evidence] == [(3, 3), (8, 12)]


def test_helm_release_set_blocks_are_values_on_their_lines(write_tree: WriteTree) -> None:
    facts, _ = index(write_tree({"ingress.tf": HELM_SET}))
    (stack,) = facts.values("ingress-nginx")
    replicas = stack.get("controller", "replicaCount")
    assert replicas is not None and replicas.value == 3 and replicas.evidence.line == 8
    annotations = stack.get("controller", "service", "annotations")
    assert annotations is not None
    assert annotations.value == {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"}
    assert annotations.evidence.line == 4


def test_atlantis_autoplan_is_ci_validation(write_tree: WriteTree) -> None:
    assessment = assess_directory(write_tree({"atlantis.yaml": ATLANTIS}))
    checks = control(assessment, "CICD-CHECKS")
    assert checks.status == "achieved"
    assert [(e.file, e.line) for e in checks.evidence] == [("atlantis.yaml", 4)]

"""The Gateway API CRDs on a new cluster, before the Cilium that serves Gateways.

Cilium implements the Gateway API only if its CRDs exist when it starts: the operator
looks for them once at start-up and, when they are missing, runs without its Gateway
controller until it restarts, and the chart creates its ``GatewayClass`` only when the
API server already offers the kind (Cilium docs, "the below CRDs ... must be
pre-installed": https://docs.cilium.io/en/stable/network/servicemesh/gateway-api/gateway-api/;
RKE2 report of the restart it otherwise needs: https://github.com/rancher/rke2/issues/8839).
Argo CD's ``gateway-api-crds`` Application comes too late for that: node bootstrap installs
Cilium before Argo CD runs. So wherever the bootstrap values turn on ``gatewayAPI.enabled``,
node bootstrap installs the CRDs first:

- kubeadm: ``kubectl apply --server-side`` of the release's ``standard-install.yaml`` (the
  install the Gateway API project documents: https://gateway-api.sigs.k8s.io/guides/),
  ``kubectl wait`` until the CRDs are Established, then the Cilium ``helm install``.
- RKE2: the same file in the server manifests folder as ``00-gateway-api-crds.yaml``. The
  deploy controller applies that folder's files one after another in name order
  (``sort.Strings`` in k3s' ``pkg/deploy/controller.go``, which RKE2 embeds), so the CRDs
  are created before the ``cilium.yaml`` HelmChart exists, let alone its install job.

The version and source are Argo CD's (``gitops.GATEWAY_API_VERSION`` and
``GATEWAY_API_REPO``), so the Application that manages the CRDs afterwards finds exactly
what bootstrap applied and changes nothing. The file is fetched by the operator, not
rendered: ``validate`` stores only the CRDs' schemas, not the CRDs themselves. Air-gapped
sites download it once where they mirror images. On RKE2 the file is removed after Argo CD
takes over (RKE2 keeps the objects of a deleted manifest:
https://docs.rke2.io/install/packaged_components), so a server restart never re-applies
an older version over Argo CD's.
"""

from __future__ import annotations

from typing import Any

from stackyard.plan import ClusterPlan
from stackyard.render.bootstrap.cilium import bootstrap_values, runs_cilium
from stackyard.render.context import RenderContext
from stackyard.render.gitops import (
    GATEWAY_API,
    GATEWAY_API_REPO,
    GATEWAY_API_VERSION,
    application_name,
)

RKE2_MANIFEST = "00-gateway-api-crds.yaml"
"""Sorts before every other file in RKE2's manifests folder (digits before letters)."""

RKE2_MANIFESTS_DIR = "/var/lib/rancher/rke2/server/manifests"


def gateway_api_enabled(context: RenderContext, cluster: ClusterPlan) -> bool:
    """Whether the Cilium that bootstrap installs on ``cluster`` serves the Gateway API."""
    if not runs_cilium(cluster):
        return False
    gateway: Any = bootstrap_values(context, cluster).get("gatewayAPI", {})
    return isinstance(gateway, dict) and str(gateway.get("enabled", False)).lower() == "true"


def crds_version() -> str:
    """The Gateway API release bootstrap installs: the one Argo CD's Application manages."""
    return GATEWAY_API_VERSION


def install_url() -> str:
    """The release's standard-channel install file."""
    repository = GATEWAY_API_REPO.removesuffix(".git")
    return f"{repository}/releases/download/{GATEWAY_API_VERSION}/standard-install.yaml"


def kubeadm_commands() -> list[str]:
    """Apply the CRDs and wait until the API server serves them (before ``helm install``)."""
    return [
        f"kubectl apply --server-side -f {install_url()}",
        # Only the Gateway API CRDs exist this early (Cilium's come with its operator).
        "kubectl wait --for condition=Established --timeout=120s crd --all",
    ]


def rke2_command() -> str:
    """Put the install file first in RKE2's manifests folder."""
    return f"curl -fsSL -o {RKE2_MANIFESTS_DIR}/{RKE2_MANIFEST} {install_url()}"


def argocd_application(cluster: ClusterPlan) -> str:
    """The Argo CD Application that manages the CRDs after bootstrap."""
    return application_name(GATEWAY_API, cluster)

"""The Cluster API providers the operator installs on mgmt, pinned.

One tested set of releases: Cluster API core (and, for kubeadm, its bootstrap and control
plane providers) v1.13.5, the AWS provider v2.11.1 or, on an onprem platform with a
vCenter, the vSphere provider v1.16.1 (built against Cluster API 1.13), and, for RKE2,
rancher's bootstrap and control plane providers v0.25.0, which are built against Cluster
API 1.13. The CRD schemas
``stackyard validate`` checks the clusters against are derived from the same tags
(``scripts/build_reference_data.py``), so a version bump here without new schemas fails
the tests.

Each provider runs in a namespace of its own, the ones ``clusterctl init`` uses. The AWS
provider's controllers run on mgmt's servers, whose instance profile carries
``clusterawsadm``'s controllers policy (the rendered Terraform of mgmt gives it to them),
so they need no key: they tolerate the servers' taints and select them. Its variables,
clusterctl's ``AWS_B64ENCODED_CREDENTIALS`` among them (empty for the instance profile,
else a base64 credentials file), come from the Secret ``capa-variables`` in the
operator's namespace (the README lists it; it is never rendered). The vSphere provider's,
``VSPHERE_USERNAME`` and ``VSPHERE_PASSWORD``, come from ``capv-variables`` there
(``vsphere`` says where from); its controllers reach vCenter over the network and run
anywhere.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from stackyard.render.bootstrap.aws_ccm import CONTROL_PLANE_LABEL, control_plane_selector
from stackyard.render.clusterapi.vsphere import VARIABLES_SECRET, on_vsphere
from stackyard.render.context import RenderContext
from stackyard.render.tree import Manifest

OPERATOR_API = "operator.cluster.x-k8s.io/v1alpha2"
CLUSTER_API_VERSION = "v1.13.5"
AWS_VERSION = "v2.11.1"
RKE2_VERSION = "v0.25.0"
VSPHERE_VERSION = "v1.16.1"
"""The vSphere provider release built against Cluster API 1.13 (its v1beta2 contract)."""
CREDENTIALS_SECRET = "capa-variables"
# On mgmt's servers: the control-plane label of the platform's distribution; a server that
# takes no platform pods is also tainted CriticalAddonsOnly (render.bootstrap.rke2), and
# kubeadm taints control-plane.
SERVER_TOLERATIONS = [
    {"key": "CriticalAddonsOnly", "operator": "Exists"},
    {"key": CONTROL_PLANE_LABEL, "operator": "Exists", "effect": "NoSchedule"},
]


@dataclass(frozen=True)
class Provider:
    """One provider object: kind, clusterctl name, namespace and version."""

    kind: str
    name: str
    namespace: str
    version: str


def providers(context: RenderContext) -> list[Provider]:
    """The providers of the platform's distribution, core first."""
    found = [Provider("CoreProvider", "cluster-api", "capi-system", CLUSTER_API_VERSION)]
    if on_vsphere(context):
        found.append(Provider("InfrastructureProvider", "vsphere", "capv-system", VSPHERE_VERSION))
    else:
        found.append(Provider("InfrastructureProvider", "aws", "capa-system", AWS_VERSION))
    if context.platform.kubernetes.distribution == "rke2":
        found += [
            Provider("BootstrapProvider", "rke2", "rke2-bootstrap-system", RKE2_VERSION),
            Provider("ControlPlaneProvider", "rke2", "rke2-control-plane-system", RKE2_VERSION),
        ]
    else:
        found += [
            Provider(
                "BootstrapProvider", "kubeadm", "capi-kubeadm-bootstrap-system", CLUSTER_API_VERSION
            ),
            Provider(
                "ControlPlaneProvider",
                "kubeadm",
                "capi-kubeadm-control-plane-system",
                CLUSTER_API_VERSION,
            ),
        ]
    return found


def provider_manifests(context: RenderContext, operator_namespace: str) -> list[Manifest]:
    """Each provider's namespace and object."""
    manifests: list[Manifest] = []
    for provider in providers(context):
        manifests.append(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": provider.namespace,
                    # Not every provider's release manifest meets restricted; none needs more.
                    "labels": {"pod-security.kubernetes.io/enforce": "baseline"},
                },
            }
        )
        spec: dict[str, object] = {"version": provider.version}
        if provider.kind == "InfrastructureProvider" and provider.name == "vsphere":
            spec["configSecret"] = {"name": VARIABLES_SECRET, "namespace": operator_namespace}
        elif provider.kind == "InfrastructureProvider":
            spec["configSecret"] = {"name": CREDENTIALS_SECRET, "namespace": operator_namespace}
            spec["deployment"] = {
                "nodeSelector": control_plane_selector(context),
                "tolerations": copy.deepcopy(SERVER_TOLERATIONS),
            }
        manifests.append(
            {
                "apiVersion": OPERATOR_API,
                "kind": provider.kind,
                "metadata": {"name": provider.name, "namespace": provider.namespace},
                "spec": spec,
            }
        )
    return manifests

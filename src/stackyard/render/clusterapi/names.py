"""Names and API versions every Cluster API object of a cluster shares.

Each provisioned cluster gets a namespace of its own on mgmt (``cluster-<name>``): Cluster
API keeps a cluster's kubeconfig and CA Secrets next to its ``Cluster``, so the namespace
is the boundary of who may read them.
"""

from __future__ import annotations

from stackyard.plan import ClusterPlan
from stackyard.spec.model import NodePool

CLUSTER_API = "cluster.x-k8s.io/v1beta2"
INFRASTRUCTURE_GROUP = "infrastructure.cluster.x-k8s.io"
INFRASTRUCTURE = f"{INFRASTRUCTURE_GROUP}/v1beta2"
CONTROL_PLANE_GROUP = "controlplane.cluster.x-k8s.io"
CONTROL_PLANE = f"{CONTROL_PLANE_GROUP}/v1beta2"
BOOTSTRAP_GROUP = "bootstrap.cluster.x-k8s.io"
BOOTSTRAP = f"{BOOTSTRAP_GROUP}/v1beta2"
CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name"
CONTROL_PLANE_MACHINE_LABEL = "cluster.x-k8s.io/control-plane"
"""The label every control-plane Machine carries (set by its control plane provider)."""


def namespace(cluster: ClusterPlan) -> str:
    """The mgmt namespace holding ``cluster``'s Cluster API objects and kubeconfig."""
    return f"cluster-{cluster.name}"


def control_plane_name(cluster: ClusterPlan) -> str:
    """Name of the control plane object (RKE2ControlPlane or KubeadmControlPlane)."""
    return f"{cluster.name}-control-plane"


def pool_name(cluster: ClusterPlan, pool: NodePool) -> str:
    """Name of a node pool's machine template, bootstrap template and MachineDeployment."""
    return f"{cluster.name}-{pool.name}"


def kubeconfig_secret(cluster: ClusterPlan) -> str:
    """The Secret Cluster API writes with the admin kubeconfig (key ``value``)."""
    return f"{cluster.name}-kubeconfig"

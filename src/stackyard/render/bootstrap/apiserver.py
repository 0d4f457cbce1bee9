"""API server settings every distribution shares: its names and its OIDC login.

Certificate SANs: the API host (``api.<cluster>.<domain>``, what kubeconfigs and Argo CD
use) plus the fixed addresses of the control-plane nodes where the spec fixes them, or
the API's virtual IP of a cluster Cluster API makes on vSphere.

OIDC (layer 1 of the identity stack): when Keycloak runs anywhere on the platform, every
cluster's API server accepts its tokens: issuer ``https://keycloak.<domain>/realms/platform``,
client ``kubernetes``. Users are ``oidc:<preferred_username>`` and groups
``oidc:<group>``, so RBAC bindings can never collide with built-in users such as
``system:*`` or certificate identities. Keycloak's client must put a ``groups`` claim in
the ID token (a group-membership mapper). If Keycloak's certificate is not publicly
trusted, add ``oidc-ca-file`` pointing at the platform CA on the control-plane nodes.
"""

from __future__ import annotations

from stackyard.plan import ClusterPlan
from stackyard.render.addresses import OIDC_PREFIX, oidc_issuer
from stackyard.render.bootstrap.nodes import cluster_nodes
from stackyard.render.context import RenderContext

API_PORT = 6443
KEYCLOAK = "keycloak"
OIDC_CLIENT_ID = "kubernetes"


def api_endpoint(context: RenderContext, cluster: ClusterPlan) -> str:
    """``<api host>:6443``."""
    return f"{context.api_host(cluster)}:{API_PORT}"


def tls_sans(context: RenderContext, cluster: ClusterPlan) -> list[str]:
    """Names and addresses the API server certificate must be valid for.

    The servers' own addresses where the spec fixes them; Cluster API's machines take
    theirs from the cloud or DHCP, and the distribution adds each server's own. On
    vSphere, Cluster API's clusters are reached at the virtual IP kube-vip holds
    (``vsphere.apiVIP``), their control plane endpoint.
    """
    if context.platform.provisioned_by_cluster_api(cluster.cluster):
        vsphere = cluster.cluster.vsphere if context.platform.vsphere is not None else None
        vip = [vsphere.apiVIP] if vsphere is not None and vsphere.apiVIP is not None else []
        return [context.api_host(cluster), *vip]
    addresses = [
        str(node.address)
        for node in cluster_nodes(context, cluster)
        if node.control_plane and node.address is not None
    ]
    return [context.api_host(cluster), *addresses]


def oidc_args(context: RenderContext) -> list[tuple[str, str]]:
    """kube-apiserver flags (name, value) for Keycloak login; none without Keycloak."""
    if not context.clusters_running(KEYCLOAK):
        return []
    return [
        ("oidc-issuer-url", oidc_issuer(context)),
        ("oidc-client-id", OIDC_CLIENT_ID),
        ("oidc-username-claim", "preferred_username"),
        ("oidc-username-prefix", OIDC_PREFIX),
        ("oidc-groups-claim", "groups"),
        ("oidc-groups-prefix", OIDC_PREFIX),
    ]

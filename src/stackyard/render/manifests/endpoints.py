"""Where platform services are reached from a given cluster, and which CA vouches for them.

Policy: a client on the cluster that runs a service talks to its in-cluster Service
(``<release>.<namespace>.svc``), so nothing leaves the cluster and no gateway has to be up;
a client on another cluster goes through the serving cluster's gateway at
``https://<service>.<domain>``. Releases are named after their component (see
``gitops.application_set``), which fixes the Service names used here.

Trust: on the cluster that runs Vault, Vault's certificate comes from that cluster's
phase-one CA, whose certificate cert-manager keeps in ``platform-root-ca`` (key
``ca.crt``) in its own namespace. Every other cluster has a different phase-one root, so
the CA that signs what ``https://<service>.<domain>`` serves must be supplied at bootstrap
as the Secret ``platform-ca-bundle`` (key ``ca.crt``) in cert-manager's namespace: the
mgmt root CA plus, once phase two issues the gateway certificate, Vault's PKI CA. The
rendered README tells the operator to copy it; no certificate is ever rendered.
"""

from __future__ import annotations

from typing import NamedTuple

from stackyard.plan import ClusterPlan
from stackyard.render.addresses import CA_BUNDLE_SECRET, CA_KEY, public_host
from stackyard.render.context import RenderContext

ROOT_CA_SECRET = "platform-root-ca"
VAULT_PORT = 8200


class SecretKey(NamedTuple):
    """A key of a Secret in a given namespace."""

    namespace: str
    name: str
    key: str


def public_url(context: RenderContext, host: str) -> str:
    """``https://<host>.<domain>``: a service behind the gateway of the cluster running it."""
    return f"https://{public_host(context, host)}"


def home_cluster(context: RenderContext, component: str) -> ClusterPlan | None:
    """The first cluster (in spec order) that runs ``component``."""
    running = context.clusters_running(component)
    return running[0] if running else None


def vault_address(context: RenderContext, cluster: ClusterPlan) -> str:
    """Vault's API address as seen from ``cluster``."""
    if cluster.has("vault"):
        namespace = context.component("vault").namespace
        return f"https://vault.{namespace}.svc:{VAULT_PORT}"
    return public_url(context, "vault")


def vault_ca(context: RenderContext, cluster: ClusterPlan) -> SecretKey:
    """The Secret holding the CA that signs the certificate Vault presents to ``cluster``."""
    namespace = context.component("cert-manager").namespace
    name = ROOT_CA_SECRET if cluster.has("vault") else CA_BUNDLE_SECRET
    return SecretKey(namespace, name, CA_KEY)


def vault_auth_mount(cluster: ClusterPlan) -> str:
    """The Vault Kubernetes auth mount that trusts ``cluster``'s service-account tokens.

    Each cluster has its own issuer and signing keys, so each needs its own mount.
    """
    return f"kubernetes-{cluster.name}"

"""How an app cluster's Teleport agent joins the management cluster's Teleport.

The agent (catalog ``teleport-kube-agent``) uses Teleport's ``kubernetes`` join method,
static JWKS type (Teleport 17 and later; https://goteleport.com/docs/reference/deployment/
join-methods/, design in Teleport's RFD 0143 "Static JWKS External Kubernetes Joining"):

- the agent presents a service-account token that the kubelet projects into its pod, with
  the Teleport cluster's name as audience and a short lifetime, since the auth service
  refuses other audiences and long-lived tokens;
- mgmt's Teleport finds the provision token the agent names (one per app cluster, rendered
  as a ``TeleportProvisionToken`` its operator reconciles), checks the token's signature
  against the JSON Web Key Set listed there (the app cluster's service-account signing
  keys, ``clusters[].serviceAccountJwks``) and the token's subject against the allowed
  service account ``<namespace>:<name>``.

Nothing secret is involved on either side, which is why this method was chosen over the
``token`` method (a shared secret to create and keep out of Git) and over ``in_cluster``
(a TokenReview against the Kubernetes API of Teleport's own cluster: mgmt's Teleport
cannot review an app cluster's tokens). Its cost: the keys exist only once the app cluster
does, so the first render lists none and the plan says so (SY970).
"""

from __future__ import annotations

from stackyard.plan import ClusterPlan
from stackyard.render.addresses import public_host
from stackyard.render.context import LABEL_PREFIX, RenderContext

AGENT = "teleport-kube-agent"
TELEPORT = "teleport"
PROXY_PORT = 443
"""The proxy's one port: the teleport-cluster chart multiplexes every protocol on it."""

TOKEN_MOUNT = "/var/run/secrets/teleport-join"
TOKEN_FILE = "token"
TOKEN_VOLUME = "teleport-join-token"
TOKEN_LIFETIME = 600
"""Seconds; the shortest lifetime the kubelet projects, well under the auth service's cap."""

CLUSTER_LABEL = f"{LABEL_PREFIX}/cluster"
"""The label every Teleport Kubernetes service carries (the chart's ``labels``): the
cluster's name; the groups' Teleport roles select clusters by it."""

NO_KEYS = '{"keys": []}'
"""The key set of a cluster whose keys are not declared yet: it verifies no token."""


def teleport_cluster_name(context: RenderContext) -> str:
    """The Teleport cluster's name (the chart's ``clusterName``): its public host."""
    return public_host(context, TELEPORT)


def proxy_address(context: RenderContext) -> str:
    """Where agents reach the Teleport proxy: ``teleport.<domain>:443``."""
    return f"{teleport_cluster_name(context)}:{PROXY_PORT}"


def token_name(cluster: ClusterPlan) -> str:
    """The provision token of ``cluster``'s agent (also its custom resource's name)."""
    return f"stackyard-kube-agent-{cluster.name}"


def agent_service_account(context: RenderContext) -> str:
    """The agent's service account as the token allows it: ``<namespace>:<name>``.

    The chart names it after the Helm release, which render names after the component.
    """
    return f"{context.component(AGENT).namespace}:{AGENT}"


def agent_clusters(context: RenderContext) -> list[ClusterPlan]:
    """The clusters that run the agent, in the plan's order."""
    return context.clusters_running(AGENT)


def cluster_keys(cluster: ClusterPlan) -> str:
    """The key set that verifies ``cluster``'s service-account tokens, or :data:`NO_KEYS`."""
    return cluster.cluster.serviceAccountJwks or NO_KEYS

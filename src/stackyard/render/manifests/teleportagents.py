"""The join tokens of the app clusters' Teleport agents, on the cluster that runs Teleport.

One ``TeleportProvisionToken`` per cluster running ``teleport-kube-agent``, named as the
agent's ``joinParams.tokenName``: system role ``Kube`` only, join method ``kubernetes``
of type ``static_jwks`` with that cluster's service-account keys, and the agent's own
service account as the only one allowed (policy in :mod:`stackyard.render.teleportjoin`).
A token per cluster, because each cluster signs with its own keys, and a token admitting
one cluster's agent cannot admit another's.

The Teleport operator (on where groups or agents are declared, the teleport values) turns
them into Teleport provision tokens; Argo CD applies them with Teleport's Application,
after the chart's CRDs. A cluster whose keys are not declared gets an empty key set:
the token exists and admits nobody, and the plan says what to do (SY970).
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.plan import ClusterPlan
from stackyard.render.context import RenderContext
from stackyard.render.manifests.base import AFTER_CHART, Placed, in_wave
from stackyard.render.teleportjoin import (
    TELEPORT,
    agent_clusters,
    agent_service_account,
    cluster_keys,
    token_name,
)
from stackyard.render.tree import Manifest

API = "resources.teleport.dev/v2"


def join_token(context: RenderContext, agent: ClusterPlan) -> Manifest:
    """The provision token that admits ``agent``'s Teleport Kubernetes agent."""
    token: Manifest = {
        "apiVersion": API,
        "kind": "TeleportProvisionToken",
        "metadata": {
            "name": token_name(agent),
            "namespace": context.component(TELEPORT).namespace,
        },
        "spec": {
            "roles": ["Kube"],
            "join_method": "kubernetes",
            "kubernetes": {
                "type": "static_jwks",
                "static_jwks": {"jwks": cluster_keys(agent)},
                "allow": [{"service_account": agent_service_account(context)}],
            },
        },
    }
    return in_wave(token, AFTER_CHART)


def teleport_agent_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """The agents' join tokens, where Teleport runs."""
    agents = agent_clusters(context)
    if not agents or not cluster.has(TELEPORT):
        return
    yield Placed(TELEPORT, "agent-join-tokens.yaml", [join_token(context, a) for a in agents])

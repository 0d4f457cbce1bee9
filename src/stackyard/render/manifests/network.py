"""Network policy per cluster: the plan's traffic rules in the API the cluster's CNI reads.

The rules themselves (default deny plus what the plan implies) are derived in
:mod:`stackyard.render.manifests.traffic`. Where Cilium runs they become
CiliumNetworkPolicies grouped with ``cilium``: their CRDs exist only once the Cilium
operator runs, after the base wave. Elsewhere (Canal) they are plain NetworkPolicies in
``base``, applied with the namespaces.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.plan import ClusterPlan
from stackyard.render.context import RenderContext
from stackyard.render.manifests.base import AFTER_CHART, BASE_GROUP, Placed, in_wave
from stackyard.render.manifests.ciliumpolicy import cilium_policy
from stackyard.render.manifests.networkpolicy import AddressPlan, network_policy
from stackyard.render.manifests.traffic import cluster_policies


def network_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """Cilium policies with cilium where it runs, plain NetworkPolicies in base elsewhere."""
    policies = cluster_policies(context, cluster)
    if cluster.has("cilium"):
        objects = [in_wave(cilium_policy(p), AFTER_CHART) for p in policies]
        yield Placed("cilium", "network-policies.yaml", objects)
    else:
        addresses = AddressPlan.of(cluster)
        objects = [network_policy(p, addresses) for p in policies]
        # A policy whose peers only exist with Cilium would isolate without allowing.
        objects = [o for o in objects if o["spec"]["policyTypes"]]
        yield Placed(BASE_GROUP, "network-policies.yaml", objects)

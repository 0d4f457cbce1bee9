"""How many replicas a component runs on a cluster, in which mode, and why.

Policy: a component with an HA replica count runs it on an HA cluster (``ha: true``, or
three or more control-plane nodes when ``ha`` is not set, enough for etcd to keep a
quorum through one loss); everywhere else it runs its single count. The plan's pod counts,
``plan --why`` and the rendered values (the values layer ``ha`` and builders such as
Vault's Raft configuration) all ask this one function, so they cannot disagree. Whether
the HA pods then fit on the cluster's nodes (charts that keep them one per node, the
catalog's ``haSpread``) is check SY511 (``plan/checks/spread.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from stackyard.catalog import Component
from stackyard.spec import Cluster

HA_CONTROL_PLANE = 3


@dataclass(frozen=True)
class Replicas:
    """A component's replica count on one cluster, its mode, and the reason."""

    count: int
    ha: bool
    mode: str
    reason: str


def _why_ha(cluster: Cluster) -> str:
    nodes = cluster.control_plane_nodes
    if cluster.ha is not None:
        return f"the spec sets ha: {str(cluster.ha).lower()} on cluster {cluster.name}"
    plural = "s" if nodes != 1 else ""
    if nodes >= HA_CONTROL_PLANE:
        return f"cluster {cluster.name} has {nodes} control-plane node{plural}"
    return (
        f"cluster {cluster.name} has {nodes} control-plane node{plural} "
        f"(HA needs {HA_CONTROL_PLANE}, or ha: true)"
    )


def replicas(component: Component, cluster: Cluster) -> Replicas:
    """The replicas of ``component`` on ``cluster`` (see module docs)."""
    modes = component.modes
    if component.haReplicas and cluster.is_ha:
        mode = modes.ha if modes else "HA"
        return Replicas(component.haReplicas, True, mode, _why_ha(cluster))
    mode = modes.single if modes else "not HA"
    if not component.haReplicas:
        return Replicas(component.replicas, False, mode, "the catalog gives it no HA count")
    return Replicas(component.replicas, False, mode, _why_ha(cluster))

"""How many replicas a component runs on a cluster, in which mode, and why.

Policy: a component with an HA replica count runs it on an HA cluster (``ha: true``, or
three or more control-plane nodes when ``ha`` is not set, enough for etcd to keep a
quorum through one loss); everywhere else it runs its single count. A component whose HA
count needs an object store (the catalog's ``haNeedsObjectStorage``) runs its single count
where it keeps its data on its own volume (:func:`stackyard.plan.stores.component_store`).
The plan computes this once per planned component (``PlannedComponent.replicas``); its pod
counts, ``plan --why`` and the rendered values (the values layer's replica keys and ``ha``
data, builders such as Vault's Raft configuration and Loki's replication factor) all read
that one answer, so they cannot disagree. Whether the HA pods then fit on the cluster's
nodes (charts that keep them one per node, the catalog's ``haSpread``) is check SY511
(``plan/checks/spread.py``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from stackyard.catalog import Component
from stackyard.plan.stores import component_store
from stackyard.spec import Cluster, Platform
from stackyard.wording import counted

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
    if nodes >= HA_CONTROL_PLANE:
        return f"cluster {cluster.name} has {counted(nodes, 'control-plane node')}"
    return (
        f"cluster {cluster.name} has {counted(nodes, 'control-plane node')} "
        f"(HA needs {HA_CONTROL_PLANE}, or ha: true)"
    )


def _why_held_single(component: Component, cluster: Cluster) -> str:
    return (
        f"{_why_ha(cluster)}, but {component.title} keeps its data on its own volume "
        "there (provider local without objectStorage) and runs more than one replica "
        "only with an object store"
    )


def replicas(
    component: Component, cluster: Cluster, platform: Platform, running: Collection[str]
) -> Replicas:
    """The replicas of ``component`` on ``cluster`` beside ``running`` (see module docs).

    Args:
        component: the catalog entry.
        cluster: the cluster's spec.
        platform: the whole spec (object storage and provider decide some stores).
        running: the names of the components planned on ``cluster``.
    """
    modes = component.modes
    single = modes.single if modes else "not HA"
    if component.haReplicas and cluster.is_ha:
        store = component_store(platform, component, running)
        if component.haNeedsObjectStorage and store == "filesystem":
            return Replicas(component.replicas, False, single, _why_held_single(component, cluster))
        mode = modes.ha if modes else "HA"
        return Replicas(component.haReplicas, True, mode, _why_ha(cluster))
    if not component.haReplicas:
        return Replicas(component.replicas, False, single, "the catalog gives it no HA count")
    return Replicas(component.replicas, False, single, _why_ha(cluster))

"""Compare two plans: what is added, removed or changed, and which changes disrupt.

"Disruptive" means the change cannot be applied by an Argo CD sync and rolling
updates alone: it needs a cluster redeploy (CNI, routing mode, address plan,
distribution), loses state (removing a stateful or foundational component), or
moves addresses clients use. Standard → Enterprise only adds components, so it is
not disruptive; Community → Standard swaps Canal for Cilium, so it is (seed 002 §12).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from stackyard.plan.model import ClusterPlan, Plan
from stackyard.spec import Cluster

ChangeKind = Literal["platform", "setting", "cluster", "network", "nodes", "component"]

# Settings whose change means rebuilding clusters or losing data, and why.
_DISRUPTIVE_SETTINGS = {
    "networking.cni": "a CNI change means redeploying every cluster",
    "networking.ciliumRoutingMode": "a routing-mode change means redeploying the cluster",
    "networking.loadBalancer": "load balancers are recreated with new addresses",
    "networking.loadBalancerTargetType": "NLB target groups are recreated",
    "observability.metricsStore": "metrics history stays in the old store",
}
# Capabilities whose loss breaks running workloads or loses data.
_FOUNDATIONAL = frozenset(
    {
        "cni",
        "storage",
        "secrets",
        "load-balancer",
        "ingress",
        "gateway-api",
        "registry",
        "object-storage",
        "metrics-store",
        "logs",
        "backup",
        "gitops",
    }
)


@dataclass(frozen=True)
class Change:
    """One difference between two plans."""

    kind: ChangeKind
    subject: str
    old: str | None
    new: str | None
    disruptive: bool
    reason: str
    cluster: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return asdict(self)


def diff_plans(old: Plan, new: Plan) -> list[Change]:
    """Every change from ``old`` to ``new``, platform-wide first, then per cluster."""
    changes = _platform_changes(old, new)
    old_clusters = {c.name: c for c in old.clusters}
    new_clusters = {c.name: c for c in new.clusters}
    for name in sorted(old_clusters.keys() - new_clusters.keys()):
        changes.append(
            Change(
                "cluster",
                name,
                old_clusters[name].cluster.role,
                None,
                True,
                "the cluster and everything on it is removed",
                name,
            )
        )
    for name in sorted(new_clusters.keys() - old_clusters.keys()):
        changes.append(
            Change(
                "cluster",
                name,
                None,
                new_clusters[name].cluster.role,
                False,
                "a new cluster is added",
                name,
            )
        )
    for name in sorted(old_clusters.keys() & new_clusters.keys()):
        changes += _cluster_changes(old_clusters[name], new_clusters[name])
    return changes


def _platform_changes(old: Plan, new: Plan) -> list[Change]:
    a, b = old.spec.platform, new.spec.platform
    changes: list[Change] = []
    cni_changes = old.setting("networking.cni") != new.setting("networking.cni")
    if a.edition != b.edition:
        reason = (
            "the edition change swaps the CNI, so clusters are redeployed"
            if cni_changes
            else "components are added or removed; no redeploy"
        )
        changes.append(Change("platform", "edition", a.edition, b.edition, cni_changes, reason))
    if a.provider != b.provider:
        changes.append(
            Change(
                "platform",
                "provider",
                a.provider,
                b.provider,
                True,
                "moving provider means building new clusters",
            )
        )
    ka, kb = a.kubernetes, b.kubernetes
    if ka.distribution != kb.distribution:
        changes.append(
            Change(
                "platform",
                "kubernetes.distribution",
                ka.distribution,
                kb.distribution,
                True,
                "a new distribution means new clusters",
            )
        )
    if ka.minor != kb.minor or ka.semver != kb.semver:
        downgrade = kb.minor < ka.minor
        reason = (
            "Kubernetes cannot be downgraded in place"
            if downgrade
            else "rolling upgrade, one minor at a time"
        )
        if not downgrade and kb.minor[1] - ka.minor[1] > 1:
            reason = "upgrade through every minor version in turn"
        changes.append(
            Change("platform", "kubernetes.version", ka.version, kb.version, downgrade, reason)
        )
    for name, setting in new.settings.items():
        before = old.settings.get(name)
        if before is None or before.value == setting.value:
            continue
        why = _DISRUPTIVE_SETTINGS.get(name)
        changes.append(
            Change(
                "setting",
                name,
                before.value,
                setting.value,
                why is not None,
                why or "applied by an Argo CD sync",
            )
        )
    return changes


def _cluster_changes(old: ClusterPlan, new: ClusterPlan) -> list[Change]:
    name = new.name
    changes: list[Change] = []
    if old.cluster.role != new.cluster.role:
        changes.append(
            Change(
                "cluster",
                "role",
                old.cluster.role,
                new.cluster.role,
                True,
                "platform services move between clusters",
                name,
            )
        )
    changes += _network_changes(old.cluster, new.cluster)
    changes += _node_changes(old.cluster, new.cluster)
    before = {p.name: p for p in old.components}
    after = {p.name: p for p in new.components}
    for component in sorted(before.keys() - after.keys()):
        entry = before[component].component
        lost = sorted(set(entry.provides) & _FOUNDATIONAL)
        stateful = entry.storage is not None or entry.workload == "statefulset"
        disruptive = bool(lost) or stateful
        if stateful:
            reason = "its stored data is deleted with it"
        elif lost:
            reason = f"workloads lose {', '.join(lost)}"
        else:
            reason = "removed by an Argo CD sync (prune)"
        changes.append(Change("component", component, "present", None, disruptive, reason, name))
    for component in sorted(after.keys() - before.keys()):
        entry = after[component].component
        disruptive = "cni" in entry.provides
        reason = "a new CNI needs a redeploy" if disruptive else "added by an Argo CD sync"
        changes.append(Change("component", component, None, "present", disruptive, reason, name))
    old_overrides = old.cluster.components
    for component in sorted(before.keys() & after.keys()):
        was = old_overrides.get(component)
        now = new.cluster.components.get(component)
        if (was.values if was else {}) != (now.values if now else {}):
            changes.append(
                Change(
                    "component",
                    f"{component} values",
                    "old",
                    "new",
                    False,
                    "values change applied by an Argo CD sync",
                    name,
                )
            )
    return changes


def _network_changes(old: Cluster, new: Cluster) -> list[Change]:
    changes = []
    for key in ("nodeRange", "nodeSubnet", "podCIDR", "serviceCIDR", "loadBalancerPool"):
        was, now = getattr(old.network, key), getattr(new.network, key)
        if str(was) == str(now):
            continue
        if key == "loadBalancerPool":
            grows = was is not None and now is not None and now.contains(was)
            reason = (
                "the pool only grows" if grows else "LoadBalancer services may get new addresses"
            )
            disruptive = not grows
        else:
            reason, disruptive = f"changing the {key} means rebuilding the cluster", True
        changes.append(Change("network", key, _text(was), _text(now), disruptive, reason, new.name))
    return changes


def _node_changes(old: Cluster, new: Cluster) -> list[Change]:
    changes = []
    was = {p.name: p for p in old.nodePools}
    now = {p.name: p for p in new.nodePools}
    for pool in sorted(was.keys() | now.keys()):
        a, b = was.get(pool), now.get(pool)
        if a == b:
            continue
        if a is None or b is None:
            removed = b is None
            control_plane = (a or b).role == "control-plane"  # type: ignore[union-attr]
            changes.append(
                Change(
                    "nodes",
                    pool,
                    "present" if a else None,
                    "present" if b else None,
                    removed and control_plane,
                    "control-plane nodes removed"
                    if removed and control_plane
                    else "workloads move as nodes are drained"
                    if removed
                    else "nodes added",
                    new.name,
                )
            )
            continue
        if (a.cpu, a.memory, a.disk, a.role) != (b.cpu, b.memory, b.disk, b.role):
            changes.append(
                Change(
                    "nodes",
                    pool,
                    f"{a.count}x {a.cpu}cpu/{a.memory}",
                    f"{b.count}x {b.cpu}cpu/{b.memory}",
                    a.role != b.role,
                    "nodes are replaced one at a time"
                    if a.role == b.role
                    else "changing a pool's role rebuilds it",
                    new.name,
                )
            )
        elif a.count != b.count:
            shrink_cp = a.role == "control-plane" and b.count < a.count
            changes.append(
                Change(
                    "nodes",
                    pool,
                    str(a.count),
                    str(b.count),
                    shrink_cp,
                    "etcd members are removed" if shrink_cp else "scaled",
                    new.name,
                )
            )
    return changes


def _text(value: object) -> str | None:
    return None if value is None else str(value)

"""Compare two plans: every spec field that changed, what that does, and what disrupts.

Two kinds of change are listed. Spec changes come from walking the spec model
(:mod:`stackyard.plan.fieldchanges`), so no field can change unseen; each is judged by
:mod:`stackyard.plan.disruption`. Effects come from the two plans: a resolved setting
that moves (an ``auto`` CNI that becomes Canal) and the components a cluster gains or
loses. A spec field whose effect is a resolved setting is listed once, as the setting.

"Disruptive" means the change cannot be applied by an Argo CD sync and rolling
updates alone: it needs a cluster redeploy (CNI, routing mode, address plan,
distribution), loses state (removing a stateful or foundational component, a tenant's
namespaces), or moves addresses and names clients use. Standard → Enterprise only adds
components, so it is not disruptive; Community → Standard swaps Canal for Cilium, so it is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from stackyard.catalog.settings import SettingName
from stackyard.plan.build import make_plan
from stackyard.plan.disruption import ChangeKind, judge, kind_of
from stackyard.plan.fieldchanges import field_changes, path_text, value_text
from stackyard.plan.model import ClusterPlan, Plan
from stackyard.spec import load_spec

# Settings whose change means rebuilding clusters or losing data, and why.
_DISRUPTIVE_SETTINGS: dict[SettingName, str] = {
    "networking.cni": "a CNI change means redeploying every cluster",
    "networking.ciliumRoutingMode": "a routing-mode change means redeploying the cluster",
    "networking.loadBalancer": "load balancers are recreated with new addresses",
    "networking.loadBalancerTargetType": "NLB target groups are recreated",
    "observability.metricsStore": "metrics history stays in the old store",
    "pki.issuer": "certificates are re-issued by another CA; clients that trust only the old fail",
}
# Platform fields judged together with the plans (the edition's effect depends on the CNI).
_JUDGED_WITH_PLANS = frozenset(
    {"edition", "provider", "kubernetes.distribution", "kubernetes.version"}
)
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
    path: str = ""
    """The spec field that changed; empty for an effect (a component added to a cluster)."""

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return asdict(self)


@dataclass(frozen=True)
class SpecDiff:
    """Everything that changes between two specs: the result of ``stackyard diff``."""

    changes: tuple[Change, ...]

    @property
    def disruptive(self) -> tuple[Change, ...]:
        """The changes a sync cannot apply without harm."""
        return tuple(c for c in self.changes if c.disruptive)

    def fails(self, *, fail_on_disruptive: bool) -> bool:
        """Whether a CI gate stops here: asked to, and something disrupts."""
        return fail_on_disruptive and bool(self.disruptive)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``stackyard diff --output json``, after the ``schema`` app adds."""
        return {
            "changes": [c.as_dict() for c in self.changes],
            "summary": {"changes": len(self.changes), "disruptive": len(self.disruptive)},
        }


def compare_plans(old: Plan, new: Plan) -> SpecDiff:
    """The :class:`SpecDiff` from ``old`` to ``new``."""
    return SpecDiff(tuple(diff_plans(old, new)))


def compare_specs(old: Path, new: Path) -> SpecDiff:
    """Plan both spec files and compare them.

    Raises:
        InputError: either spec cannot be read or is invalid.
    """
    return compare_plans(make_plan(load_spec(old)), make_plan(load_spec(new)))


def diff_plans(old: Plan, new: Plan) -> list[Change]:
    """Every change from ``old`` to ``new``: platform-wide first, then per cluster."""
    changes = _platform_changes(old, new)
    moved_settings = {c.subject for c in changes if c.kind == "setting"}
    per_cluster: dict[str, list[Change]] = {}
    for found in field_changes(old.spec.platform, new.spec.platform):
        path = path_text(found.path)
        if path in _JUDGED_WITH_PLANS or path in moved_settings:
            continue
        disruptive, reason = judge(path, found.old, found.new, found.owner)
        resolved = new.settings.find(path)
        if resolved is not None:  # the spec moved, the resolved value did not
            disruptive = False
            reason = f"resolves to {resolved.text} either way; nothing rendered changes"
        change = _spec_change(path, found.old, found.new, disruptive, reason)
        if change.cluster is None:
            changes.append(change)
        else:
            per_cluster.setdefault(change.cluster, []).append(change)
    old_clusters = {c.name: c for c in old.clusters}
    for cluster in new.clusters:
        found_here = per_cluster.pop(cluster.name, [])
        changes += found_here
        if cluster.name in old_clusters:
            changes += _component_changes(old_clusters[cluster.name], cluster)
    for name in sorted(per_cluster):  # clusters that are gone
        changes += per_cluster[name]
    return changes


def _spec_change(path: str, old: Any, new: Any, disruptive: bool, reason: str) -> Change:
    kind: ChangeKind = kind_of(path)
    cluster = None
    subject = path
    if path.startswith("clusters["):
        cluster, _, rest = path[len("clusters[") :].partition("]")
        subject = rest.lstrip(".") or cluster
    return Change(
        kind, subject, value_text(old), value_text(new), disruptive, reason, cluster, path
    )


def _platform_changes(old: Plan, new: Plan) -> list[Change]:
    a, b = old.spec.platform, new.spec.platform
    changes: list[Change] = []
    cni_changes = old.settings.networking.cni.value != new.settings.networking.cni.value
    if a.edition != b.edition:
        reason = (
            "the edition change swaps the CNI, so clusters are redeployed"
            if cni_changes
            else "components are added or removed; no redeploy"
        )
        changes.append(
            Change("platform", "edition", a.edition, b.edition, cni_changes, reason, path="edition")
        )
    if a.provider != b.provider:
        changes.append(
            Change(
                "platform",
                "provider",
                a.provider,
                b.provider,
                True,
                "moving provider means building new clusters",
                path="provider",
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
                path="kubernetes.distribution",
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
            Change(
                "platform",
                "kubernetes.version",
                ka.version,
                kb.version,
                downgrade,
                reason,
                path="kubernetes.version",
            )
        )
    for setting, before in zip(new.settings, old.settings, strict=True):
        if before.value == setting.value:
            continue
        why = _DISRUPTIVE_SETTINGS.get(setting.name)
        changes.append(
            Change(
                "setting",
                setting.name,
                before.text,
                setting.text,
                why is not None,
                why or "applied by an Argo CD sync",
                path=setting.name,
            )
        )
    return changes


def _component_changes(old: ClusterPlan, new: ClusterPlan) -> list[Change]:
    """Components the cluster gains or loses: the effect of the spec changes above."""
    changes: list[Change] = []
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
        changes.append(
            Change("component", component, "present", None, disruptive, reason, new.name)
        )
    for component in sorted(after.keys() - before.keys()):
        entry = after[component].component
        disruptive = "cni" in entry.provides
        reason = "a new CNI needs a redeploy" if disruptive else "added by an Argo CD sync"
        changes.append(
            Change("component", component, None, "present", disruptive, reason, new.name)
        )
    return changes

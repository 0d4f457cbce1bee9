"""Compare two plans: every spec field that changed, what that does, and what disrupts.

Two kinds of change are listed. Spec changes come from walking the spec model
(:mod:`stackyard.plan.fieldchanges`), so no field can change unseen; each is judged by
:mod:`stackyard.plan.disruption`. Effects come from the two plans: a resolved setting
that moves (an ``auto`` CNI that becomes Canal), whether the nodes follow the CIS
profile, the components a cluster gains or loses, and the Cluster Mesh facts Cilium
fixes when a cluster is built (the mesh's ``maxConnectedClusters`` and each meshed
cluster's id). A spec field whose effect is listed is listed once, as the effect.

"Disruptive" means the change cannot be applied by an Argo CD sync and rolling
updates alone: it needs a cluster redeploy (CNI, routing mode, address plan,
distribution), loses state (removing a stateful or foundational component, a tenant's
namespaces), or moves addresses and names clients use. Standard → Enterprise only adds
components, so it is not disruptive; Community → Standard swaps Canal for Cilium, so it is.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from stackyard.catalog.settings import SettingName, SettingValue
from stackyard.plan.build import make_plan
from stackyard.plan.clustermesh import DEFAULT_MAX_CLUSTERS, cluster_id, max_connected_clusters
from stackyard.plan.disruption import ChangeKind, judge, kind_of, rule_for
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
_MESH_ON = (
    "the service mesh changes every tenant namespace that joins it: strict mTLS and "
    "default-deny authorization start refusing undeclared callers"
)
_MESH_OFF = (
    "the service mesh goes: its mTLS, routing and authorization stop, and connections "
    "through its proxies break; in sidecar mode every pod restarts"
)
_MODE = (
    "the mesh's data plane changes: every pod of the mesh restarts to gain or lose its "
    "sidecar, and traffic between pods on the old and the new data plane is refused "
    "until they have"
)


def _judge_setting(
    name: SettingName, before: SettingValue, after: SettingValue, why_now: str
) -> tuple[bool, str]:
    """Whether a resolved setting that moves disrupts, and why."""
    why = _DISRUPTIVE_SETTINGS.get(name)
    if why is not None:
        return True, why
    if name == "mesh.enabled":
        return True, _MESH_ON if after else _MESH_OFF
    if name == "mesh.mode":
        if "none" in (before, after):
            return False, "follows mesh.enabled, judged there"
        return True, _MODE
    if name == "networking.clusterMesh":
        if after:
            return False, "the clusters connect into one Cluster Mesh by a sync"
        return True, (
            "the Cluster Mesh is taken down: services shared across clusters and network "
            f"policies that name other clusters stop working (now: {why_now})"
        )
    rule = rule_for(name)
    if rule is not None:
        # The setting is its spec field (fleet.service.enabled): the field's rule judges it.
        return rule.judge(before, after, None)
    return False, "applied by an Argo CD sync"


# Platform fields judged together with the plans (the edition's effect depends on the CNI).
_JUDGED_WITH_PLANS = frozenset(
    {"edition", "provider", "kubernetes.distribution", "kubernetes.version"}
)
CIS = "hardening.cis"
"""Whether the nodes follow the CIS profile: ``hardening.cis`` resolved with the edition."""
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
    # A field whose effect is listed (a setting, the CIS profile) is listed once, as that.
    moved_settings = {c.subject for c in changes if c.kind == "setting" or c.subject == CIS}
    per_cluster: dict[str, list[Change]] = {}
    for found in field_changes(old.spec.platform, new.spec.platform):
        path = path_text(found.path)
        if path in _JUDGED_WITH_PLANS or path in moved_settings:
            continue
        disruptive, reason = judge(path, found.old, found.new, found.owner)
        if _TEMPLATE_FIELDS.fullmatch(path):
            disruptive, reason = _judge_templates(old, new, path)
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


_TEMPLATE_FIELDS = re.compile(
    r"policy\.(templates|assignments)(\W.*)?|clusters\[[^\]]+\]\.policyTemplate"
)


def _judge_templates(old: Plan, new: Plan, path: str) -> tuple[bool, str]:
    """A policy-template field, judged by the templates the clusters carry in both plans.

    A cluster's own ``policyTemplate`` moves that cluster only; ``policy.templates`` and
    ``policy.assignments`` may move any. Stricter (a higher enforced Pod Security level, a
    Kyverno rule that now refuses) disrupts: pods that break it are refused, including
    the replacements of pods already running.
    """
    before = {c.name: c.policy for c in old.clusters}
    only = path[len("clusters[") :].partition("]")[0] if path.startswith("clusters[") else None
    stricter = []
    for cluster in new.clusters:
        was = before.get(cluster.name)
        if was is None or (only is not None and cluster.name != only):
            continue
        if cluster.policy.is_stricter_than(was):
            moved = (
                cluster.policy.template
                if was.template == cluster.policy.template
                else f"{was.template} to {cluster.policy.template}"
            )
            stricter.append(f"{cluster.name} ({moved})")
    if stricter:
        return True, (
            f"stricter policy on {', '.join(stricter)}: Pod Security and Kyverno start "
            "refusing pods that break the new rules, replacements of running pods too"
        )
    return False, "no cluster's policy becomes stricter; the next sync applies it"


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
        disruptive, why = _judge_setting(setting.name, before.value, setting.value, setting.reason)
        changes.append(
            Change(
                "setting",
                setting.name,
                before.text,
                setting.text,
                disruptive,
                why,
                path=setting.name,
            )
        )
    if a.cis != b.cis:
        changes.append(
            Change(
                "platform",
                CIS,
                _on_off(a.cis),
                _on_off(b.cis),
                True,
                "the nodes are reconfigured to the CIS profile (kubelet and control-plane "
                "flags; RKE2 nodes are re-provisioned) and the restricted Pod Security "
                "Standard starts refusing pods that break it"
                if b.cis
                else "the nodes are reconfigured without the CIS profile (kubelet and "
                "control-plane flags; RKE2 nodes are re-provisioned)",
                path=CIS,
            )
        )
    return changes + _cluster_mesh_changes(old, new)


def _on_off(value: bool) -> str:
    return "on" if value else "off"


def _mesh_layout(plan: Plan) -> tuple[int, dict[str, int]]:
    """The Cluster Mesh's maxConnectedClusters (0: no mesh) and each meshed cluster's id."""
    meshed = [c for c in plan.clusters if c.has("cilium-clustermesh")]
    ids = {c.name: cluster_id(c.index, True) for c in meshed}
    return (max_connected_clusters(len(meshed)) if meshed else 0), ids


def _cluster_mesh_changes(old: Plan, new: Plan) -> list[Change]:
    """Cluster Mesh facts Cilium cannot change on a running cluster: its maximum and ids.

    They are consequences, not fields: the maximum follows the number of meshed clusters
    and a cluster's id its place in the list (:mod:`stackyard.plan.clustermesh`).
    """
    was_max, was_ids = _mesh_layout(old)
    now_max, now_ids = _mesh_layout(new)
    changes: list[Change] = []
    kept = sorted(was_ids.keys() & now_ids.keys(), key=lambda name: now_ids[name])
    if was_max and now_max and was_max != now_max and kept:
        grows = now_max > was_max
        changes.append(
            Change(
                "network",
                "clustermesh.maxConnectedClusters",
                str(was_max),
                str(now_max),
                True,
                (
                    f"the mesh {'grows past' if grows else 'shrinks to'} "
                    f"{DEFAULT_MAX_CLUSTERS} clusters{'' if grows else ' or fewer'}; Cilium "
                    "cannot change maxConnectedClusters on a running cluster, and "
                    f"{len(kept)} running clusters carry {was_max}: they must be rebuilt"
                ),
            )
        )
    for name in kept:
        if was_ids[name] != now_ids[name]:
            changes.append(
                Change(
                    "network",
                    "cluster id",
                    str(was_ids[name]),
                    str(now_ids[name]),
                    True,
                    "a cluster's Cilium id is its place in the list plus one, and a cluster "
                    "before it was removed or moved; Cilium cannot change the id of a running "
                    "meshed cluster (its security identities carry it)",
                    name,
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

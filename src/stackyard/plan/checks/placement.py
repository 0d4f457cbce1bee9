"""Checks on what the plan places where: overrides, editions, conflicts, dependencies."""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.catalog.model import Selector
from stackyard.catalog.settings import CLUSTER_SCOPE
from stackyard.findings import Finding
from stackyard.plan.checks.base import CheckContext, Emit, check
from stackyard.plan.model import SpecPath


@check("SY502", "Component forced on outside its edition, provider or distribution", "error")
def forced_outside_eligibility(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Component forced on outside its edition, provider or distribution.

    An override can force a component on, but not into an edition that does not
    license it (Teleport in Community), a provider it cannot run on, or a distribution
    that does not ship it. Outside its usual cluster roles it is only a warning.
    """
    platform = context.platform
    for plan in context.clusters:
        for planned in plan.components:
            decision, component = planned.decision, planned.component
            if not decision.forced:
                continue
            problems = []
            if platform.edition not in component.editions:
                problems.append(
                    f"the {platform.edition} edition (it is {', '.join(component.editions)})"
                )
            if platform.provider not in component.providers:
                problems.append(f"provider {platform.provider}")
            if platform.kubernetes.distribution not in component.distributions:
                problems.append(f"{platform.kubernetes.distribution}")
            if problems:
                yield emit(
                    f"{component.name} is not available for {' or '.join(problems)}",
                    decision.path,
                    hint="remove the override, or change the spec to one that offers it",
                    cluster=plan.name,
                )
            elif plan.cluster.role not in component.roles:
                yield emit(
                    f"{component.name} usually runs on {', '.join(component.roles)} clusters, "
                    f"not {plan.cluster.role}",
                    decision.path,
                    severity="warning",
                    cluster=plan.name,
                )


@check("SY503", "Conflicting components on one cluster", "error")
def no_conflicts(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Conflicting components on one cluster.

    Components that cannot run side by side (two CNIs, two log agents, two metrics
    stores) must not be planned on the same cluster.
    """
    for plan in context.clusters:
        names = {p.name for p in plan.components}
        for planned in plan.components:
            for other in planned.component.conflicts:
                if other in names and planned.name < other:
                    forced = planned.name if planned.decision.forced else other
                    path = plan.source(forced)
                    yield emit(
                        f"{planned.name} and {other} cannot both run on {plan.name}",
                        path,
                        hint=f"disable one of {planned.name} and {other}",
                        cluster=plan.name,
                    )


@check("SY504", "Unmet dependency", "error")
def dependencies_met(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Unmet dependency.

    Every need of a planned component must be provided on its cluster (scope
    ``cluster``) or on the platform's mgmt cluster (scope ``platform``).
    """
    for unmet in context.unmet:
        plan = next(p for p in context.clusters if p.name == unmet.cluster)
        path = plan.source(unmet.consumer)
        candidates = ", ".join(unmet.candidates) or "nothing in the catalog"
        yield emit(
            f"{unmet.consumer} on {unmet.cluster} needs {unmet.capability}, "
            "which no planned component provides",
            path,
            hint=f"enable one of: {candidates}; or disable {unmet.consumer}",
            cluster=unmet.cluster,
        )


@check("SY505", "Dependency cycle", "error")
def no_cycles(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Dependency cycle.

    Components that need each other cannot be installed in any order.
    """
    if context.waves.cycle:
        yield emit(
            "components need each other: " + " -> ".join(context.waves.cycle),
            (),
            hint="break the cycle (for cert-manager and Vault: pki.bootstrap: two-phase)",
        )


@check("SY506", "Deprecated or retired upstream component", "warning")
def upstream_lifecycle(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Deprecated or retired upstream component.

    A component whose upstream is deprecated or retired gets no fixes; the plan names
    the successor. Seed choices may keep one on purpose, with this warning showing.
    """
    seen: set[str] = set()
    for plan in context.clusters:
        for planned in plan.components:
            upstream = planned.component.upstream
            if upstream.lifecycle == "maintained" or planned.name in seen:
                continue
            seen.add(planned.name)
            decision = planned.decision
            path = (
                decision.path
                or _setting_path(context, planned.component.selectedBy)
                or ("edition",)
            )
            yield emit(
                f"{planned.name} is {upstream.lifecycle} upstream since {upstream.since}"
                + (f": {upstream.note}" if upstream.note else ""),
                path,
                hint=f"move to {upstream.successor}",
                cluster=plan.name,
            )


def _setting_path(context: CheckContext, selectors: Iterable[Selector]) -> SpecPath:
    for selector in selectors:
        if selector.setting.startswith(CLUSTER_SCOPE):  # a fact of each cluster, no setting
            continue
        setting = context.settings.get(selector.setting)
        if setting.path:
            return setting.path
    return ()


@check("SY507", "Cluster topology", "error")
def topology(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Cluster topology.

    App clusters are managed from exactly one mgmt cluster (Argo CD, Vault and the
    observability backends run there); a standalone cluster stands alone.
    """
    clusters = context.platform.clusters
    roles = [c.role for c in clusters]
    mgmt = [i for i, c in enumerate(clusters) if c.role == "mgmt"]
    if "app" in roles and not mgmt:
        first_app = roles.index("app")
        yield emit(
            "app clusters need a mgmt cluster to run Argo CD and platform services",
            ("clusters", first_app, "role"),
            hint="add a cluster with role: mgmt",
        )
    for index in mgmt[1:]:
        yield emit(
            "only one mgmt cluster is supported",
            ("clusters", index, "role"),
            hint="make this an app cluster or a separate platform",
        )
    if "standalone" in roles and len(clusters) > 1:
        yield emit(
            "a standalone cluster is the whole platform; split mgmt and app roles instead",
            ("clusters", roles.index("standalone"), "role"),
            hint="use role: mgmt for the first cluster and app for the others",
        )


@check("SY508", "Tenants outside the Enterprise edition", "error")
def tenants_need_enterprise(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Tenants outside the Enterprise edition.

    Multi-tenancy isolation (namespace per tenant, L7 policy, quotas, Kyverno) is an
    Enterprise capability (the edition table).
    """
    if context.platform.tenants and context.platform.edition != "enterprise":
        yield emit(
            f"tenants need the enterprise edition, not {context.platform.edition}",
            ("tenants",),
            hint="set edition: enterprise or remove tenants",
        )


@check("SY509", "Cluster size below the edition's minimum", "warning")
def edition_minimum_nodes(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Cluster size below the edition's minimum.

    The edition table sizes editions at 3 (Community), 5 (Standard) and 10+ (Enterprise) nodes;
    fewer works for a trial but not for the edition's production promise. An even
    number of control-plane nodes adds no etcd fault tolerance.
    """
    minimum = {"community": 3, "standard": 5, "enterprise": 10}[context.platform.edition]
    total = sum(c.node_count for c in context.platform.clusters)
    if total < minimum:
        yield emit(
            f"{total} nodes in all; the {context.platform.edition} edition is sized for {minimum}+",
            ("clusters",),
            hint="fine for a trial; add nodes for production",
        )
    for index, cluster in enumerate(context.platform.clusters):
        control_plane = cluster.control_plane_nodes
        if control_plane % 2 == 0:
            yield emit(
                f"{control_plane} control-plane nodes tolerate no more etcd failures "
                f"than {control_plane - 1}",
                ("clusters", index, "nodePools"),
                hint="use an odd number of control-plane nodes (1, 3 or 5)",
                cluster=cluster.name,
            )


@check("SY510", "Control-plane pools disagree on taking workloads", "error")
def control_plane_pools_agree(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Control-plane pools disagree on taking workloads.

    Every control-plane node of a cluster is configured the same way (one RKE2 server
    config, one kubeadm init configuration), so its pools must agree on
    ``schedulable``.
    """
    for index, cluster in enumerate(context.platform.clusters):
        answers = {p.takes_workloads for p in cluster.nodePools if p.role == "control-plane"}
        if len(answers) > 1:
            yield emit(
                "control-plane pools disagree on schedulable",
                ("clusters", index, "nodePools"),
                key=True,
                hint="give every control-plane pool the same schedulable value",
                cluster=cluster.name,
            )

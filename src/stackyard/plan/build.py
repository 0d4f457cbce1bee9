"""spec × catalog → plan: the straight line every other command stands on.

1. resolve the spec's ``auto`` settings;
2. decide per cluster which components run, with reasons;
3. match needs to providers and order installation into waves;
4. run every static check and sort the findings.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from stackyard.catalog import Catalog, Component, load_catalog
from stackyard.errors import Problem, SpecError
from stackyard.findings import by_severity
from stackyard.plan.checks import ALL_CHECKS, CheckContext
from stackyard.plan.graph import compute_waves, resolve_needs
from stackyard.plan.model import ClusterPlan, Plan, PlannedComponent
from stackyard.plan.policy import cluster_policy
from stackyard.plan.replicas import Replicas, replicas
from stackyard.plan.resources import cluster_budget
from stackyard.plan.select import decide
from stackyard.plan.settings import resolve_settings
from stackyard.plan.stores import writes_to_minio
from stackyard.spec import Cluster, LoadedSpec, field_path


def make_plan(spec: LoadedSpec, catalog: Catalog | None = None) -> Plan:
    """Plan ``spec`` against ``catalog`` (the shipped one by default).

    Raises:
        SpecError: an override names a component the catalog does not have.
    """
    catalog = catalog or load_catalog()
    platform = spec.platform
    _check_override_names(spec, catalog)
    settings = resolve_settings(platform)

    decisions = {
        cluster.name: decide(platform, index, catalog, settings)
        for index, cluster in enumerate(platform.clusters)
    }
    running = {
        name: {c for c, d in per_cluster.items() if d.included}
        for name, per_cluster in decisions.items()
    }
    roles = {cluster.name: cluster.role for cluster in platform.clusters}
    edges, unmet = resolve_needs(running, roles, catalog)
    # A consumer whose data never goes to the platform's object store (the spec's external
    # store replaces it, or the consumer keeps its own volume) does not depend on it.
    edges = [
        e
        for e in edges
        if e.capability != "object-storage" or writes_to_minio(platform, catalog[e.consumer])
    ]
    all_running = sorted(set().union(*running.values())) if running else []
    waves = compute_waves(all_running, edges, catalog)

    clusters = []
    for index, cluster in enumerate(platform.clusters):
        per_cluster = decisions[cluster.name]
        here = running[cluster.name]
        sizing = {name: replicas(catalog[name], cluster, platform, here) for name in here}
        components = tuple(
            PlannedComponent(
                component=catalog[name],
                decision=per_cluster[name],
                wave=waves.waves[name],
                pods=_pods(catalog[name], cluster, sizing[name]),
                replicas=sizing[name],
            )
            for name in sorted(here, key=lambda n: (waves.waves[n], n))
        )
        excluded = tuple(d for name, d in sorted(per_cluster.items()) if not d.included)
        budget = cluster_budget(cluster, ((p.component, p.pods) for p in components))
        policy = cluster_policy(platform, index, catalog, kyverno="kyverno" in here)
        clusters.append(ClusterPlan(cluster, index, components, excluded, budget, policy))

    context = CheckContext(
        spec=spec,
        catalog=catalog,
        settings=settings,
        clusters=tuple(clusters),
        edges=tuple(edges),
        unmet=tuple(unmet),
        waves=waves,
    )
    findings = [finding for check in ALL_CHECKS for finding in check.run(context)]
    findings.sort(key=by_severity)
    return Plan(
        spec=spec,
        settings=settings,
        clusters=tuple(clusters),
        edges=tuple(edges),
        waves=waves.waves,
        wave_reasons=waves.reasons,
        catalog=catalog,
        findings=tuple(findings),
    )


def _check_override_names(spec: LoadedSpec, catalog: Catalog) -> None:
    """Component override keys are spec keys: an unknown one is bad input, not a finding."""
    known = list(catalog.components)
    places: list[tuple[tuple[str | int, ...], Iterable[str]]] = [
        (("components",), spec.platform.components)
    ]
    for index, cluster in enumerate(spec.platform.clusters):
        places.append((("clusters", index, "components"), cluster.components))
    problems = []
    for prefix, names in places:
        for name in names:
            if name in catalog:
                continue
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            problems.append(
                Problem(
                    spec.document.locate((*prefix, name), key=True),
                    field_path((*prefix, name)),
                    f"unknown component {name!r}",
                    f"did you mean {close[0]!r}?" if close else "see `stackyard catalog`",
                )
            )
    if problems:
        raise SpecError(problems)


def _pods(component: Component, cluster: Cluster, sizing: Replicas) -> int:
    if component.workload == "none" or component.install.method == "feature":
        return 0
    if component.workload == "daemonset":
        return cluster.node_count
    return sizing.count

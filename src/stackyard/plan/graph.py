"""Resolve what each component needs, order installation, and find cycles.

Needs are matched to providers: ``cluster`` scope on the same cluster, ``platform``
scope on the same cluster first, then on a mgmt or standalone cluster. A feature is
installed with its parent, so edges to or from it count as its parent's.

Waves are global: the root App-of-Apps owns one Application per component and cluster,
and Argo CD orders those by sync wave. A component's wave is its catalog wave, raised
above every component it needs, so data that orders things wrongly is corrected and
the correction is explained.
"""

from __future__ import annotations

import graphlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from stackyard.catalog import Catalog, Component
from stackyard.plan.model import Edge

PLATFORM_ROLES = ("mgmt", "standalone")


@dataclass(frozen=True)
class Unmet:
    """A need nothing satisfies."""

    cluster: str
    consumer: str
    capability: str
    candidates: tuple[str, ...]


@dataclass(frozen=True)
class Waves:
    """Sync wave per component, why any was raised, and a cycle if one exists."""

    waves: Mapping[str, int]
    reasons: Mapping[str, str]
    cycle: tuple[str, ...] = ()


def resolve_needs(
    running: Mapping[str, set[str]],
    roles: Mapping[str, str],
    catalog: Catalog,
) -> tuple[list[Edge], list[Unmet]]:
    """Match every need of every running component to a provider.

    Args:
        running: component names per cluster.
        roles: cluster role per cluster.
        catalog: the component catalog.
    """
    edges: list[Edge] = []
    unmet: list[Unmet] = []
    platform_clusters = [c for c in running if roles[c] in PLATFORM_ROLES]
    for cluster, names in running.items():
        for name in sorted(names):
            for need in catalog[name].needs:
                where = [cluster] if need.scope == "cluster" else [cluster, *platform_clusters]
                found = _first_provider(need.capability, where, running, catalog, skip=name)
                if found:
                    provider, provider_cluster = found
                    edges.append(
                        Edge(
                            cluster,
                            name,
                            need.capability,
                            provider,
                            provider_cluster,
                            need.runtime,
                            need.buffer,
                        )
                    )
                elif not need.optional:
                    candidates = tuple(c.name for c in catalog.providers_of(need.capability))
                    unmet.append(Unmet(cluster, name, need.capability, candidates))
    return edges, unmet


def _first_provider(
    capability: str,
    clusters: Iterable[str],
    running: Mapping[str, set[str]],
    catalog: Catalog,
    skip: str,
) -> tuple[str, str] | None:
    for cluster in dict.fromkeys(clusters):
        for name in sorted(running[cluster]):
            if name != skip and capability in catalog[name].provides:
                return name, cluster
    return None


def install_unit(component: Component) -> str:
    """The component whose Application installs ``component`` (features: the parent)."""
    install = component.install
    return install.parent if install.method == "feature" else component.name


def compute_waves(names: Iterable[str], edges: Iterable[Edge], catalog: Catalog) -> Waves:
    """Sync waves that honour the catalog and every dependency, or the cycle that prevents it."""
    units = sorted({install_unit(catalog[n]) for n in names})
    depends: dict[str, set[str]] = {unit: set() for unit in units}
    for edge in edges:
        consumer = install_unit(catalog[edge.consumer])
        provider = install_unit(catalog[edge.provider])
        if consumer != provider and consumer in depends and provider in depends:
            depends[consumer].add(provider)
    sorter = graphlib.TopologicalSorter(depends)
    try:
        order = list(sorter.static_order())
    except graphlib.CycleError as e:
        cycle = tuple(e.args[1])
        return Waves({u: catalog[u].syncWave for u in units}, {}, cycle)
    waves: dict[str, int] = {}
    reasons: dict[str, str] = {}
    for unit in order:
        wave = catalog[unit].syncWave
        for provider in sorted(depends[unit]):
            if waves[provider] >= wave:
                wave = waves[provider] + 1
                reasons[unit] = (
                    f"raised from catalog wave {catalog[unit].syncWave} to {wave}: "
                    f"needs {provider} (wave {waves[provider]})"
                )
        waves[unit] = wave
    for name in names:  # features share their parent's wave
        waves.setdefault(name, waves[install_unit(catalog[name])])
    return Waves(waves, reasons)

"""The values a plan is made of: decisions, findings, per-cluster component sets.

All frozen dataclasses: a plan is computed once and then only read (rendered, diffed,
printed, simulated). ``as_dict`` gives the JSON shape ``plan --output json`` prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from stackyard.catalog import Catalog, Component
from stackyard.findings import Finding
from stackyard.plan.policy import ClusterPolicy
from stackyard.plan.replicas import Replicas
from stackyard.plan.resources import GIB, Budget
from stackyard.plan.settings import Settings
from stackyard.plan.settings import SpecPath as SpecPath
from stackyard.spec import Cluster, LoadedSpec


@dataclass(frozen=True)
class Decision:
    """Why a component is in or out of one cluster."""

    component: str
    included: bool
    reason: str
    path: SpecPath = ()
    forced: bool = False


@dataclass(frozen=True)
class Edge:
    """``consumer`` on ``cluster`` gets ``capability`` from ``provider`` on ``provider_cluster``."""

    cluster: str
    consumer: str
    capability: str
    provider: str
    provider_cluster: str
    runtime: str
    buffer: str | None = None


@dataclass(frozen=True)
class PlannedComponent:
    """A component that will run on a cluster, with its sizing.

    ``replicas`` is the one replica decision (:mod:`stackyard.plan.replicas`) that the pod
    count, ``plan --why`` and the rendered values all read; ``pods`` counts what the
    cluster runs (every node for a DaemonSet, none for a feature).
    """

    component: Component
    decision: Decision
    wave: int
    pods: int
    replicas: Replicas

    @property
    def name(self) -> str:
        """The catalog name."""
        return self.component.name


@dataclass(frozen=True)
class ClusterPlan:
    """What runs on one cluster and why; what does not and why not."""

    cluster: Cluster
    index: int
    components: tuple[PlannedComponent, ...]
    excluded: tuple[Decision, ...]
    budget: Budget
    policy: ClusterPolicy
    """The policy template the cluster carries and what it enforces there."""

    @property
    def name(self) -> str:
        """The cluster name."""
        return self.cluster.name

    @cached_property
    def _by_name(self) -> dict[str, PlannedComponent]:
        # Render and simulate ask hundreds of thousands of times on a large fleet; a scan of
        # ``components`` per question made them quadratic. The first entry wins, as the scan did.
        by_name: dict[str, PlannedComponent] = {}
        for planned in self.components:
            by_name.setdefault(planned.name, planned)
        return by_name

    def has(self, name: str) -> bool:
        """Whether component ``name`` runs here."""
        return name in self._by_name

    def get(self, name: str) -> PlannedComponent | None:
        """The planned component ``name``, if it runs here."""
        return self._by_name.get(name)

    def source(self, name: str) -> SpecPath:
        """Where the spec decided about ``name`` here: its override, else the cluster."""
        decision = self.decision(name)
        return decision.path if decision and decision.path else ("clusters", self.index)

    def decision(self, name: str) -> Decision | None:
        """The inclusion or exclusion decision for ``name``."""
        planned = self.get(name)
        if planned:
            return planned.decision
        return next((d for d in self.excluded if d.component == name), None)


@dataclass(frozen=True)
class Plan:
    """The whole plan of a platform."""

    spec: LoadedSpec
    settings: Settings
    clusters: tuple[ClusterPlan, ...]
    edges: tuple[Edge, ...]
    waves: Mapping[str, int]
    wave_reasons: Mapping[str, str]
    catalog: Catalog = field(repr=False, compare=False)
    """The catalog the plan was made with; render reads every component fact from it."""
    findings: tuple[Finding, ...] = field(default=())

    @property
    def errors(self) -> list[Finding]:
        """Findings of error severity."""
        return [f for f in self.findings if f.severity == "error"]

    @cached_property
    def _clusters_by_name(self) -> dict[str, ClusterPlan]:
        by_name: dict[str, ClusterPlan] = {}
        for cluster in self.clusters:
            by_name.setdefault(cluster.name, cluster)
        return by_name

    def cluster(self, name: str) -> ClusterPlan:
        """The plan of cluster ``name``.

        Raises:
            KeyError: no cluster of the plan has that name.
        """
        return self._clusters_by_name[name]

    def install_order(self) -> list[tuple[int, list[str]]]:
        """Waves in order, each with the components that sync in it."""
        by_wave: dict[int, set[str]] = {}
        for cluster in self.clusters:
            for planned in cluster.components:
                by_wave.setdefault(planned.wave, set()).add(planned.name)
        return [(wave, sorted(names)) for wave, names in sorted(by_wave.items())]

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``stackyard plan --output json``, after the ``schema`` app adds."""
        platform = self.spec.platform
        return {
            "platform": platform.name,
            "edition": platform.edition,
            "provider": platform.provider,
            "kubernetes": {
                "distribution": platform.kubernetes.distribution,
                "version": platform.kubernetes.version,
            },
            "settings": self.settings.as_dict(),
            "clusters": [_cluster_dict(c) for c in self.clusters],
            "waves": [{"wave": w, "components": names} for w, names in self.install_order()],
            "dependencies": [
                {
                    "cluster": e.cluster,
                    "consumer": e.consumer,
                    "capability": e.capability,
                    "provider": e.provider,
                    "providerCluster": e.provider_cluster,
                    "runtime": e.runtime,
                    "buffer": e.buffer,
                }
                for e in self.edges
            ],
            "findings": [f.as_dict() for f in self.findings],
            "summary": {
                severity: sum(1 for f in self.findings if f.severity == severity)
                for severity in ("error", "warning", "info")
            },
        }


def _cluster_dict(plan: ClusterPlan) -> dict[str, Any]:
    return {
        "name": plan.name,
        "role": plan.cluster.role,
        "components": [
            {
                "name": p.name,
                "namespace": p.component.namespace,
                "wave": p.wave,
                "pods": p.pods,
                "reason": p.decision.reason,
                "lifecycle": p.component.upstream.lifecycle,
            }
            for p in plan.components
        ],
        "excluded": [{"name": d.component, "reason": d.reason} for d in plan.excluded],
        "budget": {
            "schedulableNodes": plan.budget.schedulable_nodes,
            "cpuRequested": round(plan.budget.cpu_requested, 3),
            "cpuAllocatable": round(plan.budget.cpu_allocatable, 3),
            "memoryRequestedGiB": round(plan.budget.memory_requested / GIB, 3),
            "memoryAllocatableGiB": round(plan.budget.memory_allocatable / GIB, 3),
        },
        "policy": plan.policy.as_dict(),
    }

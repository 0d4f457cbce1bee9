"""What every renderer needs to know about the platform, computed once.

Renderers receive a :class:`RenderContext` and a :class:`ClusterPlan`; they never
re-derive placement or settings, so the output always agrees with ``stackyard plan``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePosixPath
from typing import Any, TypeVar, cast

from stackyard.catalog import Catalog, Component
from stackyard.plan import ClusterPlan, Plan
from stackyard.spec import Platform

# Label keys on Argo CD cluster Secrets; ApplicationSets select clusters by them.
LABEL_PREFIX = "stackyard.dev"
COMPONENT_LABEL_PREFIX = "component.stackyard.dev"
ENABLED = "enabled"
IN_CLUSTER = "https://kubernetes.default.svc"
PROJECT = "platform"

T = TypeVar("T")


def component_label(name: str) -> str:
    """The cluster-Secret label that switches component ``name`` on for a cluster."""
    return f"{COMPONENT_LABEL_PREFIX}/{name}"


@dataclass(frozen=True)
class RenderContext:
    """The plan plus derived facts: repository paths, API servers, Argo CD location."""

    plan: Plan

    @property
    def platform(self) -> Platform:
        """The validated spec."""
        return self.plan.spec.platform

    @property
    def catalog(self) -> Catalog:
        """The component catalog the plan was made with."""
        return self.plan.catalog

    def component(self, name: str) -> Component:
        """A catalog entry."""
        return self.catalog[name]

    def repo_path(self, *parts: str) -> str:
        """A path inside the Git repository, under ``gitops.path``."""
        base = PurePosixPath(self.platform.gitops.path)
        return str(base.joinpath(*parts)) if str(base) != "." else str(PurePosixPath(*parts))

    @cached_property
    def argocd_cluster(self) -> ClusterPlan:
        """The cluster Argo CD runs on (mgmt, else the standalone cluster)."""
        for role in ("mgmt", "standalone"):
            for cluster in self.plan.clusters:
                if cluster.cluster.role == role:
                    return cluster
        return self.plan.clusters[0]

    @property
    def argocd_namespace(self) -> str:
        """Namespace of Argo CD (and of its cluster Secrets and ApplicationSets)."""
        return self.component("argo-cd").namespace

    def server(self, cluster: ClusterPlan) -> str:
        """The API server URL Argo CD uses for ``cluster``."""
        if cluster.name == self.argocd_cluster.name:
            return IN_CLUSTER
        return f"https://{self.api_host(cluster)}:6443"

    def destination(self, cluster: ClusterPlan) -> dict[str, str]:
        """Where an Application on ``cluster`` deploys: its server, or its name.

        A cluster Cluster API provisions gets its API server's address (the load balancer
        the AWS provider creates) only once it exists, so Argo CD finds it by name.
        """
        if self.platform.provisioned_by_cluster_api(cluster.cluster):
            return {"name": cluster.name}
        return {"server": self.server(cluster)}

    def api_host(self, cluster: ClusterPlan) -> str:
        """DNS name of the cluster's API endpoint (also a TLS SAN of its servers)."""
        return f"api.{cluster.name}.{self.platform.domain}"

    def cluster_labels(self, cluster: ClusterPlan) -> dict[str, str]:
        """Every label of the cluster's Argo CD Secret, sorted for stable output."""
        platform = self.platform
        labels = {
            "argocd.argoproj.io/secret-type": "cluster",
            f"{LABEL_PREFIX}/platform": platform.name,
            f"{LABEL_PREFIX}/cluster": cluster.name,
            f"{LABEL_PREFIX}/role": cluster.cluster.role,
            f"{LABEL_PREFIX}/edition": platform.edition,
            f"{LABEL_PREFIX}/provider": platform.provider,
            f"{LABEL_PREFIX}/distribution": platform.kubernetes.distribution,
        }
        for planned in cluster.components:
            if application_of(planned.component) is not None:
                labels[component_label(planned.name)] = ENABLED
        labels.update(cluster.cluster.labels)
        return dict(sorted(labels.items()))

    @cached_property
    def _running(self) -> dict[str, list[ClusterPlan]]:
        running: dict[str, list[ClusterPlan]] = {}
        for cluster in self.plan.clusters:
            for planned in cluster.components:
                clusters = running.setdefault(planned.name, [])
                if not clusters or clusters[-1] is not cluster:
                    clusters.append(cluster)
        return running

    def clusters_running(self, name: str) -> list[ClusterPlan]:
        """Clusters on which component ``name`` runs, in the plan's order."""
        return list(self._running.get(name, ()))

    @cached_property
    def _derived(self) -> dict[Callable[[RenderContext], Any], Any]:
        return {}

    def derived(self, build: Callable[[RenderContext], T]) -> T:
        """``build(self)``, computed once per context.

        For facts about the whole fleet that renderers of every cluster read (the traffic
        edges, for one): computed per cluster they made a render quadratic in the number of
        clusters. ``build`` is the key, so pass a module-level function; treat the result
        as read-only.
        """
        if build not in self._derived:
            self._derived[build] = build(self)
        return cast(T, self._derived[build])


def application_of(component: Component) -> str | None:
    """The kind of Argo CD Application that installs ``component``, or None.

    Helm charts and plain manifests get an Application per cluster; features ride in their
    parent's values; RKE2 built-ins and static manifests belong to node bootstrap.
    """
    install = component.install
    if install.method == "helm":
        return "helm"
    if install.method == "manifest" and not install.static:
        return "manifest"
    return None

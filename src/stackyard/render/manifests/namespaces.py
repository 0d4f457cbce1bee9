"""Namespaces with Pod Security labels, ResourceQuota and LimitRange, per cluster.

Pod Security follows the Pod Security map: every namespace enforces its catalog level
(baseline by default; privileged only where a component needs host access) and
audits and warns at ``restricted``, so drift toward stricter is visible. kube-system
is the cluster's own and is never claimed.

Quotas leave room for a rolling update (surge doubles a Deployment for a moment):
each platform namespace may request twice what its components request and limit
twice their limits. LimitRange gives containers without resources sane defaults,
which a quota on ``requests.*`` requires. Tenants get their spec quota, the same defaults
and the Pod Security levels of the cluster's policy template (restricted unless a template
says otherwise), as do the mesh's own namespaces.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

from stackyard.plan import ClusterPlan, PlannedComponent, PodSecurity
from stackyard.render.context import LABEL_PREFIX, RenderContext
from stackyard.render.manifests.base import BASE_GROUP, Placed
from stackyard.render.meshmodel import MeshScope, api_gateway_namespaces, mesh_scope
from stackyard.render.tree import Manifest
from stackyard.spec.units import parse_quantity

UNMANAGED = frozenset({"kube-system", "kube-public", "kube-node-lease", "default"})
QUOTA_HEADROOM = 2
DEFAULT_LIMIT = {"cpu": "500m", "memory": "512Mi"}
DEFAULT_REQUEST = {"cpu": "50m", "memory": "64Mi"}
MIB = 1024**2


def platform_namespaces(cluster: ClusterPlan) -> dict[str, list[PlannedComponent]]:
    """Namespaces of the components running on ``cluster`` (managed ones only)."""
    namespaces: dict[str, list[PlannedComponent]] = defaultdict(list)
    for planned in cluster.components:
        if planned.component.namespace not in UNMANAGED:
            namespaces[planned.component.namespace].append(planned)
    return dict(sorted(namespaces.items()))


def namespace(
    name: str, level: str, labels: dict[str, str], pod_security: PodSecurity | None = None
) -> Manifest:
    """A Namespace with Pod Security Admission labels.

    ``level`` is enforced and restricted audited and warned, unless ``pod_security`` (a
    workload namespace's, from the cluster's policy template) says otherwise.
    """
    audit = pod_security.audit if pod_security else "restricted"
    warn = pod_security.warn if pod_security else "restricted"
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {
                **labels,
                "pod-security.kubernetes.io/enforce": level,
                "pod-security.kubernetes.io/enforce-version": "latest",
                "pod-security.kubernetes.io/audit": audit,
                "pod-security.kubernetes.io/warn": warn,
            },
            # Removing a namespace from the plan must not delete what runs in it.
            "annotations": {"argocd.argoproj.io/sync-options": "Prune=false"},
        },
    }


def resource_quota(name: str, hard: dict[str, str]) -> Manifest:
    """A ResourceQuota named after its namespace."""
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": f"{name}-quota", "namespace": name},
        "spec": {"hard": hard},
    }


def limit_range(name: str) -> Manifest:
    """Container defaults, so every pod counts against the quota."""
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": f"{name}-defaults", "namespace": name},
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "default": dict(DEFAULT_LIMIT),
                    "defaultRequest": dict(DEFAULT_REQUEST),
                }
            ]
        },
    }


def _cpu(cores: float) -> str:
    return f"{math.ceil(cores * 1000)}m"


def _memory(amount: float) -> str:
    return f"{math.ceil(amount / MIB)}Mi"


def platform_quota(cluster: ClusterPlan, components: list[PlannedComponent]) -> dict[str, str]:
    """Twice the requests and limits of the namespace's components."""
    totals = {"requests.cpu": 0.0, "requests.memory": 0.0, "limits.cpu": 0.0, "limits.memory": 0.0}
    nodes = cluster.cluster.node_count
    for planned in components:
        resources = planned.component.resources
        if resources is None:
            continue
        pods = nodes if planned.component.workload == "daemonset" else max(planned.pods, 1)
        for kind, block in (("requests", resources.requests), ("limits", resources.limits)):
            totals[f"{kind}.cpu"] += parse_quantity(block.cpu) * pods
            totals[f"{kind}.memory"] += parse_quantity(block.memory) * pods
    # Pods the catalog does not size (operators' helpers, jobs) still need room.
    floor = {
        "requests.cpu": 0.5,
        "requests.memory": 512 * MIB,
        "limits.cpu": 1.0,
        "limits.memory": 1024 * MIB,
    }
    hard = {}
    for key, value in totals.items():
        amount = max(value * QUOTA_HEADROOM, floor[key])
        hard[key] = _cpu(amount) if key.endswith("cpu") else _memory(amount)
    return hard


def dataplane_labels(scope: MeshScope) -> dict[str, str]:
    """The label that puts a namespace's pods in the mesh, for the mesh's mode.

    Ambient: ztunnel captures the pods (https://istio.io/latest/docs/ambient/usage/add-workloads/);
    sidecar: istiod's webhook injects a proxy into new pods.
    """
    if scope.mode == "ambient":
        return {"istio.io/dataplane-mode": "ambient"}
    return {"istio-injection": "enabled"}


def mesh_labels(context: RenderContext, cluster: ClusterPlan, name: str) -> dict[str, str]:
    """The mesh labels of namespace ``name`` on ``cluster`` (none where it stays out).

    Besides the mesh's namespaces, the API gateway's namespace joins, so
    its proxies reach STRICT services with a mesh identity.
    """
    scope = mesh_scope(context, cluster)
    if scope is None:
        return {}
    if name in scope.namespaces:
        return dataplane_labels(scope)
    if name in api_gateway_namespaces(context, cluster):
        return dataplane_labels(scope)
    return {}


def namespace_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """Platform, tenant and mesh-only namespaces with their quotas and limit ranges."""
    labels = {f"{LABEL_PREFIX}/platform": context.platform.name}
    workloads = cluster.policy.pod_security
    objects: list[Manifest] = []
    for name, components in platform_namespaces(cluster).items():
        levels = {p.component.podSecurity for p in components}
        level = next(lvl for lvl in ("privileged", "baseline", "restricted") if lvl in levels)
        kind_label = {f"{LABEL_PREFIX}/namespace-kind": "platform"}
        objects += [
            namespace(name, level, {**labels, **kind_label, **mesh_labels(context, cluster, name)}),
            resource_quota(name, platform_quota(cluster, components)),
            limit_range(name),
        ]
    for tenant in context.platform.tenants:
        if cluster.name not in tenant.clusters:
            continue
        tenant_labels = {
            **labels,
            f"{LABEL_PREFIX}/namespace-kind": "tenant",
            f"{LABEL_PREFIX}/tenant": tenant.name,
        }
        for name in tenant.namespaces or [tenant.name]:
            mesh = mesh_labels(context, cluster, name)
            objects.append(namespace(name, workloads.enforce, {**tenant_labels, **mesh}, workloads))
            if tenant.quota:
                hard = {}
                for key, value in sorted(tenant.quota.items()):
                    hard[f"requests.{key}"] = value
                    hard[f"limits.{key}"] = value
                objects.append(resource_quota(name, hard))
            objects.append(limit_range(name))
    mesh_kind = {**labels, f"{LABEL_PREFIX}/namespace-kind": "mesh"}
    for name in mesh_only_namespaces(context, cluster):
        mesh = mesh_labels(context, cluster, name)
        objects += [
            namespace(name, workloads.enforce, {**mesh_kind, **mesh}, workloads),
            limit_range(name),
        ]
    yield Placed(BASE_GROUP, "namespaces.yaml", objects)


def tenant_namespaces(context: RenderContext, cluster: ClusterPlan) -> list[str]:
    """The namespaces of every tenant on ``cluster``."""
    return [
        name
        for tenant in context.platform.tenants
        if cluster.name in tenant.clusters
        for name in tenant.namespaces or [tenant.name]
    ]


def mesh_only_namespaces(context: RenderContext, cluster: ClusterPlan) -> list[str]:
    """The mesh's extra namespaces (``mesh.namespaces``) on ``cluster`` that nothing else renders.

    Neither a platform nor a tenant namespace there: the render writes them with a tenant's
    Pod Security levels, and the traffic rules give them a tenant's default deny.
    """
    scope = mesh_scope(context, cluster)
    if scope is None:
        return []
    rendered = {*platform_namespaces(cluster), *tenant_namespaces(context, cluster), *UNMANAGED}
    return [name for name in scope.namespaces if name not in rendered]

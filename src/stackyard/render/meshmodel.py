"""Which namespaces join the service mesh and which tenant services run where.

The spec's ``mesh`` and ``services`` sections are read here once, into the facts the
mesh's manifests, its chart values and the namespaces all use, so they cannot disagree:

- The mesh is on for a cluster when the plan says so (``cluster.inMesh``: a tenant that
  joins runs there) and istiod runs there. istiod alone is not enough: on Canal clusters it
  also runs as the Gateway API implementation.
- A namespace joins when it belongs to a tenant that joins (``mesh.tenants``; null means
  every tenant) and the tenant runs on the cluster, or when ``mesh.namespaces`` names it.
- A declared service runs in its ``namespace`` (default: its tenant's first namespace) on
  every cluster of its tenant.

Naming conventions, documented in docs/mesh-and-apis.md and relied on by the
authorization policies: a service's pods carry ``app.kubernetes.io/name: <service>``
(and ``version: <version>`` per version, as the spec says) and run as the
ServiceAccount named after the service, so its mesh identity (SPIFFE principal) is
``cluster.local/ns/<namespace>/sa/<service>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from stackyard.plan import ClusterPlan
from stackyard.plan.settings import cluster_facts
from stackyard.render.context import RenderContext

TRUST_DOMAIN = "cluster.local"
"""Istio's default trust domain, written out in istiod's mesh config and every principal."""
NAME_LABEL = "app.kubernetes.io/name"
VERSION_LABEL = "version"
CONTROL_PLANE = "istiod"
WAYPOINT = "waypoint"
"""The name of each mesh namespace's waypoint Gateway (and of its ServiceAccount)."""
API_GATEWAY_CAPABILITY = "api-gateway"
ROLLOUT_LABEL = "rollouts.argoproj.io/gatewayapi-canary"
"""The label Argo Rollouts' Gateway API plugin puts on a route while a canary runs."""

Mode = Literal["ambient", "sidecar"]
Protocol = Literal["http", "grpc", "tcp"]


@dataclass(frozen=True)
class Port:
    """One port of a declared service."""

    name: str
    port: int
    protocol: Protocol


@dataclass(frozen=True)
class Version:
    """One version of a service: a weight (canary) or a header/cookie match (A/B)."""

    name: str
    weight: int | None
    headers: tuple[tuple[str, str], ...]
    cookie: str | None


@dataclass(frozen=True)
class MeshService:
    """A tenant's declared service, resolved to its namespace and callers' principals."""

    name: str
    tenant: str
    namespace: str
    ports: tuple[Port, ...]
    callers: tuple[str, ...]
    """Principals of the services allowed to call this one."""
    versions: tuple[Version, ...]
    rollout: bool
    timeout: str | None
    retry_attempts: int | None
    retry_per_try_timeout: str | None
    api_target: bool
    """An entry of ``apis`` routes to this service through the API gateway."""

    @property
    def service_account(self) -> str:
        """The ServiceAccount its pods run as: the service's name (module docs)."""
        return self.name

    @property
    def http(self) -> bool:
        """Whether some port speaks HTTP or gRPC, so L7 routing applies."""
        return any(port.protocol != "tcp" for port in self.ports)

    def version_service(self, version: str) -> str:
        """The Service of one version: ``<service>-<version>``."""
        return f"{self.name}-{version}"


@dataclass(frozen=True)
class MeshScope:
    """The mesh on one cluster: its mode, mTLS mode and member namespaces."""

    mode: Mode
    mtls: Literal["strict", "permissive"]
    namespaces: tuple[str, ...]
    services: tuple[MeshService, ...]

    def services_in(self, namespace: str) -> list[MeshService]:
        """The declared services of one namespace, by name."""
        return sorted((s for s in self.services if s.namespace == namespace), key=_name)


def _name(service: MeshService) -> str:
    return service.name


def principal(namespace: str, service_account: str) -> str:
    """The SPIFFE principal Istio gives a workload: ``<trust domain>/ns/<ns>/sa/<sa>``."""
    return f"{TRUST_DOMAIN}/ns/{namespace}/sa/{service_account}"


def mesh_scope(context: RenderContext, cluster: ClusterPlan) -> MeshScope | None:
    """The mesh on ``cluster``, or None where it is off (see the module docs)."""
    return context.derived(_scopes).get(cluster.name)


def _scopes(context: RenderContext) -> dict[str, MeshScope]:
    """The mesh of every cluster where it is on, computed once per render."""
    scopes = {}
    for cluster in context.plan.clusters:
        scope = _scope(context, cluster)
        if scope is not None:
            scopes[cluster.name] = scope
    return scopes


def _scope(context: RenderContext, cluster: ClusterPlan) -> MeshScope | None:
    mesh = context.platform.mesh
    in_mesh = cluster_facts(context.platform, cluster.cluster).inMesh.value
    if not mesh.enabled or not in_mesh or not cluster.has(CONTROL_PLANE):
        return None
    namespaces: list[str] = []
    for tenant in context.platform.tenants:
        joins = mesh.tenants is None or tenant.name in mesh.tenants
        if joins and cluster.name in tenant.clusters:
            namespaces += tenant.namespaces or [tenant.name]
    namespaces += mesh.namespaces
    services = tuple(
        s for s in declared_services(context, cluster) if s.namespace in set(namespaces)
    )
    return MeshScope(mesh.mode, mesh.mtls, tuple(dict.fromkeys(namespaces)), services)


def declared_services(context: RenderContext, cluster: ClusterPlan) -> list[MeshService]:
    """Every declared service whose tenant runs on ``cluster``."""
    platform = context.platform
    tenants = {tenant.name: tenant for tenant in platform.tenants}
    homes: dict[tuple[str, str], str] = {}
    for service in platform.services:
        tenant = tenants[service.tenant]
        homes[(service.tenant, service.name)] = (
            service.namespace or (tenant.namespaces or [tenant.name])[0]
        )
    targets = {(api.tenant, api.service) for api in platform.apis}
    found = []
    for service in platform.services:
        if cluster.name not in tenants[service.tenant].clusters:
            continue
        callers = []
        for caller in service.callers:
            owner, _, name = caller.rpartition("/")
            callers.append(principal(homes[(owner or service.tenant, name)], name))
        found.append(
            MeshService(
                name=service.name,
                tenant=service.tenant,
                namespace=homes[(service.tenant, service.name)],
                ports=tuple(Port(p.name, p.port, p.protocol) for p in service.ports),
                callers=tuple(sorted(set(callers))),
                versions=tuple(
                    Version(
                        v.name,
                        v.weight,
                        tuple(sorted(v.match.headers.items())) if v.match else (),
                        v.match.cookie if v.match else None,
                    )
                    for v in service.versions
                ),
                rollout=service.rollout,
                timeout=service.timeout,
                retry_attempts=service.retries.attempts if service.retries else None,
                retry_per_try_timeout=service.retries.perTryTimeout if service.retries else None,
                api_target=(service.tenant, service.name) in targets,
            )
        )
    return found


def api_gateway_namespaces(context: RenderContext, cluster: ClusterPlan) -> list[str]:
    """Namespaces of the API gateways running on ``cluster`` (catalog ``api-gateway``)."""
    return sorted(
        {
            planned.component.namespace
            for planned in cluster.components
            if API_GATEWAY_CAPABILITY in planned.component.provides
        }
    )


def mesh_gateway_namespaces(context: RenderContext, cluster: ClusterPlan) -> list[str]:
    """Namespaces of the cluster's ingress gateways that are part of the mesh.

    A Gateway API implementation (catalog ``gatewayClass``) is in the mesh when it needs
    the ``service-mesh`` capability: Istio's gateway has an Istio identity and speaks
    mTLS; Cilium's does not, so admitting its namespace would admit nothing.
    """
    return sorted(
        {
            planned.component.namespace
            for planned in cluster.components
            if planned.component.gatewayClass is not None
            and any(need.capability == "service-mesh" for need in planned.component.needs)
        }
    )

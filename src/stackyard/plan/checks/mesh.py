"""Checks on the service mesh and on how tenants' services route their traffic.

Each encodes an Istio pitfall that otherwise shows only at run time: Cilium settings
that silently bypass the mesh's redirection, ambient mode without its node agents,
STRICT mTLS refusing callers outside the mesh, canaries that nothing measures or
moves, and retries the installed Gateway API cannot express.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from stackyard.findings import Finding
from stackyard.plan.checks.base import CheckContext, Emit, check
from stackyard.plan.model import ClusterPlan, SpecPath
from stackyard.plan.settings import cluster_facts
from stackyard.spec import Platform, Service
from stackyard.spec.units import parse_quantity

CILIUM = "cilium"
ISTIO_CNI = "istio-cni"
ZTUNNEL = "ztunnel"
CILIUM_ISTIO_DOCS = "https://docs.cilium.io/en/latest/network/servicemesh/istio/"
# Cilium values Istio needs, by dotted key: (the value it needs, what the other one breaks).
_CILIUM_FOR_ISTIO: Mapping[tuple[str, ...], tuple[bool, str]] = {
    ("cni", "exclusive"): (
        False,
        "Cilium then removes the Istio CNI plugin's configuration, so pods start without "
        "the mesh's redirection",
    ),
    ("socketLB", "hostNamespaceOnly"): (
        True,
        "Cilium's socket load balancing then sends pods' connections straight to backend "
        "pods, past the mesh's proxies (no mTLS, no routing, no policy)",
    ),
}


def in_mesh(platform: Platform, service: Service) -> bool:
    """Whether ``service`` runs in a namespace of the mesh."""
    if not platform.mesh.enabled:
        return False
    tenants = {t.name for t in platform.mesh_tenants}
    return (
        service.tenant in tenants or platform.service_namespace(service) in platform.mesh.namespaces
    )


@check("SY801", "Cilium values that break Istio", "error")
def cilium_beside_istio(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Cilium values that break Istio.

    Where Istio's CNI node agent runs beside Cilium, Cilium's documentation for Istio
    (https://docs.cilium.io/en/latest/network/servicemesh/istio/) requires
    ``cni.exclusive: false`` (else Cilium removes the Istio CNI plugin's configuration)
    and ``socketLB.hostNamespaceOnly: true`` (else, with kube-proxy replacement, socket
    load balancing sends connections straight to backend pods, past the mesh). Render
    writes both on those clusters; this check fires where a component override of
    Cilium sets them otherwise, since the override would win.
    """
    platform = context.platform
    for plan in context.clusters:
        if not (plan.has(CILIUM) and plan.has(ISTIO_CNI)):
            continue
        for path, values in _cilium_overrides(platform, plan):
            for keys, (needed, breaks) in _CILIUM_FOR_ISTIO.items():
                value = _dig(values, keys)
                if value is None or value == needed:
                    continue
                dotted = ".".join(keys)
                yield emit(
                    f"{dotted} is {value!r} beside Istio's CNI node agent: {breaks}",
                    (*path, *keys),
                    hint=f"set {dotted}: {str(needed).lower()} or remove the override "
                    f"(see {CILIUM_ISTIO_DOCS})",
                    cluster=plan.name,
                )


def _cilium_overrides(
    platform: Platform, plan: ClusterPlan
) -> Iterator[tuple[SpecPath, Mapping[str, Any]]]:
    shared = platform.components.get(CILIUM)
    if shared is not None and shared.values:
        yield ("components", CILIUM, "values"), shared.values
    local = plan.cluster.components.get(CILIUM)
    if local is not None and local.values:
        yield ("clusters", plan.index, "components", CILIUM, "values"), local.values


def _dig(values: Mapping[str, Any], keys: tuple[str, ...]) -> object:
    node: object = values
    for key in keys:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


@check("SY802", "Mesh without its node agents", "error")
def mesh_node_agents(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Mesh without its node agents.

    Ambient mode has no sidecars: Istio's CNI node agent redirects each mesh pod's
    traffic to ztunnel, the node proxy that carries its mTLS
    (https://istio.io/latest/docs/ambient/architecture/data-plane/). Without either on a
    cluster of the mesh, its pods talk in plain text or not at all. In sidecar mode
    without the CNI agent, each pod needs the ``istio-init`` container with NET_ADMIN and
    NET_RAW, which Pod Security ``baseline`` refuses
    (https://istio.io/latest/docs/setup/additional-setup/pod-security-admission/).
    """
    mode = context.settings.mesh.mode.value
    if mode == "none":
        return
    needed = [ISTIO_CNI, ZTUNNEL] if mode == "ambient" else [ISTIO_CNI]
    for plan in context.clusters:
        if not cluster_facts(context.platform, plan.cluster).inMesh.value:
            continue
        for name in needed:
            if plan.has(name):
                continue
            decision = plan.decision(name)
            path = decision.path if decision and decision.path else ("mesh", "mode")
            yield emit(
                f"{mode} mode needs {name} on every cluster of the mesh, and it does not run "
                f"here ({decision.reason if decision else 'not in the catalog'})",
                path,
                hint=f"remove the override that disables {name}",
                cluster=plan.name,
            )


@check("SY803", "STRICT mTLS with callers outside the mesh", "error")
def strict_mtls_callers(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """STRICT mTLS with callers outside the mesh.

    With ``mesh.mtls: strict`` the services of the mesh accept mutual TLS only
    (PeerAuthentication STRICT, https://istio.io/latest/docs/concepts/security/#peer-authentication),
    and a workload outside the mesh has no certificate to present: its requests are
    reset. A declared caller of a mesh service whose tenant does not join the mesh
    cannot call it.
    """
    platform = context.platform
    if not platform.mesh.enabled or platform.mesh.mtls != "strict":
        return
    for index, service in enumerate(platform.services):
        if not in_mesh(platform, service):
            continue
        for c_index, caller in enumerate(service.callers):
            owner, _, name = caller.rpartition("/")
            calling = platform.service(owner or service.tenant, name)
            if calling is None or in_mesh(platform, calling):
                continue
            yield emit(
                f"{caller} calls {service.tenant}/{service.name} from outside the mesh, "
                "and STRICT mTLS refuses plain-text requests",
                ("services", index, "callers", c_index),
                hint=f"add tenant {calling.tenant} to mesh.tenants, or set mesh.mtls: "
                "permissive while it migrates",
            )


@check("SY804", "Canary without metrics", "warning")
def canary_metrics(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Canary without metrics.

    A canary (versions with weights, or ``rollout: true``) is only as safe as what tells
    a good version from a bad one: request success rates and latencies per version, which
    Istio exports to Prometheus. Without Prometheus or a metrics store in the plan,
    nobody (and no Argo Rollouts analysis) can judge the canary before it takes all
    traffic.
    """
    providers = {c.name for c in context.catalog.providers_of("metrics")}
    providers |= {c.name for c in context.catalog.providers_of("metrics-store")}
    if any(plan.has(name) for plan in context.clusters for name in providers):
        return
    for index, service in enumerate(context.platform.services):
        if service.canary:
            field = "rollout" if service.rollout else "versions"
            yield emit(
                f"{service.tenant}/{service.name} is a canary, but no Prometheus or metrics "
                "store runs to measure its versions",
                ("services", index, field),
                hint="run Prometheus (or the metrics store) or split traffic by match (A/B)",
            )


@check("SY805", "Rollout without Argo Rollouts", "error")
def rollout_controller(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Rollout without Argo Rollouts.

    ``rollout: true`` hands a service's weights to Argo Rollouts, which moves them step
    by step through its Gateway API traffic-router plugin. Where the controller does not
    run on the service's clusters, nothing moves the weights and the canary never
    progresses.
    """
    platform = context.platform
    controllers = {c.name for c in context.catalog.providers_of("progressive-delivery")}
    for index, service in enumerate(platform.services):
        if not service.rollout:
            continue
        tenant = platform.tenant(service.tenant)
        clusters = [c for c in context.clusters if tenant and c.name in tenant.clusters]
        missing = [c.name for c in clusters if not any(c.has(n) for n in controllers)]
        if missing:
            yield emit(
                f"{service.tenant}/{service.name} has rollout: true, but Argo Rollouts does "
                f"not run on {', '.join(missing)}",
                ("services", index, "rollout"),
                hint="set components.argo-rollouts.enabled: true",
            )


ISTIO_DEFAULT_RETRIES = 2
"""Retries Istio's default retry policy makes (on connection failures, refused streams and
503s), https://istio.io/latest/docs/concepts/traffic-management/#retries."""


@check("SY809", "Retries that are not rendered", "warning")
def retries_not_rendered(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Retries that are not rendered.

    A service's routes are Gateway API HTTPRoutes, and HTTPRoute's ``retry`` field is in
    the Gateway API's experimental channel only (v1.6, GEP-1731), while the platform
    installs the standard channel, whose CRDs do not accept it. So ``retries.attempts``
    is not rendered (``retries.perTryTimeout`` is: ``timeouts.backendRequest``). In the
    mesh Istio's default retry policy applies instead (2 retries); outside the mesh no
    proxy retries at all. The check fires when that differs from what the spec asks.
    """
    platform = context.platform
    for index, service in enumerate(platform.services):
        if service.retries is None:
            continue
        attempts = service.retries.attempts
        if in_mesh(platform, service):
            if attempts == ISTIO_DEFAULT_RETRIES:
                continue
            applies = (
                f"Istio's default retry policy ({ISTIO_DEFAULT_RETRIES} retries on connection "
                "failures and 503) applies instead"
            )
        else:
            applies = "the service is outside the mesh, so no proxy retries its requests"
        yield emit(
            f"{service.tenant}/{service.name} asks for {attempts} retries, which are not "
            "rendered: HTTPRoute retries are in the Gateway API's experimental channel only "
            f"and the platform installs the standard channel; {applies}",
            ("services", index, "retries", "attempts"),
            hint=(
                "let your client retry, or accept Istio's default "
                f"(retries.attempts: {ISTIO_DEFAULT_RETRIES})"
            ),
        )


@check("SY810", "Tenant quota without room for the waypoint", "error")
def waypoint_quota(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Tenant quota without room for the waypoint.

    In ambient mode each mesh namespace with an HTTP or gRPC service runs a waypoint
    proxy, a pod in that namespace which counts against the tenant's ResourceQuota like
    any other (the quota's ``cpu`` and ``memory`` bound both requests and limits). Its
    requests and limits are the catalog's ``namespaceProxy`` figures, which render sets in
    istiod's values (``global.waypoint.resources``). A quota below them rejects the
    waypoint, and every request to the namespace's services fails; a quota the waypoint
    takes more than half of leaves the services little (a warning).
    """
    platform = context.platform
    if context.settings.mesh.mode.value != "ambient":
        return
    namespaces_with_waypoint = {
        (service.tenant, platform.service_namespace(service))
        for service in platform.services
        if in_mesh(platform, service) and any(p.protocol != "tcp" for p in service.ports)
    }
    for index, tenant in enumerate(platform.tenants):
        if not tenant.quota:
            continue
        namespaces = sorted(ns for owner, ns in namespaces_with_waypoint if owner == tenant.name)
        if not namespaces:
            continue
        proxies = {
            planned.component.name: planned.component.namespaceProxy
            for plan in context.clusters
            if plan.name in tenant.clusters and cluster_facts(platform, plan.cluster).inMesh.value
            for planned in plan.components
            if planned.component.namespaceProxy is not None
        }
        for name, proxy in sorted(proxies.items()):
            if proxy is None:
                continue
            for key, quota in sorted(tenant.quota.items()):
                room = parse_quantity(quota)
                asked = max(
                    parse_quantity(getattr(proxy.requests, key)),
                    parse_quantity(getattr(proxy.limits, key)),
                )
                limit = getattr(proxy.limits, key)
                noun = "namespace" if len(namespaces) == 1 else "namespaces"
                where = f"{tenant.name}'s {noun} {', '.join(namespaces)}"
                if asked > room:
                    yield emit(
                        f"the waypoint {name} starts in {where} has a {key} limit of {limit}, "
                        f"more than the tenant quota of {quota}: the quota rejects it",
                        ("tenants", index, "quota", key),
                        hint=f"raise the quota's {key} above {limit} plus the services' share",
                    )
                elif asked > room / 2:
                    yield emit(
                        f"the waypoint {name} starts in {where} takes a {key} limit of {limit} "
                        f"of the tenant quota of {quota}, leaving the services less than half",
                        ("tenants", index, "quota", key),
                        severity="warning",
                        hint=f"raise the quota's {key}",
                    )

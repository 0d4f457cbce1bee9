"""mTLS and authorization in every mesh namespace, and a waypoint where L7 is needed.

Per mesh namespace (:mod:`stackyard.render.meshmodel` says which), synced with istiod's
Application after the chart, so the CRDs and the validating webhook exist:

- PeerAuthentication ``default``: the spec's ``mesh.mtls`` (STRICT or PERMISSIVE) for
  every workload of the namespace.
- AuthorizationPolicy ``default-deny``: an empty spec, which Istio reads as "allow
  nothing" for every workload of the namespace
  (https://istio.io/latest/docs/reference/config/security/authorization-policy/).
- AuthorizationPolicy ``allow-<service>`` per declared service: its declared callers by
  principal (``cluster.local/ns/<ns>/sa/<service>``), the mesh's ingress gateways by
  namespace, and the API gateways by namespace when an ``apis`` entry targets it. With no
  caller at all it allows nothing.

Ambient mode puts L7 (HTTP routing, retries, HTTP-aware policy) in a waypoint proxy: a
Gateway ``waypoint`` of class ``istio-waypoint`` in each namespace with an HTTP or gRPC
service. Only the declared HTTP services use it (their Services carry
``istio.io/use-waypoint``, rendered in :mod:`.meshservices`), not the whole namespace:
a namespace label would send every other Service through a waypoint that holds no
policy for it, opening them. Traffic through a waypoint reaches ztunnel with the
waypoint's identity, so each such namespace also allows the waypoint's principal at
ztunnel, and the per-service policy attaches to the Service (``targetRefs``) for the
waypoint to enforce with the real caller's identity
(https://istio.io/latest/docs/ambient/usage/l7-features/). Sidecar mode and TCP-only
services select their pods (``app.kubernetes.io/name``) instead.

Tenant namespaces deny traffic by NetworkPolicy except within the tenant; a NetworkPolicy
``allow-mesh`` in each mesh namespace adds what the mesh needs: egress to istiod's xDS
and CA port (sidecars and waypoints), traffic between a service's namespace and its
callers' and API gateways' namespaces, and in ambient mode the kubelet's probes, which
ztunnel sends from 169.254.7.127
(https://istio.io/latest/docs/ambient/usage/networkpolicy/).
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.plan import ClusterPlan
from stackyard.render.context import LABEL_PREFIX, RenderContext
from stackyard.render.manifests.base import AFTER_CHART, Placed, in_wave
from stackyard.render.meshmodel import (
    CONTROL_PLANE,
    NAME_LABEL,
    WAYPOINT,
    MeshScope,
    MeshService,
    api_gateway_namespaces,
    mesh_gateway_namespaces,
    mesh_scope,
    principal,
)
from stackyard.render.tree import Manifest

SECURITY = "security.istio.io/v1"
WAYPOINT_CLASS = "istio-waypoint"
HBONE_PORT = 15008
XDS_PORT = 15012
PROBE_SOURCE = "169.254.7.127/32"


def uses_waypoint(scope: MeshScope, service: MeshService) -> bool:
    """Whether ``service``'s traffic goes through its namespace's waypoint."""
    return scope.mode == "ambient" and service.http


def waypoint_namespaces(scope: MeshScope) -> list[str]:
    """Mesh namespaces that get a waypoint (ambient mode, an HTTP or gRPC service)."""
    return [
        ns for ns in scope.namespaces if any(uses_waypoint(scope, s) for s in scope.services_in(ns))
    ]


def _labels(context: RenderContext) -> dict[str, str]:
    return {f"{LABEL_PREFIX}/platform": context.platform.name}


def peer_authentication(context: RenderContext, scope: MeshScope, namespace: str) -> Manifest:
    """The namespace-wide mTLS mode."""
    return {
        "apiVersion": SECURITY,
        "kind": "PeerAuthentication",
        "metadata": {"name": "default", "namespace": namespace, "labels": _labels(context)},
        "spec": {"mtls": {"mode": scope.mtls.upper()}},
    }


def default_deny(context: RenderContext, namespace: str) -> Manifest:
    """Allow nothing to any workload of the namespace unless another policy allows it."""
    return {
        "apiVersion": SECURITY,
        "kind": "AuthorizationPolicy",
        "metadata": {"name": "default-deny", "namespace": namespace, "labels": _labels(context)},
        "spec": {},
    }


def allow_waypoint(context: RenderContext, namespace: str) -> Manifest:
    """Let the namespace's waypoint through ztunnel; the waypoint enforces the rest."""
    return {
        "apiVersion": SECURITY,
        "kind": "AuthorizationPolicy",
        "metadata": {"name": "allow-waypoint", "namespace": namespace, "labels": _labels(context)},
        "spec": {
            "action": "ALLOW",
            "rules": [{"from": [{"source": {"principals": [principal(namespace, WAYPOINT)]}}]}],
        },
    }


def allow_service(
    context: RenderContext, cluster: ClusterPlan, scope: MeshScope, service: MeshService
) -> Manifest:
    """Who may call ``service``: its callers and the gateways in front of it."""
    sources: list[Manifest] = []
    if service.callers:
        sources.append({"source": {"principals": list(service.callers)}})
    gateways = set(mesh_gateway_namespaces(context, cluster))
    if service.api_target:
        gateways.update(api_gateway_namespaces(context, cluster))
    if gateways:
        sources.append({"source": {"namespaces": sorted(gateways)}})
    spec: Manifest = {}
    if uses_waypoint(scope, service):
        spec["targetRefs"] = [{"group": "", "kind": "Service", "name": service.name}]
    else:
        spec["selector"] = {"matchLabels": {NAME_LABEL: service.name}}
    spec["action"] = "ALLOW"
    # An ALLOW policy without rules matches nothing: the service accepts no caller.
    if sources:
        spec["rules"] = [{"from": sources}]
    return {
        "apiVersion": SECURITY,
        "kind": "AuthorizationPolicy",
        "metadata": {
            "name": f"allow-{service.name}",
            "namespace": service.namespace,
            "labels": _labels(context),
        },
        "spec": spec,
    }


def waypoint(context: RenderContext, namespace: str) -> Manifest:
    """The namespace's waypoint proxy, for the Services that name it."""
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {
            "name": WAYPOINT,
            "namespace": namespace,
            # Service traffic only: workload-addressed traffic stays on ztunnel.
            "labels": {**_labels(context), "istio.io/waypoint-for": "service"},
        },
        "spec": {
            "gatewayClassName": WAYPOINT_CLASS,
            "listeners": [{"name": "mesh", "port": HBONE_PORT, "protocol": "HBONE"}],
        },
    }


def _namespace_peer(namespace: str) -> Manifest:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}


def allow_mesh(
    context: RenderContext, cluster: ClusterPlan, scope: MeshScope, namespace: str
) -> Manifest:
    """NetworkPolicy for the mesh's own paths into and out of ``namespace``."""
    control = context.component(CONTROL_PLANE).namespace
    egress: list[Manifest] = [
        {"to": [_namespace_peer(control)], "ports": [{"protocol": "TCP", "port": XDS_PORT}]}
    ]
    callers_in: set[str] = set()
    for service in scope.services_in(namespace):
        callers_in.update(caller.split("/")[2] for caller in service.callers)
        if service.api_target:
            callers_in.update(api_gateway_namespaces(context, cluster))
    callees = {
        service.namespace
        for service in scope.services
        if any(caller.split("/")[2] == namespace for caller in service.callers)
    }
    callers_in.discard(namespace)
    callees.discard(namespace)
    if callees:
        egress.append({"to": [_namespace_peer(ns) for ns in sorted(callees)]})
    ingress: list[Manifest] = []
    if callers_in:
        ingress.append({"from": [_namespace_peer(ns) for ns in sorted(callers_in)]})
    if scope.mode == "ambient":
        ingress.append({"from": [{"ipBlock": {"cidr": PROBE_SOURCE}}]})
    spec: Manifest = {"podSelector": {}}
    if ingress:
        spec["ingress"] = ingress
    spec["egress"] = egress
    spec["policyTypes"] = ["Ingress", "Egress"] if ingress else ["Egress"]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "allow-mesh", "namespace": namespace, "labels": _labels(context)},
        "spec": spec,
    }


def namespace_objects(
    context: RenderContext, cluster: ClusterPlan, scope: MeshScope, namespace: str
) -> list[Manifest]:
    """Every mesh object of one namespace, policies first."""
    objects = [peer_authentication(context, scope, namespace), default_deny(context, namespace)]
    with_waypoint = namespace in waypoint_namespaces(scope)
    if with_waypoint:
        objects.append(allow_waypoint(context, namespace))
    objects += [allow_service(context, cluster, scope, s) for s in scope.services_in(namespace)]
    if with_waypoint:
        objects.append(waypoint(context, namespace))
    objects.append(allow_mesh(context, cluster, scope, namespace))
    return objects


def mesh_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """mTLS, authorization and waypoints per mesh namespace, with istiod's Application."""
    scope = mesh_scope(context, cluster)
    if scope is None:
        return
    for namespace in scope.namespaces:
        objects = namespace_objects(context, cluster, scope, namespace)
        yield Placed(
            CONTROL_PLANE, f"mesh-{namespace}.yaml", [in_wave(o, AFTER_CHART) for o in objects]
        )

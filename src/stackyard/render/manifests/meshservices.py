"""Tenants' declared services: their Services, ServiceAccounts and mesh routes.

For every ``services`` entry whose tenant runs on the cluster, in its namespace:

- a ServiceAccount named after the service: its pods run as it, so its mesh identity is
  ``cluster.local/ns/<ns>/sa/<service>`` (:mod:`stackyard.render.meshmodel`);
- the Service ``<service>`` selecting ``app.kubernetes.io/name: <service>``, with each
  port's ``appProtocol`` so Istio knows HTTP from gRPC and TCP without guessing;
- a Service per version, ``<service>-<version>``, adding the pod label ``version``;
  with ``rollout: true`` instead ``<service>-stable`` and ``<service>-canary``, whose
  selectors Argo Rollouts completes with its pod-template hash.

These sync with the namespaces (``platform-base``): they are core objects the tenant's
own Deployment or Rollout relies on. The user owns the workloads.

Where the mesh is on, a service with versions, a timeout or retries also gets an
HTTPRoute per HTTP or gRPC port whose parent is the Service itself (the Gateway API's
GAMMA mesh routing, which Istio recommends for ambient mode and waypoints:
https://istio.io/latest/docs/tasks/traffic-management/traffic-shifting/): weights per
version (a canary), or a rule per version matching its headers or its cookie (A/B) in
front of the default rule. ``timeout`` is ``timeouts.request`` and ``retries.perTryTimeout``
``timeouts.backendRequest``, both in the standard channel. ``retries.attempts`` is not
rendered: HTTPRoute's ``retry`` is in the experimental channel only (Gateway API v1.6,
GEP-1731) and the platform installs the standard one, so Istio's default retry policy
applies. With ``rollout: true`` the route starts at stable 100 / canary 0 and Argo
Rollouts' Gateway API plugin moves the weights; the route is labelled for Argo CD to
ignore those moves (:mod:`stackyard.render.valuebuilders.mesh`).
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.plan import ClusterPlan
from stackyard.render.context import LABEL_PREFIX, RenderContext
from stackyard.render.manifests.base import AFTER_CHART, BASE_GROUP, Placed, in_wave
from stackyard.render.manifests.mesh import uses_waypoint
from stackyard.render.meshmodel import (
    CONTROL_PLANE,
    NAME_LABEL,
    VERSION_LABEL,
    WAYPOINT,
    MeshScope,
    MeshService,
    Port,
    declared_services,
    mesh_scope,
)
from stackyard.render.tree import Manifest
from stackyard.spec.units import parse_duration

STABLE = "stable"
CANARY = "canary"
FULL_WEIGHT = 100


def gateway_duration(text: str) -> str:
    """A spec duration in the Gateway API's spelling (``10s``, ``1500ms``)."""
    seconds = parse_duration(text)
    if seconds == int(seconds):
        return f"{int(seconds)}s"
    return f"{round(seconds * 1000)}ms"


def _labels(context: RenderContext, service: MeshService) -> dict[str, str]:
    return {
        f"{LABEL_PREFIX}/platform": context.platform.name,
        f"{LABEL_PREFIX}/tenant": service.tenant,
        NAME_LABEL: service.name,
    }


def version_names(service: MeshService) -> list[str]:
    """The versions that get a Service of their own."""
    if service.rollout:
        return [STABLE, CANARY]
    return [v.name for v in service.versions]


def service_account(context: RenderContext, service: MeshService) -> Manifest:
    """The identity the service's pods run as."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {
            "name": service.service_account,
            "namespace": service.namespace,
            "labels": _labels(context, service),
        },
    }


def _port(port: Port) -> Manifest:
    return {
        "name": port.name,
        "port": port.port,
        "targetPort": port.port,
        "protocol": "TCP",
        "appProtocol": port.protocol,
    }


def service_object(
    context: RenderContext,
    scope: MeshScope | None,
    service: MeshService,
    version: str | None = None,
) -> Manifest:
    """The Service of ``service``, or of one of its versions."""
    labels = _labels(context, service)
    selector = {NAME_LABEL: service.name}
    name = service.name
    if version is not None:
        name = service.version_service(version)
        if not service.rollout:
            selector[VERSION_LABEL] = version
    elif scope is not None and uses_waypoint(scope, service):
        # Through the namespace's waypoint, also from the ingress gateway:
        # https://istio.io/latest/docs/ambient/usage/waypoint/
        labels["istio.io/use-waypoint"] = WAYPOINT
        labels["istio.io/ingress-use-waypoint"] = "true"
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": service.namespace, "labels": labels},
        "spec": {"selector": selector, "ports": [_port(p) for p in service.ports]},
    }


def routed(service: MeshService) -> bool:
    """Whether the service needs a mesh route (versions, timeout or retries)."""
    return service.http and bool(
        service.versions or service.rollout or service.timeout or service.retry_per_try_timeout
    )


def _backend(service: MeshService, version: str, port: Port, weight: int | None) -> Manifest:
    ref: Manifest = {"name": service.version_service(version), "port": port.port}
    if weight is not None:
        ref["weight"] = weight
    return ref


def _timeouts(service: MeshService) -> Manifest:
    timeouts: Manifest = {}
    if service.timeout:
        timeouts["request"] = gateway_duration(service.timeout)
    per_try = service.retry_per_try_timeout
    # The API requires backendRequest <= request; a longer per-try timeout is moot.
    if per_try and (
        not service.timeout or parse_duration(per_try) <= parse_duration(service.timeout)
    ):
        timeouts["backendRequest"] = gateway_duration(per_try)
    return timeouts


def _cookie_match(cookie: str) -> Manifest:
    """A header match on ``Cookie`` for one ``name=value`` pair, wherever it sits."""
    name, _, value = cookie.partition("=")
    pattern = f"(^|.*;\\s*){_escape(name)}={_escape(value)}(;.*|$)"
    return {"type": "RegularExpression", "name": "Cookie", "value": pattern}


def _escape(text: str) -> str:
    return "".join(f"\\{c}" if c in r".^$*+?()[]{}|\/" else c for c in text)


def route_rules(service: MeshService, port: Port) -> list[Manifest]:
    """A/B rules first (headers, cookie), then the default rule (weights or the rest)."""
    rules: list[Manifest] = []
    timeouts = _timeouts(service)
    default: list[Manifest] = []
    if service.rollout:
        default = [
            _backend(service, STABLE, port, FULL_WEIGHT),
            _backend(service, CANARY, port, 0),
        ]
    else:
        for version in service.versions:
            if version.headers or version.cookie:
                headers = [
                    {"type": "Exact", "name": name, "value": value}
                    for name, value in version.headers
                ]
                if version.cookie:
                    headers.append(_cookie_match(version.cookie))
                rules.append(
                    {
                        "matches": [{"headers": headers}],
                        "backendRefs": [_backend(service, version.name, port, None)],
                    }
                )
            else:
                default.append(_backend(service, version.name, port, version.weight))
    if not default:
        default = [{"name": service.name, "port": port.port}]
    rules.append({"backendRefs": default})
    if timeouts:
        for rule in rules:
            rule["timeouts"] = dict(timeouts)
    return rules


def http_routes(context: RenderContext, service: MeshService) -> list[Manifest]:
    """One mesh HTTPRoute per HTTP or gRPC port, parented by the Service (GAMMA)."""
    ports = [p for p in service.ports if p.protocol != "tcp"]
    routes = []
    for port in ports:
        name = service.name if len(ports) == 1 else f"{service.name}-{port.name}"
        labels = _labels(context, service)
        route: Manifest = {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": service.namespace, "labels": labels},
            "spec": {
                "parentRefs": [
                    {"group": "", "kind": "Service", "name": service.name, "port": port.port}
                ],
                "rules": route_rules(service, port),
            },
        }
        routes.append(route)
    return routes


def service_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """Services and ServiceAccounts of the declared services; their mesh routes."""
    services = declared_services(context, cluster)
    if not services:
        return
    scope = mesh_scope(context, cluster)
    members = set(scope.namespaces) if scope is not None else set()
    objects: list[Manifest] = []
    routes: list[Manifest] = []
    for service in sorted(services, key=lambda s: (s.namespace, s.name)):
        in_mesh = scope if service.namespace in members else None
        objects.append(service_account(context, service))
        objects.append(service_object(context, in_mesh, service))
        objects += [service_object(context, in_mesh, service, v) for v in version_names(service)]
        if in_mesh is not None and routed(service):
            routes += http_routes(context, service)
    yield Placed(BASE_GROUP, "services.yaml", objects)
    if routes:
        yield Placed(CONTROL_PLANE, "mesh-routes.yaml", [in_wave(r, AFTER_CHART) for r in routes])

"""Routes from the cluster's Gateway to the platform services other clusters and people use.

Every public name the values point at (``https://<host>.<domain>``: remote-write,
log push, traces, object storage, SSO, the UIs) must resolve to a route on the
Gateway of the cluster that runs the service, or app clusters cannot reach mgmt. Each
route lives in its service's namespace and syncs with that component's Application.

Vault terminates TLS itself (its certificate carries ``vault.<domain>``, see ``pki``),
so it is reached through a TLS passthrough listener and a TLSRoute rather than an
HTTPRoute that would re-encrypt with an unknown CA.

Where the platform runs ingress-nginx instead of a Gateway (the seeds' dual ingress),
the same routes become Ingresses: on the internal class when the internal controller
runs (platform endpoints are for operators and other clusters, not the internet),
else on the public one, with TLS from cert-manager; Vault is proxied over HTTPS.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from stackyard.plan import ClusterPlan
from stackyard.render.context import RenderContext
from stackyard.render.manifests.base import AFTER_CHART, Placed, in_wave
from stackyard.render.manifests.loadbalancing import (
    GATEWAY,
    VAULT_LISTENER,
    gateway_components,
    gateway_domain,
)
from stackyard.render.manifests.pki import platform_issuer
from stackyard.render.tree import Manifest

VAULT_PORT = 8200


@dataclass(frozen=True)
class Route:
    """One public host served by one Service of a component."""

    component: str
    host: str
    service: str
    port: int


def routes(context: RenderContext, cluster: ClusterPlan) -> list[Route]:
    """Every HTTP route the cluster's Gateway carries, one per public host.

    The hosts are the catalog's: each running component's ``endpoints`` (a push and a
    query endpoint may share a host) and its ``ui``.
    """
    found: dict[str, Route] = {}
    for planned in cluster.components:
        component = planned.component
        for endpoint in component.endpoints:
            found[endpoint.host] = Route(
                component.name, endpoint.host, endpoint.service, endpoint.port
            )
        if component.ui is not None:
            ui = component.ui
            found.setdefault(ui.host, Route(component.name, ui.host, ui.service, ui.port))
    return [found[host] for host in sorted(found)]


def gateway_namespace(context: RenderContext, cluster: ClusterPlan) -> str | None:
    """Namespace of the cluster's Gateway, or None when the cluster has none."""
    for component in gateway_components(context, cluster):
        return component.namespace
    return None


def http_route(
    context: RenderContext, cluster: ClusterPlan, route: Route, namespace: str
) -> Manifest:
    """An HTTPRoute for ``route`` on the HTTPS listener of the platform Gateway."""
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": route.host, "namespace": context.component(route.component).namespace},
        "spec": {
            "parentRefs": [{"name": GATEWAY, "namespace": namespace, "sectionName": "https"}],
            "hostnames": [f"{route.host}.{gateway_domain(context, cluster)}"],
            "rules": [{"backendRefs": [{"name": route.service, "port": route.port}]}],
        },
    }


def vault_route(context: RenderContext, cluster: ClusterPlan, namespace: str) -> Manifest:
    """A TLSRoute passing Vault's own TLS through the Gateway."""
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "TLSRoute",
        "metadata": {"name": "vault", "namespace": context.component("vault").namespace},
        "spec": {
            "parentRefs": [
                {"name": GATEWAY, "namespace": namespace, "sectionName": VAULT_LISTENER}
            ],
            "hostnames": [f"vault.{gateway_domain(context, cluster)}"],
            "rules": [{"backendRefs": [{"name": "vault", "port": VAULT_PORT}]}],
        },
    }


def ingress_class(context: RenderContext, cluster: ClusterPlan) -> str | None:
    """The ingress class platform endpoints use on ``cluster``, if an ingress controller runs.

    Controllers are the catalog entries with an ``ingressClass``, tried in catalog (name)
    order, so ``ingress-nginx-internal`` wins over ``ingress-nginx-public``.
    """
    for component in context.catalog:
        if component.ingressClass is not None and cluster.has(component.name):
            return component.ingressClass
    return None


def ingress(context: RenderContext, cluster: ClusterPlan, route: Route, cls: str) -> Manifest:
    """An Ingress for ``route`` with a cert-manager certificate."""
    host = f"{route.host}.{gateway_domain(context, cluster)}"
    annotations = {"cert-manager.io/cluster-issuer": platform_issuer(context, cluster)}
    if route.component == "vault":
        annotations["nginx.ingress.kubernetes.io/backend-protocol"] = "HTTPS"
    backend = {"service": {"name": route.service, "port": {"number": route.port}}}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": route.host,
            "namespace": context.component(route.component).namespace,
            "annotations": annotations,
        },
        "spec": {
            "ingressClassName": cls,
            "tls": [{"hosts": [host], "secretName": f"{route.host}-tls"}],
            "rules": [
                {
                    "host": host,
                    "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]},
                }
            ],
        },
    }


def route_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """Routes of every exposed service running on ``cluster``, grouped by component."""
    namespace = gateway_namespace(context, cluster)
    if namespace is not None:
        yield from _grouped(context, cluster, namespace)
        return
    cls = ingress_class(context, cluster)
    if cls is None:
        return
    by_component: dict[str, list[Manifest]] = {}
    exposed = routes(context, cluster)
    if cluster.has("vault"):
        exposed.append(Route("vault", "vault", "vault", VAULT_PORT))
    for route in exposed:
        manifest = in_wave(ingress(context, cluster, route, cls), AFTER_CHART)
        by_component.setdefault(route.component, []).append(manifest)
    for component in sorted(by_component):
        yield Placed(component, "ingress.yaml", by_component[component])


def _grouped(context: RenderContext, cluster: ClusterPlan, namespace: str) -> Iterator[Placed]:
    by_component: dict[str, list[Manifest]] = {}
    for route in routes(context, cluster):
        manifest = in_wave(http_route(context, cluster, route, namespace), AFTER_CHART)
        by_component.setdefault(route.component, []).append(manifest)
    if cluster.has("vault"):
        by_component.setdefault("vault", []).append(
            in_wave(vault_route(context, cluster, namespace), AFTER_CHART)
        )
    for component in sorted(by_component):
        yield Placed(component, "routes.yaml", by_component[component])

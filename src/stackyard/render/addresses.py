"""Public host names and cross-cluster endpoints of platform services, in one place.

A client on the cluster that runs a service uses its in-cluster Service; a client on
another cluster goes through the serving cluster's Gateway at ``https://<host>.<domain>``
(``manifests/routes`` renders the routes for exactly these hosts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from stackyard.plan import ClusterPlan
from stackyard.render.context import RenderContext

# The Secret (and key) holding mgmt's CA on clusters that reach mgmt's services.
CA_BUNDLE_SECRET = "platform-ca-bundle"
CA_KEY = "ca.crt"


@dataclass(frozen=True)
class Endpoint:
    """A platform service that components on other clusters reach."""

    component: str
    host: str
    service: str
    port: int
    path: str = ""


ENDPOINTS: Mapping[str, Endpoint] = {
    "prometheus": Endpoint("prometheus", "prometheus", "prometheus-prometheus", 9090),
    "thanos-receive": Endpoint(
        "thanos", "thanos-receive", "thanos-receive", 19291, "/api/v1/receive"
    ),
    "thanos-query": Endpoint("thanos", "thanos-query", "thanos-query-frontend", 9090),
    "mimir-push": Endpoint("mimir", "mimir", "mimir-gateway", 80, "/api/v1/push"),
    "mimir-query": Endpoint("mimir", "mimir", "mimir-gateway", 80, "/prometheus"),
    "loki-push": Endpoint("loki", "loki", "loki-gateway", 80, "/loki/api/v1/push"),
    "loki-query": Endpoint("loki", "loki", "loki-gateway", 80),
    "tempo-otlp": Endpoint("tempo", "tempo-otlp", "tempo", 4318),
    "tempo-query": Endpoint("tempo", "tempo", "tempo", 3200),
}
"""Services reached across clusters; Service names follow release name = component name."""


def public_host(context: RenderContext, name: str, cluster: str | None = None) -> str:
    """The public DNS name of a platform endpoint; the only place such names are made."""
    domain = context.platform.domain
    return f"{name}.{cluster}.{domain}" if cluster else f"{name}.{domain}"


def endpoint_url(context: RenderContext, cluster: ClusterPlan, name: str) -> str | None:
    """URL of endpoint ``name`` as seen from ``cluster``, or None when nothing serves it."""
    endpoint = ENDPOINTS[name]
    if cluster.has(endpoint.component):
        namespace = context.component(endpoint.component).namespace
        return f"http://{endpoint.service}.{namespace}.svc:{endpoint.port}{endpoint.path}"
    if context.clusters_running(endpoint.component):
        return f"https://{public_host(context, endpoint.host)}{endpoint.path}"
    return None

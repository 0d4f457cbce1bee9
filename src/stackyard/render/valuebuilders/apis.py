"""Values of the API gateway: the Backend API and Envoy Gateway's global rate limit backend.

Where the cluster serves APIs, ``extensionApis.enableBackend`` lets the APIs fetch
Keycloak's keys through the Backend that trusts the platform CA
(:mod:`stackyard.render.manifests.apigateway`).

Global rate limits (per consumer, shared by every Envoy replica; see
:mod:`stackyard.render.manifests.apilimits` for why not local ones) need Envoy Gateway's
rate limit service, which it deploys when its configuration names a Redis backend:
``config.envoyGateway.rateLimit.backend`` (type ``Redis``, ``redis.url`` ``host:port``),
https://gateway.envoyproxy.io/docs/tasks/traffic/global-rate-limit/. It is set on the
clusters whose APIs have limits, pointing at the counter store rendered there.
"""

from __future__ import annotations

from stackyard.plan import ClusterPlan
from stackyard.render.apis import apis_on, counts_requests, rate_limit_store_url
from stackyard.render.context import RenderContext
from stackyard.render.values import ValueBuilder, Values


def _envoy_gateway(context: RenderContext, cluster: ClusterPlan) -> Values:
    if not apis_on(context, cluster.name):
        return {}
    config: Values = {"extensionApis": {"enableBackend": True}}
    if counts_requests(context, cluster.name):
        backend = {"type": "Redis", "redis": {"url": rate_limit_store_url(context)}}
        config["rateLimit"] = {"backend": backend}
    return {"config": {"envoyGateway": config}}


BUILDERS: dict[str, ValueBuilder] = {"envoy-gateway": _envoy_gateway}

"""Rate limits and quotas per API consumer: a BackendTrafficPolicy per API and the counter store.

A consumer's plan sets a rate limit (e.g. 100 per minute) and a quota (e.g. 100000 per
day). Each becomes a rule of the API's BackendTrafficPolicy whose client selector is the
consumer's client id in ``x-api-consumer`` (set by the API's SecurityPolicy from the
token's ``azp``), so every consumer has its own counters.

The rules are **global**, not local. Envoy Gateway's local rate limit counts in each Envoy
replica separately ("if the data plane has 2 replicas of Envoy running, and the rate limit
is 10 requests/second, each replica will allow 10 requests/second",
https://gateway.envoyproxy.io/docs/tasks/traffic/local-rate-limit/): a day's quota would be
multiplied by the replica count and reset whenever a proxy restarts. Global rate limits
are shared by every replica (https://gateway.envoyproxy.io/docs/tasks/traffic/global-rate-limit/)
through Envoy Gateway's rate limit service, which "requires a Redis instance as its
caching layer", configured at ``config.envoyGateway.rateLimit.backend.redis.url`` (the
``envoy-gateway`` value builder).

That store is rendered here, where a cluster enforces some limit: a single-replica
Deployment and Service ``ratelimit-redis`` in Envoy Gateway's namespace, running Valkey
(the BSD-licensed Redis fork; the rate limit service speaks the Redis protocol). It keeps
no data on disk: counters live for at most their window, and a restart of the store
forgives the current windows, a day's quota included. Point the URL at a managed,
replicated store (overrides of the ``envoy-gateway`` values) where that matters.

The same policy carries the API's routing in an ambient mesh. Envoy Gateway sends to the
endpoints (pod IPs) of a route's Service by default, and ztunnel forwards traffic addressed
to a pod straight to it: the Service's waypoint, which enforces ``allow-<service>`` (the
API gateway's permission among it), is skipped, and ztunnel's own policies (default-deny
and allow-waypoint) refuse the request. ``routingType: Service`` makes Envoy Gateway send
to the Service's cluster IP instead, which ztunnel hands to the Service's waypoint
(https://istio.io/latest/docs/ambient/usage/waypoint/; the field is in Envoy Gateway
v1.9's BackendTrafficPolicy, https://gateway.envoyproxy.io/docs/api/extension_types/).
So an API whose service is behind a waypoint gets the policy even without limits.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.plan import ClusterPlan
from stackyard.render.apis import (
    CONSUMER_HEADER,
    GATEWAY_COMPONENT,
    RATE_LIMIT_STORE,
    RATE_LIMIT_STORE_PORT,
    ResolvedApi,
    apis_on,
    counts_requests,
    limited_consumers,
)
from stackyard.render.context import RenderContext
from stackyard.render.manifests.apigateway import ENVOY_GATEWAY_API, target
from stackyard.render.manifests.base import AFTER_CHART, BEFORE_CHART, Placed, in_wave
from stackyard.render.manifests.mesh import uses_waypoint
from stackyard.render.meshmodel import mesh_scope
from stackyard.render.tree import Manifest

STORE_IMAGE = "docker.io/valkey/valkey:8.1.4-alpine"
STORE_USER = 999  # the image's valkey user
STORE_LABELS = {"app.kubernetes.io/name": RATE_LIMIT_STORE, "app.kubernetes.io/part-of": "apis"}


SERVICE_ROUTING = "Service"


def behind_waypoint(context: RenderContext, cluster: ClusterPlan, api: ResolvedApi) -> bool:
    """Whether ``api``'s service on ``cluster`` takes its traffic through a waypoint."""
    scope = mesh_scope(context, cluster)
    return scope is not None and any(
        uses_waypoint(scope, s) for s in scope.services_in(api.namespace) if s.name == api.service
    )


def traffic_policy(
    context: RenderContext, cluster: ClusterPlan, api: ResolvedApi
) -> Manifest | None:
    """The API's limits per consumer and its routing, or None when it needs neither."""
    rules: list[Manifest] = []
    for consumer in limited_consumers(api):
        plan = consumer.plan
        if plan is None:  # limited_consumers keeps only consumers with a plan
            continue
        header = {"name": CONSUMER_HEADER, "value": consumer.client_id}
        for limit in (plan.rateLimit, plan.quota):
            if limit is not None:
                rules.append(
                    {
                        "clientSelectors": [{"headers": [{**header}]}],
                        "limit": {"requests": limit.requests, "unit": limit.unit},
                    }
                )
    spec: Manifest = {"targetRefs": target(api)}
    if rules:
        spec["rateLimit"] = {"global": {"rules": rules}}
    if behind_waypoint(context, cluster, api):
        spec["routingType"] = SERVICE_ROUTING
    if len(spec) == 1:
        return None
    return {
        "apiVersion": ENVOY_GATEWAY_API,
        "kind": "BackendTrafficPolicy",
        "metadata": {"name": api.route, "namespace": api.namespace},
        "spec": spec,
    }


def counter_store(context: RenderContext) -> list[Manifest]:
    """A minimal Valkey Deployment and its Service for the global rate limit counters."""
    namespace = context.component(GATEWAY_COMPONENT).namespace
    container: Manifest = {
        "name": "valkey",
        "image": STORE_IMAGE,
        "args": ["--save", "", "--appendonly", "no"],
        "ports": [{"name": "redis", "containerPort": RATE_LIMIT_STORE_PORT}],
        "readinessProbe": {"tcpSocket": {"port": "redis"}, "periodSeconds": 5},
        "resources": {
            "requests": {"cpu": "50m", "memory": "64Mi"},
            "limits": {"cpu": "500m", "memory": "256Mi"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": STORE_USER,
            "runAsGroup": STORE_USER,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
    }
    deployment: Manifest = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": RATE_LIMIT_STORE, "namespace": namespace, "labels": {**STORE_LABELS}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {**STORE_LABELS}},
            "template": {
                "metadata": {"labels": {**STORE_LABELS}},
                "spec": {
                    "automountServiceAccountToken": False,
                    "containers": [container],
                    "volumes": [{"name": "data", "emptyDir": {}}],
                },
            },
        },
    }
    service: Manifest = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": RATE_LIMIT_STORE, "namespace": namespace, "labels": {**STORE_LABELS}},
        "spec": {
            "selector": {**STORE_LABELS},
            "ports": [{"name": "redis", "port": RATE_LIMIT_STORE_PORT, "targetPort": "redis"}],
        },
    }
    # The rate limit service Envoy Gateway starts connects to it at once.
    return [in_wave(deployment, BEFORE_CHART), in_wave(service, BEFORE_CHART)]


def apilimits_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """Per-API traffic policies and, where any limit counts, the counter store."""
    policies = [
        p
        for p in (traffic_policy(context, cluster, api) for api in apis_on(context, cluster.name))
        if p is not None
    ]
    store = counter_store(context) if counts_requests(context, cluster.name) else []
    if store or policies:
        yield Placed(
            GATEWAY_COMPONENT,
            "api-limits.yaml",
            store + [in_wave(p, AFTER_CHART) for p in policies],
        )

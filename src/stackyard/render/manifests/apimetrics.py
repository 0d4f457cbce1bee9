"""Usage statistics of the APIs: the gateway's proxies scraped, and a Grafana dashboard per API.

Envoy Gateway's chart ships no monitor for the proxies it creates; its documentation has
Prometheus Operator users apply a PodMonitor for pods labelled
``app.kubernetes.io/name: envoy`` and ``app.kubernetes.io/component: proxy``, port
``metrics``, path ``/stats/prometheus``
(https://gateway.envoyproxy.io/docs/tasks/observability/proxy-metric/). It is rendered
where a cluster serves APIs and runs a Prometheus (server or agent: the platform's
Prometheus selects every PodMonitor).

Each API's dashboard is a ConfigMap labelled ``grafana_dashboard`` (the label Grafana's
dashboard sidecar loads, catalog values of ``grafana``) where the dashboards run. Its
series are Envoy's cluster statistics of the route's upstream, named
``httproute/<namespace>/api-<name>/rule/0`` by Envoy Gateway: requests, 5xx errors,
latency quantiles from ``envoy_cluster_upstream_rq_time`` and requests refused by the
global rate limit (``ratelimit.over_limit``, answered 429).
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.plan import ClusterPlan
from stackyard.render.apis import ResolvedApi, apis_on, resolved_apis
from stackyard.render.context import RenderContext
from stackyard.render.manifests.base import AFTER_CHART, Placed, in_wave
from stackyard.render.manifests.dashboards import (
    dashboard_configmap,
    dashboard_model,
    placed_where_grafana_runs,
    timeseries_panel,
)
from stackyard.render.manifests.traffic import SCRAPER_CAPABILITIES
from stackyard.render.tree import Manifest

PROXY_LABELS = {"app.kubernetes.io/name": "envoy", "app.kubernetes.io/component": "proxy"}
RATE = "[$__rate_interval]"


def proxy_monitor(namespace: str) -> Manifest:
    """The PodMonitor for every Envoy proxy Envoy Gateway runs, kept in ``namespace``."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PodMonitor",
        "metadata": {"name": "envoy-proxies", "namespace": namespace},
        "spec": {
            "selector": {"matchLabels": PROXY_LABELS},
            "namespaceSelector": {"any": True},
            "jobLabel": "app.kubernetes.io/name",
            "podMetricsEndpoints": [
                {"port": "metrics", "path": "/stats/prometheus", "interval": "30s"}
            ],
        },
    }


def dashboard(api: ResolvedApi) -> Manifest:
    """The Grafana dashboard model of ``api``: requests, errors, latency, throttled calls."""
    series = f'envoy_cluster_name="{api.envoy_cluster}"'
    requests = f"sum(rate(envoy_cluster_upstream_rq_total{{{series}}}{RATE}))"
    errors = (
        f'sum(rate(envoy_cluster_upstream_rq_xx{{{series},envoy_response_code_class="5"}}{RATE}))'
    )
    latency = [
        (
            f"p{q}",
            f"histogram_quantile(0.{q}, sum by (le)"
            f" (rate(envoy_cluster_upstream_rq_time_bucket{{{series}}}{RATE})))",
        )
        for q in ("50", "95", "99")
    ]
    throttled = f"sum(rate(envoy_cluster_ratelimit_over_limit{{{series}}}{RATE}))"
    return dashboard_model(
        uid=f"api-{api.name}",
        title=f"API {api.name}",
        description=f"{api.host}{api.path_prefix} (tenant {api.tenant}) through Envoy Gateway",
        tags=["api", f"tenant:{api.tenant}"],
        panels=[
            timeseries_panel(1, "Requests", "reqps", [("requests", requests)]),
            timeseries_panel(
                2, "Errors (5xx ratio)", "percentunit", [("5xx", f"{errors} / {requests}")]
            ),
            timeseries_panel(3, "Latency", "ms", latency),
            timeseries_panel(4, "Throttled (429)", "reqps", [("over limit", throttled)]),
        ],
    )


def apimetrics_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """The proxies' PodMonitor where APIs are served; the dashboards where Grafana runs."""
    # With the cluster's Prometheus, which brings the PodMonitor CRD: the gateway installs in
    # an earlier wave, before that CRD exists.
    scraper = next(
        (
            p.component
            for p in cluster.components
            if SCRAPER_CAPABILITIES & set(p.component.provides)
        ),
        None,
    )
    if apis_on(context, cluster.name) and scraper is not None:
        monitor = in_wave(proxy_monitor(scraper.namespace), AFTER_CHART)
        yield Placed(scraper.name, "api-proxy-monitor.yaml", [monitor])
    apis = [api for api in resolved_apis(context) if api.clusters]
    if not apis:
        return
    yield from placed_where_grafana_runs(
        cluster,
        "api-dashboards.yaml",
        lambda namespace: [
            dashboard_configmap(
                f"dashboard-api-{api.name}", namespace, {}, f"api-{api.name}.json", dashboard(api)
            )
            for api in apis
        ],
    )

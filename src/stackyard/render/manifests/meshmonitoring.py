"""Prometheus scrapes the mesh: istiod, the Envoy proxies and ztunnel.

Where the mesh is on, the cluster's Prometheus (full or agent: both select every monitor
in the cluster, catalog values) gets, in its own namespace and with its Application, so
the monitoring CRDs exist:

- a ServiceMonitor for istiod's ``http-monitoring`` port (15014): pilot's push, xDS and
  certificate-signing metrics;
- a PodMonitor for every Envoy of the mesh (sidecars, waypoints, Istio gateways), on the
  ``http-envoy-prom`` port's ``/stats/prometheus``: the ``istio_requests_total`` and
  ``istio_request_duration_milliseconds`` series Kiali's graph and the canary analyses read;
- where ztunnel runs (ambient mode), a PodMonitor for its ``ztunnel-stats`` port (L4
  TCP metrics).

These follow Istio's Prometheus Operator integration
(https://istio.io/latest/docs/ops/integrations/prometheus/#option-2-customized-scraping-configurations).
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.plan import ClusterPlan
from stackyard.render.context import LABEL_PREFIX, RenderContext
from stackyard.render.manifests.base import AFTER_CHART, Placed, in_wave
from stackyard.render.manifests.traffic import SCRAPER_CAPABILITIES
from stackyard.render.meshmodel import CONTROL_PLANE, mesh_scope
from stackyard.render.tree import Manifest

MONITORING = "monitoring.coreos.com/v1"
INTERVAL = "30s"
ZTUNNEL = "ztunnel"


def _metadata(context: RenderContext, name: str, namespace: str) -> Manifest:
    return {
        "name": name,
        "namespace": namespace,
        "labels": {f"{LABEL_PREFIX}/platform": context.platform.name, "release": "prometheus"},
    }


def istiod_monitor(context: RenderContext, namespace: str) -> Manifest:
    """Istiod's own metrics."""
    return {
        "apiVersion": MONITORING,
        "kind": "ServiceMonitor",
        "metadata": _metadata(context, "istiod", namespace),
        "spec": {
            "selector": {"matchLabels": {"app": "istiod"}},
            "namespaceSelector": {"matchNames": [context.component(CONTROL_PLANE).namespace]},
            "endpoints": [{"port": "http-monitoring", "interval": INTERVAL}],
        },
    }


def envoy_monitor(context: RenderContext, namespace: str) -> Manifest:
    """Every Envoy of the mesh, in any namespace."""
    return {
        "apiVersion": MONITORING,
        "kind": "PodMonitor",
        "metadata": _metadata(context, "istio-envoy", namespace),
        "spec": {
            "selector": {
                "matchExpressions": [{"key": "istio-prometheus-ignore", "operator": "DoesNotExist"}]
            },
            "namespaceSelector": {"any": True},
            "podMetricsEndpoints": [
                {"port": "http-envoy-prom", "path": "/stats/prometheus", "interval": INTERVAL}
            ],
        },
    }


def ztunnel_monitor(context: RenderContext, namespace: str) -> Manifest:
    """The L4 metrics of ztunnel on every node."""
    ztunnel = context.component(ZTUNNEL).namespace
    return {
        "apiVersion": MONITORING,
        "kind": "PodMonitor",
        "metadata": _metadata(context, "ztunnel", namespace),
        "spec": {
            "selector": {"matchLabels": {"app": "ztunnel"}},
            "namespaceSelector": {"matchNames": [ztunnel]},
            "podMetricsEndpoints": [
                {"port": "ztunnel-stats", "path": "/stats/prometheus", "interval": INTERVAL}
            ],
        },
    }


def mesh_monitoring_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """The mesh's monitors, with the cluster's Prometheus."""
    scope = mesh_scope(context, cluster)
    scraper = next(
        (
            p.component
            for p in cluster.components
            if SCRAPER_CAPABILITIES & set(p.component.provides)
        ),
        None,
    )
    if scope is None or scraper is None:
        return
    namespace = scraper.namespace
    objects = [istiod_monitor(context, namespace), envoy_monitor(context, namespace)]
    if cluster.has(ZTUNNEL):
        objects.append(ztunnel_monitor(context, namespace))
    yield Placed(scraper.name, "mesh-monitors.yaml", [in_wave(o, AFTER_CHART) for o in objects])

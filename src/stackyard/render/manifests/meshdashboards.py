"""A Grafana dashboard of the mesh's services, from Istio's standard metrics.

Where the mesh is on somewhere in the platform, Grafana (the component with the
``dashboards`` capability) gets a ConfigMap labelled ``grafana_dashboard``, which its
dashboard sidecar loads (catalog values of ``grafana``). The dashboard is Stackyard's own,
built from Istio's standard metrics (https://istio.io/latest/docs/reference/config/metrics/)
that the mesh's monitors scrape (:mod:`.meshmonitoring`):

- per declared service (variable ``service``; the ``cluster`` label tells clusters
  apart): requests by destination version, so a canary's split is visible; the 5xx
  ratio; p50/p95/p99 latency;
- mutual TLS: the share of requests whose connection used mTLS
  (``connection_security_policy="mutual_tls"``);
- istiod: configuration pushes and the certificates it signed.

HTTP metrics are reported by the receiving proxy: the destination sidecar, or the
waypoint in ambient mode, so each request counts once (``reporter`` is ``destination``
or ``waypoint``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from stackyard.plan import ClusterPlan
from stackyard.render.context import LABEL_PREFIX, RenderContext
from stackyard.render.manifests.base import Placed
from stackyard.render.meshmodel import declared_services, mesh_scope
from stackyard.render.tree import Manifest

DASHBOARDS_CAPABILITY = "dashboards"
UID = "stackyard-mesh-services"
RATE = "[$__rate_interval]"
RECEIVED = 'reporter=~"destination|waypoint",destination_service_name=~"$service"'


def _panel(number: int, title: str, unit: str, targets: list[tuple[str, str]]) -> Manifest:
    return {
        "id": number,
        "type": "timeseries",
        "title": title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 8, "w": 12, "x": 12 * ((number - 1) % 2), "y": 8 * ((number - 1) // 2)},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [
            {"refId": chr(ord("A") + i), "expr": expr, "legendFormat": legend}
            for i, (legend, expr) in enumerate(targets)
        ],
    }


def dashboard(services: list[str]) -> Manifest:
    """The dashboard model for the declared ``services``."""
    requests = (
        "sum by (destination_service_name, destination_version)"
        f" (rate(istio_requests_total{{{RECEIVED}}}{RATE}))"
    )
    total = f"sum by (destination_service_name) (rate(istio_requests_total{{{RECEIVED}}}{RATE}))"
    errors = (
        "sum by (destination_service_name)"
        f' (rate(istio_requests_total{{{RECEIVED},response_code=~"5.."}}{RATE}))'
    )
    latency = [
        (
            f"p{q} {{{{destination_service_name}}}}",
            f"histogram_quantile(0.{q}, sum by (le, destination_service_name)"
            f" (rate(istio_request_duration_milliseconds_bucket{{{RECEIVED}}}{RATE})))",
        )
        for q in ("50", "95", "99")
    ]
    mtls = (
        "sum by (destination_service_name)"
        f' (rate(istio_requests_total{{{RECEIVED},connection_security_policy="mutual_tls"}}{RATE}))'
        f" / {total}"
    )
    control = [
        ("xDS pushes", f"sum(rate(pilot_xds_pushes{RATE}))"),
        ("certificates signed", f"sum(rate(citadel_server_success_cert_issuance_count{RATE}))"),
    ]
    return {
        "uid": UID,
        "title": "Mesh services",
        "description": "Requests, errors, latency and mTLS of the declared services (Istio).",
        "tags": ["mesh", "istio"],
        "schemaVersion": 39,
        "editable": False,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "1m",
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Data source",
                    "type": "datasource",
                    "query": "prometheus",
                },
                {
                    "name": "service",
                    "label": "Service",
                    "type": "custom",
                    "query": ",".join(services),
                    "multi": True,
                    "includeAll": True,
                    "current": {"text": "All", "value": "$__all"},
                },
            ]
        },
        "panels": [
            _panel(
                1,
                "Requests by version",
                "reqps",
                [("{{destination_service_name}} {{destination_version}}", requests)],
            ),
            _panel(
                2,
                "Errors (5xx ratio)",
                "percentunit",
                [("{{destination_service_name}}", f"{errors} / {total}")],
            ),
            _panel(3, "Latency", "ms", latency),
            _panel(4, "Mutual TLS share", "percentunit", [("{{destination_service_name}}", mtls)]),
            _panel(5, "istiod", "ops", control),
        ],
    }


def mesh_dashboard_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """The dashboard where Grafana runs, when the mesh is on on some cluster."""
    names = sorted(
        {
            service.name
            for other in context.plan.clusters
            if mesh_scope(context, other) is not None
            for service in declared_services(context, other)
        }
    )
    if not names:
        return
    for planned in cluster.components:
        if DASHBOARDS_CAPABILITY in planned.component.provides:
            configmap: Manifest = {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": "dashboard-mesh-services",
                    "namespace": planned.component.namespace,
                    "labels": {
                        f"{LABEL_PREFIX}/platform": context.platform.name,
                        "grafana_dashboard": "1",
                    },
                },
                "data": {
                    "mesh-services.json": json.dumps(dashboard(names), indent=2, sort_keys=True)
                    + "\n"
                },
            }
            yield Placed(planned.name, "mesh-dashboard.yaml", [configmap])

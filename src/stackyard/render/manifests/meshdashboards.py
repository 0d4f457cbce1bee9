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

from collections.abc import Iterable

from stackyard.plan import ClusterPlan
from stackyard.render.context import LABEL_PREFIX, RenderContext
from stackyard.render.manifests.base import Placed
from stackyard.render.manifests.dashboards import (
    dashboard_configmap,
    dashboard_model,
    placed_where_grafana_runs,
    timeseries_panel,
)
from stackyard.render.meshmodel import declared_services, mesh_scope
from stackyard.render.tree import Manifest

UID = "stackyard-mesh-services"
RATE = "[$__rate_interval]"
RECEIVED = 'reporter=~"destination|waypoint",destination_service_name=~"$service"'


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
    service = {
        "name": "service",
        "label": "Service",
        "type": "custom",
        "query": ",".join(services),
        "multi": True,
        "includeAll": True,
        "current": {"text": "All", "value": "$__all"},
    }
    return dashboard_model(
        uid=UID,
        title="Mesh services",
        description="Requests, errors, latency and mTLS of the declared services (Istio).",
        tags=["mesh", "istio"],
        variables=[service],
        panels=[
            timeseries_panel(
                1,
                "Requests by version",
                "reqps",
                [("{{destination_service_name}} {{destination_version}}", requests)],
            ),
            timeseries_panel(
                2,
                "Errors (5xx ratio)",
                "percentunit",
                [("{{destination_service_name}}", f"{errors} / {total}")],
            ),
            timeseries_panel(3, "Latency", "ms", latency),
            timeseries_panel(
                4, "Mutual TLS share", "percentunit", [("{{destination_service_name}}", mtls)]
            ),
            timeseries_panel(5, "istiod", "ops", control),
        ],
    )


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
    labels = {f"{LABEL_PREFIX}/platform": context.platform.name}
    yield from placed_where_grafana_runs(
        cluster,
        "mesh-dashboard.yaml",
        lambda namespace: [
            dashboard_configmap(
                "dashboard-mesh-services", namespace, labels, "mesh-services.json", dashboard(names)
            )
        ],
    )

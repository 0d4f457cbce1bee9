"""Observability: metrics, logs, traces, alerting, their correlation, rules and dashboards.

Components are found by chart (and by the parts of umbrella charts: loki-stack runs
Promtail and kube-prometheus-stack runs Grafana and Alertmanager by chart default, as
``assess/data/charts.yaml`` records), by operator objects and by images. Grafana's
datasources are read wherever its values are written, so "Loki + Tempo datasources with
trace-to-log links" cites the ``datasources`` block itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from stackyard.assess.detectors.base import (
    Detector,
    DetectorResult,
    FunctionDetector,
    achieved,
    component,
    distinct,
    first_set,
    missing,
    partial,
    truthy,
)
from stackyard.assess.inputs import RepositoryIndex
from stackyard.assess.inputs.charts import charts_with_role
from stackyard.assess.model import Evidence
from stackyard.wording import counted

# Log stores and agents by chart are the log-store and log-agent roles of
# assess/data/charts.yaml; by image, these.
LOG_STORE_IMAGES = ("grafana/loki", "opensearch", "victoriametrics/victoria-logs")
GRAFANA_IMAGES = ("grafana/grafana",)
LOG_AGENT_IMAGES = (
    "promtail",
    "fluent-bit",
    "fluentd",
    "grafana/alloy",
    "timberio/vector",
    "victoriametrics/vlagent",
)
# What scrapes metrics: Prometheus (directly or through its operator), the VictoriaMetrics
# agent, Grafana Alloy/Agent (charts with the metrics-collector role in
# assess/data/charts.yaml, images below), and OpenTelemetry collectors with a prometheus
# receiver. ServiceMonitors and PodMonitors alone are targets, not a collector.
METRICS_IMAGES = (
    "prom/prometheus",
    "prometheus/prometheus",
    "victoriametrics/vmagent",
    "grafana/alloy",
    "grafana/agent",
)
_PROMETHEUS_RECEIVER = re.compile(r"^\s*prometheus(/[\w.-]+)?:", re.MULTILINE)
DATASOURCE_KEYS = ("datasources", "additionalDataSources")
LINK_KEYS = frozenset({"tracesToLogs", "tracesToLogsV2", "derivedFields", "tracesToMetrics"})


def _metrics(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    collectors = component(
        index,
        charts=charts_with_role("metrics-collector"),
        kinds=("Prometheus", "PrometheusAgent", "VMAgent", "GrafanaAgent"),
        images=METRICS_IMAGES,
    )
    collectors += _otel_prometheus_receivers(index)
    if collectors:
        return achieved(collectors, "metrics are collected (Prometheus or a compatible agent)")
    monitors = [
        o.evidence(text=f"{o.kind} {o.name}")
        for o in index.of_kind("ServiceMonitor", "PodMonitor", group="monitoring.coreos.com")
    ]
    if monitors:
        # A monitor is a scrape target for a Prometheus the repository does not install:
        # nothing reads it until one is brought (https://prometheus-operator.dev/docs/getting-started/design/).
        return partial(
            monitors,
            f"{len(monitors)} ServiceMonitors/PodMonitors, but no Prometheus or compatible "
            "agent installed to read them",
            looks_for,
        )
    return missing(looks_for)


def _otel_prometheus_receivers(index: RepositoryIndex) -> list[Evidence]:
    """OpenTelemetry collectors configured with a ``prometheus`` receiver (they scrape)."""
    found = []
    for stack in index.values("opentelemetry-collector"):
        hit = stack.get("config", "receivers")
        if hit is not None and _prometheus_receiver(hit.value):
            found.append(hit.evidence)
    for collector in index.of_kind("OpenTelemetryCollector", group="opentelemetry.io"):
        config = collector.get("spec", "config")
        receivers = config.get("receivers") if isinstance(config, Mapping) else config
        if _prometheus_receiver(receivers):
            found.append(collector.evidence(text=f"OpenTelemetryCollector {collector.name}"))
    return found


def _prometheus_receiver(receivers: Any) -> bool:
    """Whether a receivers mapping (or a collector's config text) names a prometheus receiver."""
    if isinstance(receivers, Mapping):
        return any(str(k).split("/")[0] == "prometheus" for k in receivers)
    return isinstance(receivers, str) and bool(_PROMETHEUS_RECEIVER.search(receivers))


def _grafana(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    # chart_uses counts umbrellas that run Grafana: kube-prometheus-stack by chart default
    # unless grafana.enabled is false, loki-stack only when grafana.enabled is true.
    found = component(
        index, charts=("grafana",), groups=("grafana.integreatly.org",), images=GRAFANA_IMAGES
    )
    return achieved(found, "Grafana is deployed") if found else missing(looks_for)


def _logs(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    stores = component(index, charts=charts_with_role("log-store"), images=LOG_STORE_IMAGES)
    agents = component(index, charts=charts_with_role("log-agent"), images=LOG_AGENT_IMAGES)
    if stores and agents:
        return achieved(stores + agents, "logs are shipped by an agent to a log store")
    if stores or agents:
        what = "a log store without a collecting agent" if stores else "a log agent without a store"
        return partial(stores + agents, what, looks_for)
    return missing(looks_for)


def alertmanager_present(index: RepositoryIndex) -> list[Evidence]:
    """Evidence that Alertmanager runs (kube-prometheus-stack and prometheus run it by default)."""
    found = index.chart_uses("alertmanager")
    found += [o.evidence() for o in index.of_kind("Alertmanager", "AlertmanagerConfig")]
    return found


def _alerting(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = alertmanager_present(index)
    return achieved(found, "Alertmanager routes alerts") if found else missing(looks_for)


def _tracing(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = component(
        index,
        charts=("tempo", "jaeger", "zipkin"),
        kinds=("Jaeger", "TempoStack", "TempoMonolithic"),
        images=("grafana/tempo", "jaegertracing"),
    )
    return achieved(found, "distributed traces are stored") if found else missing(looks_for)


def _alertmanager_ha(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    ha: list[Evidence] = []
    single: list[Evidence] = []
    for hit in first_set(
        index.values("alertmanager"),
        ("alertmanagerSpec", "replicas"),
        ("replicaCount",),
        ("replicas",),
    ):
        (ha if isinstance(hit.value, int) and hit.value >= 2 else single).append(hit.evidence)
    for obj in index.of_kind("Alertmanager"):
        replicas = obj.hit("spec", "replicas")
        if replicas is not None:
            (ha if isinstance(replicas.value, int) and replicas.value >= 2 else single).append(
                replicas.evidence
            )
    if ha:
        return achieved(ha, "Alertmanager runs more than one replica")
    present = alertmanager_present(index)
    if present:
        return missing(
            looks_for, "Alertmanager runs one replica (chart default)", gaps=single or present
        )
    return missing(looks_for)


def grafana_datasources(index: RepositoryIndex) -> list[tuple[Evidence, list[Mapping[str, Any]]]]:
    """Grafana datasource blocks (with where they are written) and their entries."""
    found = []
    for stack in index.values("grafana"):
        for layer in stack.layers:
            for path, value in layer.walk():
                if not path or path[-1] not in DATASOURCE_KEYS:
                    continue
                entries = _entries(value)
                if entries:
                    found.append((layer.evidence(*path), entries))
    return found


def _correlation(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    linked: list[Evidence] = []
    unlinked: list[Evidence] = []
    for evidence, entries in grafana_datasources(index):
        types = {str(e.get("type", "")).lower() for e in entries}
        if not {"loki", "tempo"} <= types and not ({"loki", "jaeger"} <= types):
            continue
        links = any(LINK_KEYS & set(e.get("jsonData") or {}) for e in entries)
        (linked if links else unlinked).append(evidence)
    if linked:
        return achieved(linked, "Loki and Tempo datasources with trace-to-log links")
    if unlinked:
        return partial(unlinked, "Loki and Tempo datasources without trace/log links", looks_for)
    return missing(looks_for)


def _alert_rules(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = [o.evidence(text=f"PrometheusRule {o.name}") for o in index.of_kind("PrometheusRule")]
    found += [
        h.evidence
        for h in first_set(
            index.values("kube-prometheus-stack"),
            ("additionalPrometheusRulesMap",),
            ("additionalPrometheusRules",),
        )
        if h.value
    ]
    found += [
        h.evidence
        for h in first_set(
            index.values("prometheus"), ("serverFiles", "alerting_rules.yml", "groups")
        )
        if h.value
    ]
    found = list(distinct(found))  # releases sharing a values file cite it once
    return achieved(found, f"{len(found)} alert rule sets") if found else missing(looks_for)


def _dashboards(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = [
        c.evidence(text=f"ConfigMap {c.name}")
        for c in index.of_kind("ConfigMap")
        if "grafana_dashboard" in c.labels()
    ]
    found += [o.evidence() for o in index.of_kind("GrafanaDashboard")]
    for stack in index.values("grafana"):
        for key in ("dashboards", "dashboardsConfigMaps"):
            hit = stack.get(key)
            if hit is not None and isinstance(hit.value, Mapping) and hit.value:
                found.append(hit.evidence)
    found += _chart_default_dashboards(index)
    found = list(distinct(found))  # releases sharing a values file cite it once
    detail = f"dashboards as code in {counted(len(found), 'place')}"
    return achieved(found, detail) if found else missing(looks_for)


def _chart_default_dashboards(index: RepositoryIndex) -> list[Evidence]:
    """kube-prometheus-stack's own dashboards, when a Grafana sidecar loads them.

    The chart renders its dashboards as ConfigMaps labelled ``grafana_dashboard`` when
    ``grafana.enabled`` (its bundled Grafana, sidecar on) or ``grafana.forceDeployDashboards``
    (for a Grafana installed beside it) is set, and ``grafana.defaultDashboardsEnabled``
    is not turned off (templates/grafana/dashboards-1.14/ in
    https://github.com/prometheus-community/helm-charts/tree/main/charts/kube-prometheus-stack).
    """
    sidecar = any(
        (hit := stack.get("sidecar", "dashboards", "enabled")) is not None and truthy(hit.value)
        for stack in index.values("grafana")
    )
    found = []
    for stack in index.values("kube-prometheus-stack"):
        defaults = stack.get("grafana", "defaultDashboardsEnabled")
        if defaults is not None and not truthy(defaults.value):
            continue
        bundled = stack.get("grafana", "enabled")
        forced = stack.get("grafana", "forceDeployDashboards")
        # Cite the switch that turns the dashboards on, quoting it; with no switch written,
        # the release whose chart defaults render them.
        if bundled is not None and truthy(bundled.value):
            found.append(bundled.evidence)
        elif bundled is None:
            where = stack.evidence
            text = "kube-prometheus-stack dashboards by chart default"
            found.append(Evidence(where.file, where.line, where.end_line, text))
        elif forced is not None and truthy(forced.value) and sidecar:
            found.append(forced.evidence)
    return found


def _opentelemetry(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = component(
        index,
        charts=("opentelemetry-collector", "opentelemetry-operator", "opentelemetry-kube-stack"),
        groups=("opentelemetry.io",),
        images=("opentelemetry-collector",),
    )
    return achieved(found, "OpenTelemetry collects telemetry") if found else missing(looks_for)


def _entries(value: Any) -> list[Mapping[str, Any]]:
    """Datasource entries from a list, or a provisioning file mapping (``datasources.yaml``)."""
    if isinstance(value, list):
        return [e for e in value if isinstance(e, Mapping) and "type" in e]
    if isinstance(value, Mapping):
        entries = []
        for item in value.values():
            if isinstance(item, Mapping) and isinstance(item.get("datasources"), list):
                entries += [
                    e for e in item["datasources"] if isinstance(e, Mapping) and "type" in e
                ]
        return entries
    return []


DETECTORS: tuple[Detector, ...] = (
    FunctionDetector(
        "metrics-stack",
        "a metrics collector: kube-prometheus-stack, Prometheus, VictoriaMetrics agent, Grafana "
        "Alloy/Agent charts or objects, or an OpenTelemetry collector with a prometheus receiver "
        "(ServiceMonitors/PodMonitors alone need one of them)",
        _metrics,
    ),
    FunctionDetector("grafana", "a Grafana chart (also inside kube-prometheus-stack)", _grafana),
    FunctionDetector(
        "logs-pipeline",
        "a log store (Loki, OpenSearch) and a log agent (Promtail, Fluent Bit, Alloy, Vector)",
        _logs,
    ),
    FunctionDetector(
        "alerting",
        "Alertmanager (kube-prometheus-stack, its chart, Alertmanager objects)",
        _alerting,
    ),
    FunctionDetector("tracing", "Tempo or Jaeger charts, objects or images", _tracing),
    FunctionDetector(
        "alertmanager-ha",
        "alertmanager.alertmanagerSpec.replicas / replicaCount >= 2, or Alertmanager spec.replicas",
        _alertmanager_ha,
    ),
    FunctionDetector(
        "grafana-correlation",
        "Grafana datasources of type loki and tempo with tracesToLogs/derivedFields links",
        _correlation,
    ),
    FunctionDetector(
        "alert-rules",
        "PrometheusRule objects or additionalPrometheusRules(Map) / serverFiles alerting rules",
        _alert_rules,
    ),
    FunctionDetector(
        "dashboards-as-code",
        "ConfigMaps labelled grafana_dashboard, GrafanaDashboard objects, Grafana dashboards "
        "values, or kube-prometheus-stack dashboards loaded by a Grafana sidecar",
        _dashboards,
    ),
    FunctionDetector(
        "opentelemetry",
        "OpenTelemetry Collector/Operator charts, opentelemetry.io objects or collector images",
        _opentelemetry,
    ),
)

"""Metrics are collected only when something scrapes them.

A ServiceMonitor or PodMonitor is a scrape target for the Prometheus operator; without a
Prometheus (or a compatible agent: VictoriaMetrics agent, Grafana Alloy/Agent, an
OpenTelemetry collector with a prometheus receiver) nothing reads it, as in a template
that ships monitors for a Prometheus its user brings.
"""

from __future__ import annotations

from pathlib import Path

from stackyard.assess.detectors import detectors_by_name
from stackyard.assess.inputs import index_repository
from tests.assess.maturity.conftest import WriteTree

POD_MONITOR = """\
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata:
  name: cilium-agent
  namespace: kube-system
spec:
  selector:
    matchLabels:
      k8s-app: cilium
  podMetricsEndpoints:
    - port: prometheus
"""

OTEL_RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: otel-collector
  namespace: observability
spec:
  interval: 1h
  chart:
    spec:
      chart: opentelemetry-collector
      version: 0.120.0
      sourceRef:
        kind: HelmRepository
        name: open-telemetry
  values:
    mode: deployment
    config:
      receivers:
        prometheus:
          config:
            scrape_configs: []
"""

OTEL_WITHOUT_PROMETHEUS = OTEL_RELEASE.replace("prometheus:", "otlp:")


def metrics(root: Path) -> tuple[str, str, list[tuple[str, int]]]:
    index = index_repository(root, [])
    result = detectors_by_name()["metrics-stack"].detect(index)
    return result.status, result.detail, [(e.file, e.line) for e in result.evidence]


def test_monitors_without_a_collector_are_partial(write_tree: WriteTree) -> None:
    status, detail, cited = metrics(write_tree({"monitors.yaml": POD_MONITOR}))
    assert status == "partial"
    assert "no Prometheus or compatible agent installed to read them" in detail
    assert cited == [("monitors.yaml", 1)]


def test_an_opentelemetry_collector_with_a_prometheus_receiver_collects(
    write_tree: WriteTree,
) -> None:
    status, _, cited = metrics(
        write_tree({"monitors.yaml": POD_MONITOR, "otel.yaml": OTEL_RELEASE})
    )
    assert status == "achieved"
    assert cited == [("otel.yaml", 18)]  # config.receivers


def test_an_opentelemetry_collector_without_one_does_not(write_tree: WriteTree) -> None:
    status, _, _ = metrics(
        write_tree({"monitors.yaml": POD_MONITOR, "otel.yaml": OTEL_WITHOUT_PROMETHEUS})
    )
    assert status == "partial"


def test_a_vmagent_reads_the_monitors(write_tree: WriteTree) -> None:
    vmagent = (
        "apiVersion: operator.victoriametrics.com/v1beta1\nkind: VMAgent\n"
        "metadata:\n  name: vmagent\n  namespace: monitoring\n"
        "spec:\n  selectAllByDefault: true\n"
    )
    status, _, cited = metrics(write_tree({"monitors.yaml": POD_MONITOR, "vmagent.yaml": vmagent}))
    assert status == "achieved"
    assert cited == [("vmagent.yaml", 1)]

"""The chart facts are data, checked against their schema; malformed data fails loudly."""

from __future__ import annotations

import pytest

from stackyard.assess.inputs.chartfacts import ChartFactsError, load_chart_facts, parse_chart_facts
from stackyard.assess.inputs.charts import (
    canonical_chart,
    chart_from_filename,
    charts_with_role,
    components,
    runs_workloads,
    subcharts,
)

SOURCE = (
    "https://github.com/grafana/helm-charts/blob/loki-stack-2.10.3/charts/loki-stack/values.yaml"
)


def test_the_packaged_facts_load_and_every_fact_cites_its_upstream_source() -> None:
    facts = load_chart_facts()
    stated = [c for c in facts.charts if c.components or c.resources or c.default_resources]
    assert len(stated) >= 10
    assert all(c.source and c.source.startswith("https://github.com/") for c in stated)


def test_chart_names_resolve_through_the_data() -> None:
    assert canonical_chart("bitnami/nginx-ingress-controller") == "nginx-ingress-controller"
    assert canonical_chart("keycloakx") == "keycloak"
    assert canonical_chart("some-app") == "some-app"
    assert chart_from_filename("values-loki-stack") == "loki-stack"
    assert chart_from_filename("shop") is None
    assert not runs_workloads("kyverno-policies")
    assert subcharts("kube-prometheus-stack")["grafana"] == "grafana"


def test_detectors_ask_the_data_for_the_charts_of_a_role() -> None:
    # Every name a chart goes by plays its role: an alias is the same chart.
    assert {"alloy", "grafana-alloy", "victoria-logs-collector"} <= set(
        charts_with_role("log-agent")
    )
    assert {"alloy", "grafana-alloy", "prometheus-operator"} <= set(
        charts_with_role("metrics-collector")
    )
    assert "nginx-ingress-controller" in charts_with_role("ingress-controller")
    assert "promtail" not in charts_with_role("log-store")


def test_loki_stack_runs_promtail_by_default_and_grafana_only_when_asked() -> None:
    parts = {c.key: c for c in components("loki-stack")}
    assert (parts["promtail"].default, parts["promtail"].enabled_by) == (True, "promtail.enabled")
    assert not parts["grafana"].default
    assert not parts["fluent-bit"].default


def test_kube_prometheus_stack_runs_grafana_alertmanager_and_exporters_by_default() -> None:
    parts = {c.chart: c for c in components("kube-prometheus-stack")}
    for chart in ("grafana", "alertmanager", "prometheus", "kube-state-metrics"):
        assert parts[chart].default, chart
    assert parts["prometheus-node-exporter"].enabled_by == "nodeExporter.enabled"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("charts: [{name: Loki}]", "name"),
        ("charts: [{name: loki, versions: 'not a range'}]", "not a version range"),
        ("charts: [{name: loki}, {name: grafana, aliases: [loki]}]", "listed twice: loki"),
        ("charts: [{name: loki, components: [{key: a, chart: b}]}]", "facts without a source"),
        ("charts: [{name: loki, colour: blue}]", "colour"),
        (
            f"charts: [{{name: loki, source: '{SOURCE}', resources: [{{path: r, shape: x}}]}}]",
            "shape",
        ),
        ("charts: [{name: loki, source: 'http://example.com/values.yaml'}]", "source"),
        ("charts: [{name: loki, roles: [log-shipper]}]", "roles"),
    ],
)
def test_malformed_chart_facts_fail_loudly(text: str, message: str) -> None:
    with pytest.raises(ChartFactsError, match=message):
        parse_chart_facts(text, "charts.yaml")


@pytest.mark.parametrize(
    ("version", "holds"),
    [
        ("2.10.3", True),
        ("v2.9.0", True),
        ("3.0.0", False),
        ("0.5.0", False),
        ("", True),
        ("2.*", True),
        ("HEAD", True),
    ],
)
def test_facts_hold_for_the_versions_of_their_range(version: str, holds: bool) -> None:
    family = next(c for c in load_chart_facts().charts if c.name == "loki-stack")
    assert family.holds_for(version) is holds

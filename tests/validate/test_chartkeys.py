from __future__ import annotations

from typing import Any

import pytest

from stackyard.catalog import load_catalog
from stackyard.catalog.model import HelmInstall
from stackyard.validate import (
    ChartKeys,
    NoKeyTree,
    UnknownKey,
    chart_keys,
    coalesce,
    pinned_charts,
    unknown_keys,
    values_schema_problems,
)
from stackyard.validate.chartkeys import ISTIO_WRAPPER, chart_defaults

NO_LOCAL_CHART = {"teleport-cluster", "mimir-distributed"}


def keys_of(chart: str, version: str) -> ChartKeys:
    keys = chart_keys(chart, version)
    assert isinstance(keys, ChartKeys), keys
    return keys


def helm_pins() -> list[tuple[str, str]]:
    pins = {
        (c.install.chart, c.install.version)
        for c in load_catalog()
        if isinstance(c.install, HelmInstall)
    }
    return sorted(pins)


@pytest.mark.parametrize(("chart", "version"), helm_pins())
def test_every_pinned_catalog_chart_has_a_key_tree_or_says_why_not(
    chart: str, version: str
) -> None:
    found = chart_keys(chart, version)
    if chart in NO_LOCAL_CHART:
        assert isinstance(found, NoKeyTree)
        assert "not the pinned version" in found.reason
    else:
        assert isinstance(found, ChartKeys)
        assert isinstance(found.tree, dict) and found.tree
        assert len(found.commit) == 40


# Charts scripts/build_reference_data.py pins before the catalog installs them
# (UPSTREAM_CHARTS, SHARED_PINS); the script refuses a catalog pin that differs.
PINNED_AHEAD = {
    ("cni", "1.30.3"),
    ("ztunnel", "1.30.3"),
    ("gateway-helm", "v1.9.0"),
    ("kiali-operator", "2.29.0"),
}


def test_the_reference_data_covers_exactly_the_catalog_pins() -> None:
    # A catalog bump without rerunning scripts/build_reference_data.py fails here.
    assert set(pinned_charts()) == set(helm_pins()) | PINNED_AHEAD


def test_a_version_without_data_names_the_versions_that_have_it() -> None:
    found = chart_keys("cilium", "1.19.0")
    assert isinstance(found, NoKeyTree)
    assert "1.20.0" in found.reason


def test_an_existing_nested_key_is_accepted() -> None:
    tree = keys_of("cilium", "1.20.0").tree
    assert unknown_keys(tree, {"hubble": {"enabled": True, "relay": {"enabled": True}}}) == []


def test_a_misspelt_key_is_reported_with_the_closest_sibling() -> None:
    tree = keys_of("cilium", "1.20.0").tree
    found = unknown_keys(tree, {"hubble": {"relayy": {"enabled": True}}})
    assert found == [UnknownKey(("hubble", "relayy"), "relay")]
    assert found[0].dotted == "hubble.relayy"
    assert "did you mean 'relay'" in str(found[0])


def test_keys_below_an_unknown_key_are_not_reported_again() -> None:
    tree = keys_of("cilium", "1.20.0").tree
    found = unknown_keys(tree, {"nosuchkey": {"a": 1, "b": {"c": 2}}})
    assert [k.path for k in found] == [("nosuchkey",)]


def test_any_key_is_accepted_in_a_map_whose_default_is_empty() -> None:
    tree = keys_of("cilium", "1.20.0").tree
    values = {
        "podAnnotations": {"prometheus.io/scrape": "true"},
        "hubble": {"relay": {"podLabels": {"team": "platform"}}},
        "nodeSelector": {"kubernetes.io/os": "linux"},
    }
    assert unknown_keys(tree, values) == []


def test_kubernetes_fields_are_accepted_where_the_chart_copies_an_object_verbatim() -> None:
    # argo-cd shows a few securityContext defaults; any container field is valid there.
    tree = keys_of("argo-cd", "10.1.1").tree
    values = {"controller": {"containerSecurityContext": {"seLinuxOptions": {"level": "s0"}}}}
    assert unknown_keys(tree, values) == []


def test_list_items_are_not_checked() -> None:
    tree = keys_of("cilium", "1.20.0").tree
    values = {"tolerations": [{"operator": "Exists", "anything": {"goes": 1}}]}
    assert unknown_keys(tree, values) == []


def test_a_mapping_below_a_scalar_default_is_reported() -> None:
    tree = keys_of("cilium", "1.20.0").tree
    assert [k.path for k in unknown_keys(tree, {"MTU": {"value": 1500}})] == [("MTU", "value")]


@pytest.mark.parametrize(
    ("chart", "values"),
    [
        ("istiod", {"meshConfig": {"accessLogFile": "/dev/stdout"}, "global": {"hub": "x"}}),
        ("base", {"defaultRevision": "default"}),
        ("gateway", {"service": {"type": "LoadBalancer"}, "autoscaling": {"enabled": False}}),
    ],
)
def test_istio_keys_are_set_at_the_top_level(chart: str, values: dict[str, Any]) -> None:
    tree = keys_of(chart, "1.30.3").tree
    assert unknown_keys(tree, values) == []
    wrapped = unknown_keys(tree, {ISTIO_WRAPPER: values})
    assert [k.path for k in wrapped] == [(ISTIO_WRAPPER,)]


def test_alloy_accepts_its_deprecated_agent_key_with_the_same_children() -> None:
    tree = keys_of("alloy", "1.11.1").tree
    assert unknown_keys(tree, {"agent": {"configMap": {"create": True}}}) == []
    found = unknown_keys(tree, {"agent": {"cofnigMap": {"create": True}}})
    assert found == [UnknownKey(("agent", "cofnigMap"), "configMap")]


def test_a_subchart_section_holds_the_subchart_keys_when_its_version_was_collected() -> None:
    tree = keys_of("kube-prometheus-stack", "88.5.3").tree
    # grafana 12.11.1 is both kube-prometheus-stack's dependency and a collected chart.
    assert unknown_keys(tree, {"grafana": {"persistence": {"enabled": True}}}) == []
    found = unknown_keys(tree, {"grafana": {"persistance": {"enabled": True}}})
    assert found == [UnknownKey(("grafana", "persistance"), "persistence")]


def test_a_subchart_section_allows_any_key_when_the_subchart_was_not_collected() -> None:
    tree = keys_of("kube-prometheus-stack", "88.5.3").tree
    values = {"kube-state-metrics": {"metricLabelsAllowlist": ["pods=[*]"]}}
    assert unknown_keys(tree, values) == []


def test_dotted_paths_quote_keys_that_contain_dots() -> None:
    key = UnknownKey(("podAnnotations", "prometheus.io/port"), None)
    assert key.dotted == 'podAnnotations["prometheus.io/port"]'


def schema_charts() -> list[ChartKeys]:
    found = [chart_keys(chart, version) for chart, version in helm_pins()]
    return [k for k in found if isinstance(k, ChartKeys) and k.schema_file]


@pytest.mark.parametrize("keys", schema_charts(), ids=lambda k: k.chart)
def test_a_chart_s_own_defaults_use_only_keys_of_its_key_tree(keys: ChartKeys) -> None:
    values = chart_defaults(keys)
    values.update(values.pop(ISTIO_WRAPPER, None) or {})
    assert unknown_keys(keys.tree, values) == []


@pytest.mark.parametrize("keys", schema_charts(), ids=lambda k: k.chart)
def test_a_chart_s_own_defaults_pass_its_values_schema(keys: ChartKeys) -> None:
    problems = values_schema_problems(keys, {})
    if keys.chart == "external-dns":  # the chart makes its users choose a policy
        assert {p.path for p in problems} == {"policy"}
    else:
        assert problems == []


def test_a_value_of_the_wrong_type_is_reported_with_its_path() -> None:
    keys = keys_of("cilium", "1.20.0")
    problems = values_schema_problems(keys, {"hubble": {"relay": {"enabled": "yes"}}})
    assert [(p.path, p.message) for p in problems] == [
        ("hubble.relay.enabled", "expected boolean, got string")
    ]


def test_a_required_value_is_checked_after_coalescing_with_the_defaults() -> None:
    keys = keys_of("external-dns", "1.21.1")
    assert values_schema_problems(keys, {"policy": "sync"}) == []
    assert values_schema_problems(keys, {"policy": "always"})


def test_istio_gateway_values_are_checked_at_the_top_level() -> None:
    keys = keys_of("gateway", "1.30.3")
    assert values_schema_problems(keys, {"service": {"type": "LoadBalancer"}}) == []
    problems = values_schema_problems(keys, {"kind": "StatefulSet"})
    assert [p.path for p in problems] == ["kind"]


def test_a_chart_without_schema_has_no_schema_problems() -> None:
    keys = keys_of("argo-cd", "10.1.1")
    assert keys.schema_file is None
    assert values_schema_problems(keys, {"anything": {"at": "all"}}) == []


def test_coalesce_merges_maps_and_a_null_removes_the_default() -> None:
    chart = {"a": {"b": 1, "c": 2}, "d": [1], "e": "x"}
    user = {"a": {"c": None, "f": 3}, "d": [2], "g": None}
    assert coalesce(chart, user) == {"a": {"b": 1, "f": 3}, "d": [2], "e": "x", "g": None}
    assert chart == {"a": {"b": 1, "c": 2}, "d": [1], "e": "x"}

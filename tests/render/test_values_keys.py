"""Every Helm value Stackyard writes is a key of the pinned chart and fits its schema."""

from __future__ import annotations

from typing import Any

import pytest

from stackyard.kube import merge_values
from stackyard.plan import make_plan
from stackyard.render.context import RenderContext
from stackyard.render.valuebuilders import VALUE_BUILDERS
from stackyard.render.values import cluster_values, common_values, edition_values
from stackyard.spec import load_spec
from stackyard.validate.chartkeys import (
    ChartKeys,
    chart_keys,
    unknown_keys,
    values_schema_problems,
)
from tests.render.conftest import EXAMPLE_NAMES, EXAMPLES

# Charts whose values.yaml could not be collected (see validate/data/charts/index.json);
# their keys were read from the upstream file by hand.
UNCHECKED = {"teleport-cluster", "mimir-distributed"}


def _layers(name: str) -> list[tuple[str, str, ChartKeys | None, list[tuple[str, Any]]]]:
    """Per Helm component of example ``name``: its chart data and its values layers."""
    context = RenderContext(make_plan(load_spec(EXAMPLES / f"{name}.yaml")))
    result = []
    for component in sorted(
        {p.component.name for c in context.plan.clusters for p in c.components}
    ):
        entry = context.component(component)
        if entry.install.method != "helm":
            continue
        keys = chart_keys(entry.install.chart, entry.install.version)
        layers: list[tuple[str, Any]] = [
            ("common", common_values(context, entry)),
            ("edition", edition_values(context, entry)),
        ]
        for cluster in context.clusters_running(component):
            layers.append((cluster.name, cluster_values(context, cluster, entry, VALUE_BUILDERS)))
        chart_data = keys if isinstance(keys, ChartKeys) else None
        result.append((component, entry.install.chart, chart_data, layers))
    return result


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_every_values_key_exists_in_the_pinned_chart(example: str) -> None:
    problems = []
    for component, chart, keys, layers in _layers(example):
        if keys is None:
            assert chart in UNCHECKED, f"{component}: chart {chart} has no key tree"
            continue
        for layer, values in layers:
            problems += [f"{component} [{layer}]: {u}" for u in unknown_keys(keys.tree, values)]
    assert problems == []


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_values_of_every_cluster_fit_the_chart_schema(example: str) -> None:
    problems = []
    for component, _, keys, layers in _layers(example):
        if keys is None:
            continue
        common = merge_values(layers[0][1], layers[1][1])
        for layer, values in layers[2:]:
            merged = merge_values(common, values)
            problems += [
                f"{component} [{layer}]: {p}" for p in values_schema_problems(keys, merged)
            ]
    assert problems == []

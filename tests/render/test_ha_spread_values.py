"""The catalog's ``haSpread`` (what SY511 checks) is what the rendered HA values really do.

For each component that declares pods needing a node each, the merged values of an HA
cluster run that many pods, and the rule keeping them apart is a required pod
anti-affinity: set in the values, or the chart default (read from the chart's stored
``values.yaml`` defaults) left untouched.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stackyard.catalog import load_catalog
from stackyard.kube import merge_values
from tests.render.conftest import Rendered

CHARTS = Path(__file__).resolve().parents[2] / "src" / "stackyard" / "validate" / "data" / "charts"
REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"


def merged_values(tree: Rendered, cluster: str, component: str) -> dict[str, Any]:
    edition = tree.plan.spec.platform.edition
    values: dict[str, Any] = {}
    for layer in ("common", f"editions/{edition}", f"clusters/{cluster}"):
        path = f"values/{layer}/{component}.yaml"
        if path in tree.files:
            [document] = tree.documents(path)
            values = merge_values(values, document)
    return values


def dig(values: dict[str, Any], dotted: str) -> Any:
    node: Any = values
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def chart_default(chart: str, dotted: str) -> Any:
    [defaults] = CHARTS.glob(f"{chart}-*.defaults.json")
    return dig(json.loads(defaults.read_text()), dotted)


def pods_kept_apart(component: str, values: dict[str, Any]) -> int:
    """How many pods the rendered values keep one per node (0: none are)."""
    if component == "vault":
        affinity = dig(values, "server.affinity") or chart_default("vault", "server.affinity")
        return int(dig(values, "server.ha.replicas")) if REQUIRED in str(affinity) else 0
    if component == "keycloak":
        affinity = dig(values, "affinity") or chart_default("keycloakx", "affinity")
        return int(dig(values, "replicas")) if REQUIRED in str(affinity) else 0
    if component == "prometheus":
        spec = dig(values, "alertmanager.alertmanagerSpec") or {}
        return int(spec.get("replicas", 1)) if spec.get("podAntiAffinity") == "hard" else 0
    if component == "argo-cd":
        redis = dig(values, "redis-ha") or {}
        # redis-ha runs three servers with hardAntiAffinity true unless the values say otherwise.
        on = redis.get("enabled") and redis.get("hardAntiAffinity", True)
        return int(redis.get("replicas", 3)) if on else 0
    raise AssertionError(f"no reading of {component}'s values: teach this test")


@pytest.mark.parametrize("name", ["aws-standard", "aws-enterprise"])
def test_catalog_spread_matches_the_rendered_ha_values(
    rendered: dict[str, Rendered], name: str
) -> None:
    tree = rendered[name]
    catalog = load_catalog()
    checked = 0
    for cluster in tree.plan.clusters:
        assert cluster.cluster.is_ha
        for component in catalog:
            if not component.haSpread or not cluster.has(component.name):
                continue
            values = merged_values(tree, cluster.name, component.name)
            declared = max(spread.pods for spread in component.haSpread)
            assert pods_kept_apart(component.name, values) == declared, component.name
            checked += 1
    assert checked >= 3

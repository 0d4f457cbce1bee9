"""The parts every Grafana dashboard Stackyard writes shares.

A dashboard is a model (``dashboard_model``) of timeseries panels (``timeseries_panel``)
with a data source variable first, delivered as a ConfigMap labelled
``grafana_dashboard`` (``dashboard_configmap``) that Grafana's dashboard sidecar loads
(catalog values of ``grafana``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping

from stackyard.plan import ClusterPlan
from stackyard.render.manifests.base import Placed
from stackyard.render.tree import Manifest

DASHBOARDS_CAPABILITY = "dashboards"
DASHBOARD_LABEL = {"grafana_dashboard": "1"}


def grid_position(number: int, width: int = 12) -> Manifest:
    """Panel ``number`` (from 1) in a two-column grid of 8-high panels."""
    return {"h": 8, "w": width, "x": 12 * ((number - 1) % 2), "y": 8 * ((number - 1) // 2)}


def timeseries_panel(
    number: int, title: str, unit: str, targets: list[tuple[str, str]]
) -> Manifest:
    """A Prometheus timeseries panel; ``targets`` are ``(legend, expression)`` pairs."""
    return {
        "id": number,
        "type": "timeseries",
        "title": title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": grid_position(number),
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [
            {"refId": chr(ord("A") + i), "expr": expr, "legendFormat": legend}
            for i, (legend, expr) in enumerate(targets)
        ],
    }


def dashboard_model(
    *,
    uid: str,
    title: str,
    description: str,
    tags: list[str],
    panels: list[Manifest],
    datasource: str = "prometheus",
    variables: list[Manifest] | None = None,
    since: str = "now-6h",
    refresh: str = "1m",
) -> Manifest:
    """A read-only dashboard: a ``datasource`` variable, then ``variables``, then ``panels``."""
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": tags,
        "schemaVersion": 39,
        "editable": False,
        "time": {"from": since, "to": "now"},
        "refresh": refresh,
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Data source",
                    "type": "datasource",
                    "query": datasource,
                },
                *(variables or []),
            ]
        },
        "panels": panels,
    }


def dashboard_configmap(
    name: str, namespace: str, labels: Mapping[str, str], file: str, model: Manifest
) -> Manifest:
    """``model`` as the ConfigMap ``name`` (key ``file``) that Grafana's sidecar loads."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {**labels, **DASHBOARD_LABEL},
        },
        "data": {file: json.dumps(model, indent=2, sort_keys=True) + "\n"},
    }


def placed_where_grafana_runs(
    cluster: ClusterPlan, file: str, configmaps: Callable[[str], list[Manifest]]
) -> Iterator[Placed]:
    """``configmaps(namespace)`` in ``file`` for each dashboard loader on ``cluster``.

    A loader is a component that provides ``dashboards`` (Grafana); the ConfigMaps go in
    its namespace, where its sidecar looks.
    """
    for planned in cluster.components:
        if DASHBOARDS_CAPABILITY in planned.component.provides:
            yield Placed(planned.name, file, configmaps(planned.component.namespace))

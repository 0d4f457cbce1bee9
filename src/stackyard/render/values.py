"""Helm values per component, in three layers Argo CD merges in order.

``values/common/<c>.yaml``: the platform's defaults for the chart (resources from the
catalog, base settings from ``render/values_data/<c>.yaml``, the spec's platform-wide
``components.<c>.values``). ``values/editions/<edition>/<c>.yaml``: what the edition
changes. ``values/clusters/<cluster>/<c>.yaml``: what depends on the cluster (role,
HA, addresses, computed settings) and the cluster's own ``components.<c>.values``.
The user's ``overrides/values/...`` files come last and are never written here.

Every key written must exist in the pinned chart (checked by ``stackyard validate``),
so base values live in data files reviewed against the upstream ``values.yaml``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stackyard.catalog import Component
from stackyard.errors import CatalogError
from stackyard.kube import merge_values
from stackyard.plan import ClusterPlan
from stackyard.render.context import RenderContext
from stackyard.yamlio import load_yaml_text

Values = dict[str, Any]
ValueBuilder = Callable[[RenderContext, ClusterPlan], Values]


class ValuesKeys(BaseModel):
    """Where generic settings go in this chart's values (dotted paths)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    resources: list[str] = Field(
        default_factory=list, description="Keys that take the catalog requests/limits."
    )


class ValuesData(BaseModel):
    """Base values of one component's chart."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    keys: ValuesKeys = Field(default_factory=ValuesKeys)
    common: Values = Field(default_factory=dict)
    editions: dict[str, Values] = Field(default_factory=dict)
    roles: dict[str, Values] = Field(default_factory=dict)
    ha: Values = Field(default_factory=dict, description="Merged where the cluster runs HA.")
    notes: str = ""


@cache
def values_data(name: str) -> ValuesData:
    """The base values data of component ``name`` (empty when it has none)."""
    folder = resources.files("stackyard.render") / "values_data"
    item = folder / f"{name}.yaml"
    if not item.is_file():
        return ValuesData()
    source = f"render/values_data/{name}.yaml"
    try:
        return ValuesData.model_validate(load_yaml_text(item.read_text("utf-8"), source).data)
    except ValidationError as e:
        raise CatalogError(f"{source}: {e}") from e


def set_path(values: Values, dotted: str, value: Any) -> None:
    """Set ``a.b.c`` in nested dicts, creating the maps on the way."""
    *parents, last = dotted.split(".")
    node = values
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = copy.deepcopy(value)


def common_values(context: RenderContext, component: Component) -> Values:
    """The common layer: data defaults, catalog resources, platform-wide overrides."""
    data = values_data(component.name)
    values = copy.deepcopy(data.common)
    if component.resources is not None:
        requests = component.resources.requests
        limits = component.resources.limits
        block = {
            "requests": {"cpu": requests.cpu, "memory": requests.memory},
            "limits": {"cpu": limits.cpu, "memory": limits.memory},
        }
        for key in data.keys.resources:
            set_path(values, key, block)
    for key in component.replicaKeys:
        set_path(values, key, component.replicas)
    override = context.platform.components.get(component.name)
    if override is not None:
        values = merge_values(values, override.values)
    return values


def edition_values(context: RenderContext, component: Component) -> Values:
    """The edition layer."""
    return copy.deepcopy(values_data(component.name).editions.get(context.platform.edition, {}))


def cluster_values(
    context: RenderContext,
    cluster: ClusterPlan,
    component: Component,
    builders: Mapping[str, ValueBuilder],
) -> Values:
    """The cluster layer: role and HA data, computed settings, the cluster's overrides."""
    data = values_data(component.name)
    values = copy.deepcopy(data.roles.get(cluster.cluster.role, {}))
    # The plan's replica decision (plan/replicas.py): the HA data and count go where it
    # says the component runs HA, and the cluster's HA data to components without an HA
    # count of their own (Cilium's operator).
    planned = cluster.get(component.name)
    sizing = planned.replicas if planned is not None else None
    if sizing is not None and sizing.ha:
        values = merge_values(values, data.ha)
        for key in component.replicaKeys:
            set_path(values, key, sizing.count)
    elif cluster.cluster.is_ha and not component.haReplicas:
        values = merge_values(values, data.ha)
    for feature in context.catalog:  # features are switches in their parent's values
        install = feature.install
        if install.method == "feature" and install.parent == component.name:
            set_path(values, install.valuesKey, cluster.has(feature.name))
    builder = builders.get(component.name)
    if builder is not None:
        values = merge_values(values, builder(context, cluster))
    override = cluster.cluster.components.get(component.name)
    if override is not None:
        values = merge_values(values, override.values)
    return values

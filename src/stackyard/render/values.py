"""Helm values per component, in three layers Argo CD merges in order.

``values/common/<c>.yaml``: the platform's defaults for the chart (resources from the
catalog, base settings from the component's values file ``catalog/values/<c>.yaml``, the
spec's platform-wide
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
from typing import Any

from stackyard.catalog import Component
from stackyard.errors import CatalogError
from stackyard.kube import merge_values
from stackyard.plan import ClusterPlan
from stackyard.render.context import RenderContext

Values = dict[str, Any]
ValueBuilder = Callable[[RenderContext, ClusterPlan], Values]


def set_path(values: Values, dotted: str, value: Any) -> None:
    """Set ``a.b.c`` in nested dicts, creating the maps on the way."""
    *parents, last = dotted.split(".")
    node = values
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = copy.deepcopy(value)


def common_values(context: RenderContext, component: Component) -> Values:
    """The common layer: data defaults, catalog resources, platform-wide overrides."""
    data = context.catalog.values_of(component.name)
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
    return copy.deepcopy(
        context.catalog.values_of(component.name).editions.get(context.platform.edition, {})
    )


def cluster_values(
    context: RenderContext,
    cluster: ClusterPlan,
    component: Component,
    builders: Mapping[str, ValueBuilder],
) -> Values:
    """The cluster layer: role and HA data, computed settings, the cluster's overrides.

    The computed settings come from the value builder the catalog entry names
    (``values.builder``), looked up in ``builders`` by that name.

    Raises:
        CatalogError: the entry names a builder ``builders`` does not have.
    """
    data = context.catalog.values_of(component.name)
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
    if component.values.builder is not None:
        builder = builders.get(component.values.builder)
        if builder is None:
            raise CatalogError(
                f"{component.name}: no value builder named {component.values.builder!r}"
            )
        values = merge_values(values, builder(context, cluster))
    override = cluster.cluster.components.get(component.name)
    if override is not None:
        values = merge_values(values, override.values)
    return values

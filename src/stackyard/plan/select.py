"""Decide, per cluster, which catalog components run there, and say why.

Precedence, first match wins:

1. an ``enabled`` override on the cluster, then on the platform (``forced``: the user
   asked, so eligibility rules become findings instead of silent exclusions). A
   platform-wide ``enabled: true`` still respects cluster roles: it means "wherever
   the component belongs", while a cluster's own override places it there regardless;
2. eligibility by edition, provider, distribution and cluster role;
3. the entry's ``selectedBy`` spec choices, or else its ``orSelectedBy`` ones (settings
   named ``cluster.*`` are resolved for this cluster);
4. opt-in entries (``default: false``) stay out;
5. a feature whose parent is out stays out, and a companion whose partner the platform
   turns off stays out (``companionOf``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from stackyard.catalog import Catalog, Component
from stackyard.catalog.model import Selector
from stackyard.catalog.settings import CLUSTER_SCOPE, SettingName, value_text
from stackyard.plan.model import Decision
from stackyard.plan.settings import Setting, Settings, cluster_facts
from stackyard.spec import Cluster, ComponentOverride, Platform


def decide(
    platform: Platform,
    index: int,
    catalog: Catalog,
    settings: Settings,
) -> dict[str, Decision]:
    """A decision for every catalog component on ``platform.clusters[index]``."""
    cluster = platform.clusters[index]
    facts = cluster_facts(platform, cluster)

    def lookup(name: SettingName) -> Setting[Any]:
        return facts.get(name) if name.startswith(CLUSTER_SCOPE) else settings.get(name)

    decisions = {
        component.name: _decide_one(platform, index, cluster, component, lookup)
        for component in catalog
    }
    for component in catalog:  # features follow their parent
        install = component.install
        decision = decisions[component.name]
        if install.method == "feature" and decision.included and not decision.forced:
            parent = decisions[install.parent]
            if not parent.included:
                decisions[component.name] = Decision(
                    component.name, False, f"its parent {install.parent} does not run here"
                )
    for component in catalog:  # companions follow their partner's platform-wide override
        decision = decisions[component.name]
        partner = component.companionOf
        if partner is None or not decision.included or decision.forced:
            continue
        override = _override(platform.components.get(partner), ("components", partner))
        if override is not None and not override[0]:
            decisions[component.name] = Decision(
                component.name,
                False,
                f"it works with {partner}, which the platform's override disables",
                override[1],
            )
    return decisions


def _decide_one(
    platform: Platform,
    index: int,
    cluster: Cluster,
    component: Component,
    lookup: Callable[[SettingName], Setting[Any]],
) -> Decision:
    name = component.name
    local = _override(cluster.components.get(name), ("clusters", index, "components", name))
    if local is not None:
        enabled, path = local
        verb = "enabled" if enabled else "disabled"
        return Decision(name, enabled, f"{verb} by this cluster's override", path, forced=True)
    shared = _override(platform.components.get(name), ("components", name))
    if shared is not None:
        enabled, path = shared
        if not enabled:
            return Decision(name, False, "disabled by the platform's override", path, forced=True)
        if cluster.role not in component.roles:  # platform-wide means "where it belongs"
            return Decision(
                name,
                False,
                f"enabled platform-wide, but runs on {_list(component.roles)} clusters only",
                path,
            )
        return Decision(name, True, "enabled by the platform's override", path, forced=True)

    if platform.edition not in component.editions:
        return Decision(
            name, False, f"not in the {platform.edition} edition ({_list(component.editions)})"
        )
    if platform.provider not in component.providers:
        return Decision(
            name, False, f"not for provider {platform.provider} ({_list(component.providers)})"
        )
    distribution = platform.kubernetes.distribution
    if distribution not in component.distributions:
        return Decision(name, False, f"not for {distribution} ({_list(component.distributions)})")
    if cluster.role not in component.roles:
        return Decision(
            name, False, f"runs on {_list(component.roles)} clusters, not {cluster.role}"
        )
    chosen = component.selectedBy
    miss = _first_miss(chosen, lookup)
    if miss is not None and component.orSelectedBy:
        other = _first_miss(component.orSelectedBy, lookup)
        if other is None:
            chosen, miss = component.orSelectedBy, None
        else:
            miss = (f"{miss[0]}, and {other[0]}", miss[1] or other[1])
    if miss is not None:
        return Decision(name, False, miss[0], miss[1])
    if not component.default:
        return Decision(name, False, f"opt-in: set components.{name}.enabled: true")
    reason = f"{platform.edition} edition, {cluster.role} cluster"
    if chosen:
        reason += ", " + ", ".join(_holds(s.setting, lookup(s.setting)) for s in chosen)
    return Decision(name, True, reason)


def _holds(name: SettingName, setting: Setting[Any]) -> str:
    # A cluster's facts differ between clusters, so their reason says why here.
    held = f"{name}={setting.text}"
    return f"{held} ({setting.reason})" if name.startswith(CLUSTER_SCOPE) else held


def _first_miss(
    selectors: Iterable[Selector], lookup: Callable[[SettingName], Setting[Any]]
) -> tuple[str, tuple[str | int, ...]] | None:
    """Why the first selector that does not hold fails, and where the spec decides it."""
    for selector in selectors:
        setting = lookup(selector.setting)
        if setting.value not in selector.values:
            needs = _list(value_text(value) for value in selector.values)
            return f"{selector.setting} is {setting.text} (needs {needs})", setting.path
    return None


def _override(
    override: ComponentOverride | None, path: tuple[str | int, ...]
) -> tuple[bool, tuple[str | int, ...]] | None:
    if override is None or override.enabled is None:
        return None
    return override.enabled, (*path, "enabled")


def _list(values: Iterable[str]) -> str:
    return ", ".join(values)

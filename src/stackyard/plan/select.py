"""Decide, per cluster, which catalog components run there, and say why.

Precedence, first match wins:

1. an ``enabled`` override on the cluster, then on the platform (``forced``: the user
   asked, so eligibility rules become findings instead of silent exclusions). A
   platform-wide ``enabled: true`` still respects cluster roles: it means "wherever
   the component belongs", while a cluster's own override places it there regardless;
2. eligibility by edition, provider, distribution and cluster role;
3. the entry's ``selectedBy`` spec choices;
4. opt-in entries (``default: false``) stay out;
5. a feature whose parent is out stays out.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.catalog import Catalog, Component
from stackyard.catalog.settings import value_text
from stackyard.plan.model import Decision
from stackyard.plan.settings import Settings
from stackyard.spec import Cluster, ComponentOverride, Platform


def decide(
    platform: Platform,
    index: int,
    catalog: Catalog,
    settings: Settings,
) -> dict[str, Decision]:
    """A decision for every catalog component on ``platform.clusters[index]``."""
    cluster = platform.clusters[index]
    decisions = {
        component.name: _decide_one(platform, index, cluster, component, settings)
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
    return decisions


def _decide_one(
    platform: Platform,
    index: int,
    cluster: Cluster,
    component: Component,
    settings: Settings,
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
    for selector in component.selectedBy:
        setting = settings.get(selector.setting)
        if setting.value not in selector.values:
            needs = _list(value_text(value) for value in selector.values)
            return Decision(
                name,
                False,
                f"{selector.setting} is {setting.text} (needs {needs})",
                setting.path,
            )
    if not component.default:
        return Decision(name, False, f"opt-in: set components.{name}.enabled: true")
    reason = f"{platform.edition} edition, {cluster.role} cluster"
    if component.selectedBy:
        chosen = ", ".join(
            f"{s.setting}={settings.get(s.setting).text}" for s in component.selectedBy
        )
        reason += f", {chosen}"
    return Decision(name, True, reason)


def _override(
    override: ComponentOverride | None, path: tuple[str | int, ...]
) -> tuple[bool, tuple[str | int, ...]] | None:
    if override is None or override.enabled is None:
        return None
    return override.enabled, (*path, "enabled")


def _list(values: Iterable[str]) -> str:
    return ", ".join(values)

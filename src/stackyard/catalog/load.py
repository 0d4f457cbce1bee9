"""Load and cross-check the component catalog shipped in ``catalog/data`` and ``catalog/values``.

Each entry is checked against :class:`~stackyard.catalog.model.Component` on its own,
and each values file against :class:`~stackyard.catalog.model.ValuesData`; then the
catalog as a whole: names unique and equal to the file name, conflicts, feature parents, companions,
Secret namespaces and values files naming real entries, public host names, Gateway and
ingress classes, OIDC clients and object-store buckets claimed by one component each.
The policy library (``catalog/policy/library.yaml``, :mod:`stackyard.catalog.policylibrary`)
is loaded beside them. Any failure is a :class:`CatalogError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from stackyard.catalog.model import Capability, Component, Endpoint, ValuesData
from stackyard.catalog.policylibrary import PolicyLibrary, build_policy_library
from stackyard.errors import CatalogError, YamlError
from stackyard.spec.model import ObjectStorageBuckets
from stackyard.yamlio import load_yaml_text

POLICY_LIBRARY = "policy/library.yaml"


@cache
def shipped_policy_library() -> PolicyLibrary:
    """The policy library shipped with Stackyard (loaded once per process)."""
    item = resources.files("stackyard.catalog") / POLICY_LIBRARY
    return build_policy_library(f"catalog/{POLICY_LIBRARY}", item.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Catalog:
    """Every component, by name, in a stable order."""

    components: Mapping[str, Component]
    sources: Mapping[str, str] = field(default_factory=dict)
    base_values: Mapping[str, ValuesData] = field(default_factory=dict)
    """Each component's values file, by component name (absent: no values file)."""
    policies: PolicyLibrary = field(default_factory=shipped_policy_library)
    """The renderable Kyverno policies and the shipped policy templates."""

    def __iter__(self) -> Iterator[Component]:
        return iter(self.components.values())

    def __len__(self) -> int:
        return len(self.components)

    def __contains__(self, name: object) -> bool:
        return name in self.components

    def __getitem__(self, name: str) -> Component:
        return self.components[name]

    def providers_of(self, capability: Capability) -> list[Component]:
        """Components that provide ``capability``, by name."""
        return [c for c in self if capability in c.provides]

    def values_of(self, name: str) -> ValuesData:
        """The values file of component ``name`` (empty when it has none)."""
        return self.base_values.get(name, _NO_VALUES)

    def object_store_users(self) -> list[Component]:
        """Components that keep data in the object store, in the spec's bucket order.

        The order of the spec's ``objectStorage.buckets`` fields, in which the README lists
        the store's credentials Secret.
        """
        order = {use: index for index, use in enumerate(ObjectStorageBuckets.model_fields)}
        users = [c for c in self if c.objectStore is not None]
        return sorted(users, key=lambda c: order[c.objectStore.use] if c.objectStore else 0)

    def endpoint(self, component: str, use: str) -> Endpoint | None:
        """The endpoint of ``component`` for ``use`` (push or query), if it has one."""
        entry = self.components.get(component)
        if entry is None:
            return None
        return next((e for e in entry.endpoints if e.use == use), None)


_NO_VALUES = ValuesData()


def build_catalog(
    entries: Iterable[tuple[str, str]],
    values: Iterable[tuple[str, str]] = (),
    policies: tuple[str, str] | None = None,
) -> Catalog:
    """Build a catalog from ``(source name, YAML text)`` pairs and cross-check it.

    ``entries`` are catalog entries (``<name>.yaml``), ``values`` the components' values
    files (``<name>.yaml`` too); a values file must belong to an entry. ``policies`` is
    the policy library's source and text; without it, the shipped one.
    """
    components: dict[str, Component] = {}
    sources: dict[str, str] = {}
    for source, text in entries:
        try:
            data = load_yaml_text(text, source).data
            component = Component.model_validate(data)
        except (ValidationError, YamlError) as e:
            raise CatalogError(f"{source}: {e}") from e
        stem = Path(source).stem
        if component.name != stem:
            raise CatalogError(f"{source}: name {component.name!r} differs from file name")
        if component.name in components:
            raise CatalogError(f"{source}: duplicate component {component.name!r}")
        components[component.name] = component
        sources[component.name] = source
    _cross_check(components)
    base_values: dict[str, ValuesData] = {}
    for source, text in values:
        stem = Path(source).stem
        if stem not in components:
            raise CatalogError(f"{source}: values file of unknown component {stem!r}")
        try:
            base_values[stem] = ValuesData.model_validate(load_yaml_text(text, source).data)
        except (ValidationError, YamlError) as e:
            raise CatalogError(f"{source}: {e}") from e
    ordered = dict(sorted(components.items()))
    library = build_policy_library(*policies) if policies else shipped_policy_library()
    return Catalog(
        components=ordered,
        sources=sources,
        base_values=dict(sorted(base_values.items())),
        policies=library,
    )


def _cross_check(components: Mapping[str, Component]) -> None:
    levels: dict[str, tuple[str, str]] = {}
    for component in components.values():
        # One namespace carries one Pod Security label, so entries sharing it must agree.
        first = levels.setdefault(component.namespace, (component.podSecurity, component.name))
        if first[0] != component.podSecurity:
            raise CatalogError(
                f"{component.name}: namespace {component.namespace!r} is {component.podSecurity}, "
                f"but {first[1]} says {first[0]}"
            )
        for other in component.conflicts:
            if other not in components:
                raise CatalogError(f"{component.name}: conflicts with unknown {other!r}")
        install = component.install
        if install.method == "feature" and install.parent not in components:
            raise CatalogError(f"{component.name}: feature of unknown {install.parent!r}")
        if component.companionOf is not None and component.companionOf not in components:
            raise CatalogError(f"{component.name}: companion of unknown {component.companionOf!r}")
        for secret in component.secrets:
            if secret.namespaceOf is not None and secret.namespaceOf not in components:
                raise CatalogError(
                    f"{component.name}: Secret {secret.name!r} in the namespace of unknown "
                    f"{secret.namespaceOf!r}"
                )
    _claimed_once(components)


def _claimed_once(components: Mapping[str, Component]) -> None:
    """A public host, GatewayClass, IngressClass, OIDC client or bucket belongs to one component."""
    owners: dict[tuple[str, str], str] = {}
    for component in components.values():
        claims = {("host", e.host) for e in component.endpoints}
        if component.ui is not None:
            claims.add(("host", component.ui.host))
        if component.gatewayClass is not None:
            claims.add(("GatewayClass", component.gatewayClass))
        if component.ingressClass is not None:
            claims.add(("IngressClass", component.ingressClass))
        if component.oidc is not None:
            claims.add(("OIDC client", component.oidc.clientId))
        if component.objectStore is not None:
            claims.add(("bucket", component.objectStore.use))
        for claim in sorted(claims):
            first = owners.setdefault(claim, component.name)
            if first != component.name:
                raise CatalogError(
                    f"{component.name}: {claim[0]} {claim[1]!r} is already {first}'s"
                )


@cache
def load_catalog() -> Catalog:
    """The catalog shipped with Stackyard (loaded once per process)."""
    return build_catalog(_shipped("data"), _shipped("values"))


def _shipped(folder: str) -> list[tuple[str, str]]:
    root = resources.files("stackyard.catalog") / folder
    return sorted(
        (f"catalog/{folder}/{item.name}", item.read_text(encoding="utf-8"))
        for item in root.iterdir()
        if item.name.endswith(".yaml")
    )

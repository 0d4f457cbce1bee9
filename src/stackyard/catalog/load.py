"""Load and cross-check the component catalog shipped in ``catalog/data``.

Each entry is checked against :class:`~stackyard.catalog.model.Component` on its own,
then the catalog as a whole: names unique and equal to the file name, conflicts and
feature parents naming real entries. Any failure is a :class:`CatalogError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from stackyard.catalog.model import Capability, Component
from stackyard.errors import CatalogError, YamlError
from stackyard.yamlio import load_yaml_text


@dataclass(frozen=True)
class Catalog:
    """Every component, by name, in a stable order."""

    components: Mapping[str, Component]
    sources: Mapping[str, str] = field(default_factory=dict)

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


def build_catalog(entries: Iterable[tuple[str, str]]) -> Catalog:
    """Build a catalog from ``(source name, YAML text)`` pairs and cross-check it."""
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
    ordered = dict(sorted(components.items()))
    return Catalog(components=ordered, sources=sources)


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


@cache
def load_catalog() -> Catalog:
    """The catalog shipped with Stackyard (loaded once per process)."""
    folder = resources.files("stackyard.catalog") / "data"
    entries = sorted(
        (f"catalog/data/{item.name}", item.read_text(encoding="utf-8"))
        for item in folder.iterdir()
        if item.name.endswith(".yaml")
    )
    return build_catalog(entries)

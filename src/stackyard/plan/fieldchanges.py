"""Every field that differs between two specs, found by walking the spec model itself.

``diff`` must never say "no changes" when the spec changed, so it does not keep its own
list of fields: it walks the pydantic model, and a field added to the model later is
compared without anyone remembering to. Policy:

- sections (nested models) are walked field by field;
- list items that have a ``name`` (clusters, node pools, tenants) are matched by name, so
  reordering them is no change and an added or removed one is one change at its name;
  items whose name is unique only within their tenant (services) are matched by
  ``tenant/name`` when two tenants use the same name;
- mappings (component overrides, Helm values overlays, labels, quotas) are walked key by
  key down to the leaves, so a values overlay change names the key that changed;
- other lists (a tenant's clusters and namespaces) are compared whole.

A path is a tuple of segments: a field or mapping key, or ``[name]`` / ``[index]`` for a
list item; :func:`path_text` writes it as ``clusters[app1].nodePools[worker].count``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

FieldPath = tuple[str, ...]

# A mapping key that cannot be written bare in a dotted path (a label such as
# ``topology.kubernetes.io/zone``) is written quoted in brackets.
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class FieldChange:
    """One leaf (or one whole added or removed item) that differs between two specs."""

    path: FieldPath
    old: Any
    new: Any
    owner: BaseModel | None = None
    """The innermost named list item the field belongs to (a node pool, a tenant)."""


def item(name: object) -> str:
    """The path segment of a list item: ``[name]``."""
    return f"[{name}]"


def key(name: object) -> str:
    """The path segment of a mapping key or field name."""
    text = str(name)
    return text if _BARE_KEY.fullmatch(text) else f"[{json.dumps(text)}]"


def path_text(path: FieldPath) -> str:
    """``("clusters", "[app1]", "role")`` as ``clusters[app1].role``."""
    text = ""
    for segment in path:
        text += segment if not text or segment.startswith("[") else f".{segment}"
    return text


def value_text(value: Any) -> str | None:
    """A changed value in words: scalars as written, sections as ``present``."""
    if value is None:
        return None
    if isinstance(value, BaseModel):
        return "present"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def field_changes(old: BaseModel, new: BaseModel) -> list[FieldChange]:
    """Every difference between two instances of the same spec model."""
    return list(_walk(old, new, ()))


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, (dict, list)) and not value)


def _walk(
    old: Any, new: Any, path: FieldPath, owner: BaseModel | None = None
) -> Iterator[FieldChange]:
    if isinstance(old, BaseModel) and isinstance(new, BaseModel) and type(old) is type(new):
        for name in type(old).model_fields:
            here = (*path, key(name))
            yield from _walk(getattr(old, name), getattr(new, name), here, owner)
    elif isinstance(old, Mapping) and isinstance(new, Mapping):
        yield from _walk_mapping(old, new, path, owner)
    elif isinstance(old, Mapping) and _empty(new):
        yield from _walk_mapping(old, {}, path, owner)
    elif isinstance(new, Mapping) and _empty(old):
        yield from _walk_mapping({}, new, path, owner)
    elif (pair := _named_pair(old, new)) is not None:
        yield from _walk_named(*pair, path)
    elif old != new or type(old) is not type(new):
        if _empty(old) and _empty(new):
            return
        yield FieldChange(path, old, new, owner)


def _walk_mapping(
    old: Mapping[Any, Any], new: Mapping[Any, Any], path: FieldPath, owner: BaseModel | None
) -> Iterator[FieldChange]:
    for name in sorted(old.keys() | new.keys(), key=str):
        was, now = old.get(name), new.get(name)
        here = (*path, key(name))
        # A mapping entry that appears or goes is walked against nothing, so an added
        # component override reads ``components.loki.enabled: false``, not ``present``.
        if isinstance(was, BaseModel) and now is None:
            yield from _walk_model_against_nothing(was, here, owner, removed=True)
        elif isinstance(now, BaseModel) and was is None:
            yield from _walk_model_against_nothing(now, here, owner, removed=False)
        else:
            yield from _walk(was, now, here, owner)


def _walk_model_against_nothing(
    model: BaseModel, path: FieldPath, owner: BaseModel | None, *, removed: bool
) -> Iterator[FieldChange]:
    found = False
    for name in type(model).model_fields:
        value = getattr(model, name)
        if _empty(value):
            continue
        found = True
        here = (*path, key(name))
        old, new = (value, None) if removed else (None, value)
        yield from _walk(old, new, here, owner)
    if not found:  # an entry with nothing set still appeared or went
        yield FieldChange(path, model if removed else None, None if removed else model, owner)


def _named_pair(old: Any, new: Any) -> tuple[dict[str, BaseModel], dict[str, BaseModel]] | None:
    """Both lists' items by one key (``name`` if it will do); None: not such lists."""
    for name_of in (_name, _tenant_and_name):
        was, now = _items_by(old, name_of), _items_by(new, name_of)
        if was is not None and now is not None:
            return was, now
    return None


def _name(element: BaseModel) -> object:
    return getattr(element, "name", None)


def _tenant_and_name(element: BaseModel) -> str | None:
    tenant, name = getattr(element, "tenant", None), getattr(element, "name", None)
    return f"{tenant}/{name}" if isinstance(tenant, str) and isinstance(name, str) else None


def _items_by(value: Any, name_of: Callable[[BaseModel], object]) -> dict[str, BaseModel] | None:
    if not isinstance(value, (list, tuple)):
        return None
    named: dict[str, BaseModel] = {}
    for element in value:
        name = name_of(element) if isinstance(element, BaseModel) else None
        if not isinstance(name, str) or name in named:
            return None
        named[name] = element
    return named if named or not value else None


def _walk_named(
    was: dict[str, BaseModel], now: dict[str, BaseModel], path: FieldPath
) -> Iterator[FieldChange]:
    for name in sorted(was.keys() | now.keys()):
        here = (*path, item(name))
        if name not in now:
            yield FieldChange(here, was[name], None, was[name])
        elif name not in was:
            yield FieldChange(here, None, now[name], now[name])
        else:
            yield from _walk(was[name], now[name], here, now[name])

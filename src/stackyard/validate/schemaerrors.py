"""Turn jsonschema errors into short messages that name the place in the document.

jsonschema reports where an error is as a deque of keys and phrases its messages for
schema authors ("Additional properties are not allowed ('x' was unexpected)"), often
repeating the whole offending value. Validation output is read by someone fixing a values
file or a manifest, so each error becomes one :class:`SchemaProblem` per offending field
with a path such as ``spec.rules[0].name``:

- ``required`` and ``additionalProperties`` errors point at the missing or unexpected
  field itself, the latter with the closest allowed name as a suggestion;
- a failed ``anyOf``/``oneOf`` of plain types (Kubernetes int-or-string, nullable) reads
  "expected integer or string, got object";
- values are never printed in full; messages are cut at :data:`MAX_MESSAGE`.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

MAX_MESSAGE = 200

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_JSON_TYPES = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
}


class SchemaProblem(NamedTuple):
    """One place in a document that its schema rejects."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '(root)'}: {self.message}"


def path_text(parts: Iterable[str | int]) -> str:
    """A document path as text: ``spec.rules[0].name``, ``podAnnotations["a.b/c"]``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            text += f".{part}" if text else part
        else:  # keys with dots or slashes (annotations) would read as nesting
            text += f"[{json.dumps(part)}]"
    return text


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like ``name`` (case-insensitive), if any is close enough."""
    by_lower = {c.lower(): c for c in sorted(candidates)}
    match = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[match[0]] if match else None


def json_type(value: object) -> str:
    """The JSON type name of a Python value from a parsed document."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


def problems_from(errors: Iterable[Any]) -> list[SchemaProblem]:
    """One problem per offending field, sorted by path, for jsonschema ``ValidationError``s."""
    found: set[SchemaProblem] = set()
    for error in errors:
        found.update(_translate(error))
    return sorted(found)


def _translate(error: Any) -> Iterator[SchemaProblem]:
    path = list(error.absolute_path)
    instance = error.instance
    keyword = error.validator
    if keyword == "required" and isinstance(instance, Mapping):
        for name in error.validator_value:
            if name not in instance:
                yield SchemaProblem(path_text([*path, name]), "required field is missing")
        return
    if keyword == "additionalProperties" and isinstance(instance, Mapping):
        allowed = error.schema.get("properties") or {}
        patterns = [re.compile(p) for p in error.schema.get("patternProperties") or {}]
        for name in instance:
            if name in allowed or any(p.search(name) for p in patterns):
                continue
            hint = closest(name, allowed)
            message = f"unknown field (did you mean {hint!r}?)" if hint else "unknown field"
            yield SchemaProblem(path_text([*path, name]), message)
        return
    if keyword == "type":
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        yield SchemaProblem(
            path_text(path), f"expected {' or '.join(names)}, got {json_type(instance)}"
        )
        return
    if keyword in ("anyOf", "oneOf") and error.context:
        types = _alternative_types(error)
        if types:
            message = f"expected {' or '.join(types)}, got {json_type(instance)}"
            yield SchemaProblem(path_text(path), message)
            return
    message = error.message
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 1] + "…"
    yield SchemaProblem(path_text(path), message)


def _alternative_types(error: Any) -> list[str]:
    """The types an ``anyOf`` of bare type checks allows, or ``[]`` if it is more."""
    types: list[str] = []
    for branch in error.validator_value:
        if not isinstance(branch, Mapping) or set(branch) != {"type"}:
            return []
        declared = branch["type"]
        types.extend([declared] if isinstance(declared, str) else declared)
    return types

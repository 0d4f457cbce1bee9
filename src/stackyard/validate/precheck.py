r"""A compiled validity pre-check in front of the jsonschema checks.

Most documents a tree holds are valid, and jsonschema spends most of validate's time
proving it. ``jsonschema-rs`` answers "valid or not" for the same schema many times
faster, so each schema check first asks it: a valid answer stands, and any other answer
(invalid, a value it cannot take, or a schema it cannot compile) runs the jsonschema
check as before, so every message, path and location comes from one place.

The pre-check may be stricter than jsonschema, never more lenient. Both use the same
draft and the same resolved ``$ref`` targets, and neither checks ``format``. Where the
two libraries disagree on their own, the pre-check takes jsonschema's side:

- ``pattern`` is matched by Python's ``re.search``, as jsonschema does. jsonschema-rs
  reads patterns as ECMA 262, where ``\d``, ``\w`` and ``\s`` are other sets of
  characters (``^[^\s]+$`` accepts ``"\x1c"`` and ``^\D+$`` Arabic digits, both refused
  by Python) and ``.`` and ``$`` treat line ends differently.
- ``multipleOf`` with a fractional divisor divides as jsonschema does: jsonschema-rs
  finds 0.07 a multiple of 0.01, jsonschema does not.
- a schema with ``patternProperties`` whose expressions could select other keys in the
  two dialects is not pre-checked at all (which keys are "additional" depends on them,
  inside jsonschema-rs).
- a value jsonschema-rs cannot take (a YAML date, a key that is not a string) makes the
  answer jsonschema's.

Documents are parsed YAML or JSON: lists, never tuples (jsonschema-rs takes a tuple for
an array, jsonschema does not). ``tests/validate/test_precheck.py`` pins each case above
(the pattern on a real CRD schema); ``test_precheck_parity.py`` compares validate's
findings with and without the pre-check on rendered examples and planted faults.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from fractions import Fraction
from typing import Any

import jsonschema
import jsonschema_rs

Check = Callable[[Any], bool]

_DRAFTS: dict[type[Any], Any] = {
    jsonschema.Draft4Validator: jsonschema_rs.Draft4Validator,
    jsonschema.Draft6Validator: jsonschema_rs.Draft6Validator,
    jsonschema.Draft7Validator: jsonschema_rs.Draft7Validator,
    jsonschema.Draft201909Validator: jsonschema_rs.Draft201909Validator,
    jsonschema.Draft202012Validator: jsonschema_rs.Draft202012Validator,
}

# Regular expressions that select the same keys in Python and in ECMA 262: ASCII literals,
# classes of them, groups, alternation and quantifiers, with no `.`, `$`, shorthand class
# or flag; or `.*`, which finds a (possibly empty) match in every key in both.
_SAME_IN_BOTH = re.compile(r"(?:[A-Za-z0-9_\-^\[\]()|?*+{},:/@ ]|\\[.\-/])*|\.\*")


class _Pattern:
    """``pattern`` as jsonschema checks it: ``re.search`` on strings."""

    def __init__(self, parent_schema: Any, value: Any, schema_path: Any) -> None:
        self._search = re.compile(value).search

    def validate(self, instance: Any) -> None:
        if isinstance(instance, str) and not self._search(instance):
            raise ValueError("does not match")


class _MultipleOf:
    """``multipleOf`` as jsonschema checks it (a float divisor divides, then compares)."""

    def __init__(self, parent_schema: Any, value: Any, schema_path: Any) -> None:
        self._divisor = value

    def validate(self, instance: Any) -> None:
        if isinstance(instance, bool) or not isinstance(instance, int | float):
            return
        divisor = self._divisor
        if isinstance(divisor, float):
            quotient = instance / divisor
            try:
                failed = int(quotient) != quotient
            except OverflowError:
                failed = (Fraction(instance) / Fraction(divisor)).denominator != 1
        else:
            failed = bool(instance % divisor)
        if failed:
            raise ValueError("not a multiple")


_KEYWORDS = {"pattern": _Pattern, "multipleOf": _MultipleOf}


def _never(_: Any) -> bool:
    return False


def _pattern_property_keys(node: Any) -> Iterator[str]:
    """Every key of every ``patternProperties`` mapping (and of any field so named)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Mapping):
            found = current.get("patternProperties")
            if isinstance(found, Mapping):
                yield from (str(key) for key in found)
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def _keys_agree(schema: Mapping[str, Any]) -> bool:
    """Whether every ``patternProperties`` expression in ``schema`` is read alike."""
    return all(_SAME_IN_BOTH.fullmatch(key) for key in _pattern_property_keys(schema))


_RESOURCES_AGREE: dict[int, tuple[Mapping[str, Any], bool]] = {}


def _resource_keys_agree(resource: Mapping[str, Any]) -> bool:
    """:func:`_keys_agree` of a shared resource (Kubernetes' definitions), walked once."""
    known = _RESOURCES_AGREE.get(id(resource))
    if known is None or known[0] is not resource:
        # Holding the resource keeps its id from being reused by another object.
        known = _RESOURCES_AGREE[id(resource)] = (resource, _keys_agree(resource))
    return known[1]


def compiled_check(
    draft: type[Any],
    schema: Mapping[str, Any],
    resources: Iterable[tuple[str, Mapping[str, Any]]] = (),
) -> Check:
    """``is_valid`` of ``schema`` under ``draft`` (a jsonschema validator class).

    ``resources`` are the ``(uri, schema)`` pairs that ``$ref`` may point to. Returns a
    check that is always ``False`` (always run jsonschema) when the draft has no compiled
    counterpart, the schema does not compile (a pattern ECMA 262 rejects), or its
    ``patternProperties`` could select other keys than jsonschema's.
    """
    compiled = _DRAFTS.get(draft)
    resources = list(resources)
    if (
        compiled is None
        or not _keys_agree(schema)
        or not all(_resource_keys_agree(body) for _, body in resources)
    ):
        return _never
    try:
        registry = (
            jsonschema_rs.Registry([(uri, dict(body)) for uri, body in resources])
            if resources
            else None
        )
        validator = compiled(
            dict(schema),
            validate_formats=False,
            registry=registry,
            keywords=_KEYWORDS,
            offline=True,
        )
    except (ValueError, re.error, jsonschema_rs.ReferencingError):
        return _never
    is_valid = validator.is_valid

    def check(instance: Any) -> bool:
        try:
            return bool(is_valid(instance))
        except (ValueError, TypeError, OverflowError, RecursionError):
            # A value it cannot convert: a date, a non-string key, a lone surrogate.
            return False

    return check

"""A compiled validity pre-check in front of the jsonschema checks.

Most documents a tree holds are valid, and jsonschema spends most of validate's time
proving it. ``jsonschema-rs`` answers "valid or not" for the same schema many times
faster, so each schema check first asks it: a valid answer stands, and any other answer
(invalid, or a schema it cannot compile) runs the jsonschema check as before, so every
message, path and location comes from one place. Both sides use the same draft, the same
resolved ``$ref`` targets and neither checks ``format``; ``tests/validate/test_precheck.py``
shows they agree on real and broken documents for every schema Stackyard uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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


def _never(_: Any) -> bool:
    return False


def compiled_check(
    draft: type[Any],
    schema: Mapping[str, Any],
    resources: Iterable[tuple[str, Mapping[str, Any]]] = (),
) -> Check:
    """``is_valid`` of ``schema`` under ``draft`` (a jsonschema validator class).

    ``resources`` are the ``(uri, schema)`` pairs that ``$ref`` may point to. Returns a
    check that is always ``False`` (always run jsonschema) when the draft has no compiled
    counterpart or the schema does not compile (a pattern its regex engine rejects).
    """
    compiled = _DRAFTS.get(draft)
    if compiled is None:
        return _never
    try:
        registry = (
            jsonschema_rs.Registry([(uri, dict(body)) for uri, body in resources])
            if resources
            else None
        )
        validator = compiled(dict(schema), validate_formats=False, registry=registry, offline=True)
    except (ValueError, jsonschema_rs.ReferencingError):
        return _never
    check: Check = validator.is_valid
    return check

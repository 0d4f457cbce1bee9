"""How Helm merges values files: maps merge key by key, everything else is replaced."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any


def merge_values(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """``overlay`` merged over ``base``, as a new value sharing nothing with either."""
    merged = copy.deepcopy(dict(base))
    _merge_into(merged, overlay)
    return merged


def _merge_into(target: dict[str, Any], overlay: Mapping[str, Any]) -> None:
    for key, value in overlay.items():
        current = target.get(key)
        if isinstance(value, Mapping) and isinstance(current, dict):
            _merge_into(current, value)
        else:
            target[key] = copy.deepcopy(value)

"""Values as HCL expressions, for the Terraform templates.

Strings become quoted template literals with ``${`` and ``%{`` escaped, so nothing from
the spec is ever read as an interpolation; mappings, lists, numbers, booleans and None
become HCL's object, tuple, number, bool and ``null``. An :class:`Expression` is written
as it is (a reference such as ``module.network.vpc_id``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any


class Expression(str):
    """HCL written verbatim, not quoted."""

    __slots__ = ()


def quote(text: str) -> str:
    """``text`` as an HCL string literal."""
    return json.dumps(text, ensure_ascii=False).replace("${", "$${").replace("%{", "%%{")


def hcl(value: Any, indent: int = 0) -> str:
    """``value`` as an HCL expression; nested blocks indented from ``indent`` spaces."""
    pad = " " * indent
    if isinstance(value, Expression):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        items = "".join(
            f"{pad}  {quote(str(k))} = {hcl(v, indent + 2)}\n" for k, v in value.items()
        )
        return "{\n" + items + pad + "}"
    if isinstance(value, Sequence):
        if not value:
            return "[]"
        flat = "[" + ", ".join(hcl(v) for v in value) + "]"
        if all(isinstance(v, str | int | float | bool) for v in value) and len(flat) <= 80:
            return flat
        items = "".join(f"{pad}  {hcl(v, indent + 2)},\n" for v in value)
        return "[\n" + items + pad + "]"
    raise TypeError(f"no HCL for {type(value).__name__}")

"""Check a loaded document against a pydantic model, every error at its file:line:column.

Every user file Stackyard reads into a model — the platform spec, a scenario, an
exceptions file, an earlier assessment report — goes through :func:`validate_document`,
so they all answer a mistake the same way: one :class:`~stackyard.errors.Problem` per
error, at the line and column where the offending field is written (an unknown key at
the key, a missing key at the mapping that lacks it, a bad value at the value), naming
the field's path (``clusters[0].role``), and, for a typo, the nearest valid key or
value. All problems of a file are reported together, so one run is enough to fix them.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from stackyard.errors import InputError, Problem
from stackyard.yamlio.loader import LocatedDocument

Model = TypeVar("Model", bound=BaseModel)
PathKey = tuple[str | int, ...]

# pydantic's words for "this is not a mapping", said the way a YAML author reads it.
_NOT_A_MAPPING = frozenset({"model_type", "model_attributes_type", "dict_type"})
# What a value of the wrong type should have been, by pydantic's error type.
_EXPECTED = {
    "list_type": "a list",
    "string_type": "text",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
}


def validate_document(
    model: type[Model], document: LocatedDocument, *, error: type[InputError] = InputError
) -> Model:
    """``document``'s data as ``model``, or every mismatch located in the document.

    Args:
        model: the pydantic model the data must match.
        document: the loaded document (its positions locate the problems).
        error: the ``InputError`` subclass to raise (``SpecError`` for a spec).

    Raises:
        InputError: of class ``error``, one problem per pydantic error.
    """
    try:
        return model.model_validate(document.data)
    except ValidationError as e:
        errors = e.errors(include_url=False)
        raise error([model_problem(model, document, item) for item in errors]) from None


def field_path(loc: PathKey) -> str:
    """``("clusters", 0, "role")`` → ``clusters[0].role``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def model_problem(model: type[BaseModel], document: LocatedDocument, error: Any) -> Problem:
    """One pydantic error of ``model`` as a located problem."""
    loc = tuple(part for part in error["loc"] if isinstance(part, int) or _is_field(part))
    kind = error["type"]
    field = field_path(loc)
    message = str(error["msg"]).removeprefix("Value error, ")
    hint = ""
    if kind == "extra_forbidden":
        message = f"unknown key {loc[-1]!r}"
        hint = _suggest(str(loc[-1]), _keys_at(model, loc[:-1]), "valid keys here")
        return Problem(document.locate(loc, key=True), field, message, hint)
    if kind == "missing":
        return Problem(document.locate(loc[:-1]), field, "required key is missing")
    if kind in _NOT_A_MAPPING:
        message = f"expected a mapping, found {_kind(error.get('input'))}"
        keys = _keys_at(model, loc)
        hint = f"keys: {', '.join(keys)}" if keys else ""
    elif kind in _EXPECTED:
        message = f"expected {_EXPECTED[kind]}, found {_kind(error.get('input'))}"
    elif kind in ("literal_error", "enum"):
        allowed = _choices_at(model, loc)
        value = error.get("input")
        message = f"{value!r} is not one of: {', '.join(map(str, allowed))}"
        hint = _suggest(str(value), [str(a) for a in allowed], "")
    # pydantic tags a failed mapping key with "[key]": point at the key, not its value.
    on_key = "[key]" in error["loc"]
    return Problem(document.locate(loc, key=on_key), field, message, hint)


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:40] + "…"
        return f"text {shown!r}"
    return f"a {type(value).__name__}"


def _is_field(part: object) -> bool:
    # pydantic inserts union-member and validator tags (e.g. "function-before[...]").
    return isinstance(part, str) and "[" not in part and part not in ("str", "int", "float")


def _suggest(value: str, candidates: list[str], label: str) -> str:
    close = difflib.get_close_matches(value, candidates, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    if label and candidates:
        return f"{label}: {', '.join(sorted(candidates))}"
    return ""


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    """The fields of ``model`` by the key written in a document (its alias, if any)."""
    return {field.alias or name: field for name, field in model.model_fields.items()}


def type_at(model: type[BaseModel], loc: PathKey) -> Any:
    """The annotation of the model field at ``loc``, or None if the path leaves the model."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = _fields(current).get(str(part))
            if field is None:
                return None
            current = field.annotation
        elif typing.get_origin(current) is list and isinstance(part, int):
            current = typing.get_args(current)[0]
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        else:
            return None
    return _unwrap(current)


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _keys_at(model: type[BaseModel], loc: PathKey) -> list[str]:
    found = type_at(model, loc)
    if isinstance(found, type) and issubclass(found, BaseModel):
        return list(_fields(found))
    if typing.get_origin(found) is dict:
        key_type = typing.get_args(found)[0]
        if typing.get_origin(key_type) is Literal:
            return [str(a) for a in typing.get_args(key_type)]
    return []


def _choices_at(model: type[BaseModel], loc: PathKey) -> list[object]:
    annotation = type_at(model, loc)
    if annotation is None and loc:
        parent = type_at(model, loc[:-1])  # a dict key, e.g. tenants[0].quota.<key>
        if typing.get_origin(parent) is dict:
            annotation = typing.get_args(parent)[0]
    if typing.get_origin(annotation) is Literal:
        return list(typing.get_args(annotation))
    return []

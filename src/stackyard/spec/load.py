"""Read ``platform.yaml`` into a :class:`Platform`, or explain exactly what is wrong.

Every problem names file:line:column and the field, and where the user probably made
a typo (an unknown key, a value outside a fixed set) it names the nearest valid one.
All problems of a file are reported together, so one run is enough to fix them.
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from stackyard.errors import Location, Problem, SpecError
from stackyard.spec.coherence import coherence_problems
from stackyard.spec.model import Platform
from stackyard.yamlio import LocatedDocument, load_yaml_text, read_yaml_file

MAX_SPEC_BYTES = 1024 * 1024


@dataclass(frozen=True)
class LoadedSpec:
    """A valid platform spec and the document it came from (for locating findings)."""

    platform: Platform
    document: LocatedDocument

    @property
    def source(self) -> str:
        """The file the spec was read from."""
        return self.document.source


def load_spec(path: Path) -> LoadedSpec:
    """Load and validate a spec file.

    Raises:
        YamlError: the file is not safe, readable YAML.
        SpecError: the YAML does not describe a valid platform.
    """
    documents = read_yaml_file(path, max_bytes=MAX_SPEC_BYTES, what="the spec")
    if len(documents) != 1:
        raise SpecError(
            [_problem(documents[1] if documents else None, str(path), "expected one document")]
        )
    return validate_spec(documents[0])


def load_spec_text(text: str, source: str = "<text>") -> LoadedSpec:
    """Load and validate a spec given as text (used by ``init`` to check its own output)."""
    return validate_spec(load_yaml_text(text, source))


def validate_spec(document: LocatedDocument) -> LoadedSpec:
    """Validate an already loaded document against the spec model."""
    if not isinstance(document.data, dict):
        raise SpecError(
            [_problem(document, document.source, "a platform spec is a mapping of keys")]
        )
    try:
        platform = Platform.model_validate(document.data)
    except ValidationError as e:
        raise SpecError(
            [_from_pydantic(document, error) for error in e.errors(include_url=False)]
        ) from e
    problems = coherence_problems(platform, document)
    if problems:
        raise SpecError(problems)
    return LoadedSpec(platform=platform, document=document)


def field_path(loc: tuple[str | int, ...]) -> str:
    """``("clusters", 0, "role")`` → ``clusters[0].role``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _problem(document: LocatedDocument | None, source: str, message: str) -> Problem:
    location = document.locate(()) if document else Location(source)
    return Problem(location, "", message)


def _from_pydantic(document: LocatedDocument, error: Any) -> Problem:
    loc = tuple(part for part in error["loc"] if isinstance(part, int) or _is_field(part))
    kind = error["type"]
    message = str(error["msg"]).removeprefix("Value error, ")
    hint = ""
    if kind == "extra_forbidden":
        known = _keys_at(loc[:-1])
        message = f"unknown key {loc[-1]!r}"
        hint = _suggest(str(loc[-1]), known, "valid keys here")
        return Problem(document.locate(loc, key=True), field_path(loc), message, hint)
    if kind == "missing":
        message = "required key is missing"
        return Problem(document.locate(loc[:-1]), field_path(loc), message)
    if kind in ("literal_error", "enum"):
        allowed = _choices_at(loc)
        value = error.get("input")
        message = f"{value!r} is not one of: {', '.join(map(str, allowed))}"
        hint = _suggest(str(value), [str(a) for a in allowed], "")
    # pydantic tags a failed mapping key with "[key]": point at the key, not its value.
    on_key = "[key]" in error["loc"]
    return Problem(document.locate(loc, key=on_key), field_path(loc), message, hint)


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


def _type_at(loc: tuple[str | int, ...]) -> Any:
    """The annotation of the model field at ``loc``, or None if the path leaves the model."""
    current: Any = Platform
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
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


def _keys_at(loc: tuple[str | int, ...]) -> list[str]:
    model = _type_at(loc)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    if typing.get_origin(model) is dict:
        key_type = typing.get_args(model)[0]
        if typing.get_origin(key_type) is Literal:
            return [str(a) for a in typing.get_args(key_type)]
    return []


def _choices_at(loc: tuple[str | int, ...]) -> list[object]:
    annotation = _type_at(loc)
    if annotation is None and loc:
        parent = _type_at(loc[:-1])  # a dict key, e.g. tenants[0].quota.<key>
        if typing.get_origin(parent) is dict:
            annotation = typing.get_args(parent)[0]
    if typing.get_origin(annotation) is Literal:
        return list(typing.get_args(annotation))
    return []

"""The OpenAPI documents the spec's APIs name, read and checked when the spec loads.

An API's ``openapi`` field is a path relative to the spec file's folder, so the spec
and the documents travel together in the platform repository. The file may be written
by anyone who can open a pull request, so it is read as hostile input:

- the path must stay inside the spec's folder once symbolic links are resolved (no
  ``..``, no absolute path, no link out of the repository);
- only a regular file of at most :data:`MAX_OPENAPI_BYTES` is read (``stackyard.fsio``:
  a FIFO or a device is refused without blocking);
- YAML or JSON is parsed by ``stackyard.yamlio`` (bombs, deep nesting and foreign tags
  refused);
- every ``$ref`` must point inside the document (``#/...``) and the validator is given
  no resolver at all, so checking a document never reads another file or the network;
- the document must be OpenAPI 3 (3.0, 3.1 or 3.2) and pass ``openapi-spec-validator``.

Each problem is located at the spec's ``openapi`` field and quotes the document's own
file and line or the validator's message, so the user knows which API and what to fix.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from stackyard.errors import InputError, Problem
from stackyard.spec.model import Platform
from stackyard.spec.specfiles import RefusedFileError, beside_spec
from stackyard.spec.text import shown
from stackyard.yamlio import LocatedDocument, load_yaml_text, read_text_file

MAX_OPENAPI_BYTES = 4 * 1024 * 1024
"""The largest OpenAPI document read (4 MiB; large public APIs stay well under it)."""
_MAX_MESSAGES = 3


@dataclass(frozen=True)
class OpenApiDocument:
    """One API's OpenAPI document as read: its text for the catalog, its data to inspect."""

    api: str
    path: str
    text: str
    data: Mapping[str, Any]

    @property
    def version(self) -> str:
        """The document's OpenAPI version, e.g. ``3.1.0``."""
        return str(self.data["openapi"])

    @property
    def title(self) -> str:
        """The API title the document gives."""
        info = self.data.get("info")
        return str(info.get("title", "")) if isinstance(info, Mapping) else ""


def read_openapi_documents(
    platform: Platform, document: LocatedDocument, folder: Path | None
) -> tuple[dict[str, OpenApiDocument], list[Problem]]:
    """Read and check the OpenAPI document of every API of ``platform``.

    Args:
        platform: the validated spec.
        document: the spec's document, to locate problems at each ``openapi`` field.
        folder: the spec file's folder; None for a spec given as text.

    Returns:
        The documents by API name, and a problem for each API whose document is missing,
        unsafe or invalid.
    """
    documents: dict[str, OpenApiDocument] = {}
    problems: list[Problem] = []
    for index, api in enumerate(platform.apis):
        at = ("apis", index, "openapi")
        try:
            documents[api.name] = _read(api.name, api.openapi, folder)
        except RefusedFileError as e:
            problems.append(Problem(document.locate(at), f"apis[{index}].openapi", str(e), e.hint))
    return documents, problems


def _read(api: str, relative: str, folder: Path | None) -> OpenApiDocument:
    real = beside_spec(relative, folder, "an OpenAPI document")
    try:
        text = read_text_file(Path(real), max_bytes=MAX_OPENAPI_BYTES, what="the OpenAPI document")
        data = load_yaml_text(text, relative).data
    except InputError as e:
        raise RefusedFileError(f"{relative}: {_first(e)}") from e
    if not isinstance(data, Mapping) or not isinstance(data.get("openapi"), str):
        raise RefusedFileError(
            f"{relative} is not an OpenAPI 3 document: it has no 'openapi' version field",
            'start it with openapi: "3.1.0"',
        )
    version = str(data["openapi"])
    validator = openapi_validators().get(".".join(version.split(".")[:2]))
    if validator is None:
        raise RefusedFileError(
            f"{relative} is OpenAPI {version!r}; only OpenAPI 3.0, 3.1 and 3.2 are read",
            "convert Swagger 2.0 documents with a converter such as swagger2openapi",
        )
    outside = next(_outside_references(data), None)
    if outside is not None:
        raise RefusedFileError(
            f"{relative}: $ref {outside!r} points outside the document",
            "only references inside the document (#/...) are followed; bundle the parts "
            "into one file",
        )
    errors = _validation_errors(validator, data)
    if errors:
        raise RefusedFileError(f"{relative} is not a valid OpenAPI {version} document: {errors}")
    return OpenApiDocument(api=api, path=relative, text=text, data=data)


def _first(error: InputError) -> str:
    problem = error.problems[0] if error.problems else None
    if problem is None:
        return str(error)
    where = f"line {problem.location.line}: " if problem.location.line else ""
    return where + problem.message


def _outside_references(data: object) -> Iterator[str]:
    """Every ``$ref`` that is not a reference inside the document (``#...``)."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            reference = node.get("$ref")
            if reference is not None and not (
                isinstance(reference, str) and reference.startswith("#")
            ):
                yield str(reference)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _validation_errors(validator: Any, data: Mapping[str, Any]) -> str:
    """The validator's first messages, each after the path of the value it is about."""
    from referencing.exceptions import Unresolvable

    messages = []
    try:
        for error in validator(data).iter_errors():
            path = ".".join(str(part) for part in error.absolute_path)
            messages.append(f"{path}: {error.message}" if path else str(error.message))
            if len(messages) == _MAX_MESSAGES:
                break
    except Unresolvable as e:
        reference = f"#{e.ref}" if e.ref.startswith("/") else e.ref  # a pointer, without "#"
        messages.append(f"$ref {reference!r} points to nothing in the document")
    except (RecursionError, ValueError, TypeError, KeyError) as e:
        # The validator walks a stranger's document; what it trips over is still a
        # finding about that document, never a traceback.
        messages.append(f"the validator stopped: {shown(str(e) or type(e).__name__)}")
    return "; ".join(messages)


@cache
def openapi_validators() -> dict[str, Any]:
    """openapi-spec-validator's classes by minor version, with no resolver at all.

    ``stackyard validate`` checks the OpenAPI documents of a rendered tree with them too.

    Without a resolver no file or URL is ever opened, even through a ``$id`` that would
    rebase a local reference elsewhere. Imported on first use: only specs with APIs pay.

    The document is checked against the OpenAPI schema by jsonschema, always: left to
    itself, openapi-spec-validator switches to jsonschema-rs whenever that package is
    importable (or its environment variable asks for it), and jsonschema-rs words every
    message differently (double quotes, the schema and the whole instance appended).
    """
    from jsonschema.validators import validator_for
    from openapi_spec_validator import (
        OpenAPIV30SpecValidator,
        OpenAPIV31SpecValidator,
        OpenAPIV32SpecValidator,
    )
    from openapi_spec_validator.schemas import schema_v30, schema_v31, schema_v32

    classes = {
        "3.0": (OpenAPIV30SpecValidator, schema_v30),
        "3.1": (OpenAPIV31SpecValidator, schema_v31),
        "3.2": (OpenAPIV32SpecValidator, schema_v32),
    }
    validators = {}
    for version, (cls, proxy) in classes.items():
        schema = dict(proxy)
        namespace = {"resolver_handlers": {}, "schema_validator": validator_for(schema)(schema)}
        validators[version] = type(f"Local{cls.__name__}", (cls,), namespace)
    return validators

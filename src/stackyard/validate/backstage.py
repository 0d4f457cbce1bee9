"""Check Backstage catalog entities and the OpenAPI documents of a tree.

Backstage reads its software catalog from entity files in the repository: documents whose
``apiVersion`` is ``backstage.io/...`` (https://backstage.io/docs/features/software-catalog/descriptor-format).
They are not Kubernetes objects, so the Kubernetes schemas do not apply; Backstage checks
them with the JSON schemas of its catalog model (``@backstage/catalog-model``), and so does
this module, with those schemas derived into ``validate/data/backstage``.

Before the catalog validates an entity it replaces the placeholders ``$text``, ``$json``
and ``$yaml`` with the content they name, relative to the entity's own file
(https://backstage.io/docs/features/software-catalog/descriptor-format#substitutions-in-the-descriptor-format).
A relative placeholder must name a file of the tree; a URL is left as it is (its
content is not checked). An API entity of type ``openapi`` must define an OpenAPI
document: written inline, it is checked here; named by ``$text``, that file is checked
where it lies, like every OpenAPI document of the tree.

OpenAPI documents (a mapping with an ``openapi`` or ``swagger`` version and ``info`` or
``paths``) are checked as the spec checks the documents its APIs name
(``stackyard.spec.openapi``): OpenAPI 3.0, 3.1 or 3.2, with openapi-spec-validator given
no resolver at all, so checking a document never reads another file or the network, and
a ``$ref`` outside the document is reported instead of followed.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from stackyard.errors import InputError
from stackyard.findings import Finding
from stackyard.spec.openapi import openapi_validators
from stackyard.validate.repository import Repository, is_openapi_document
from stackyard.validate.schemaerrors import SchemaProblem, path_text, problems_from
from stackyard.yamlio import LocatedDocument, load_yaml_text

GROUP_SUFFIX = "backstage.io"
PLACEHOLDERS = ("$text", "$json", "$yaml")
_MAX_MESSAGES = 5
UNRESOLVED = "(unresolved placeholder)"  # stands in for content already reported missing

Status = Literal["valid", "invalid", "unknown"]
Reader = Callable[[str], list[LocatedDocument] | None]
"""The parsed documents of a tree file by its path from the root; None when not a file
of the tree that was parsed (``exists`` tells the two apart)."""


@dataclass(frozen=True)
class EntityCheck:
    """What the check of one entity found; ``unknown`` when no schema covers its kind."""

    status: Status
    problems: tuple[SchemaProblem, ...] = ()


def is_entity(data: object) -> bool:
    """Whether a document is a Backstage catalog entity (``apiVersion: backstage.io/...``)."""
    if not isinstance(data, Mapping):
        return False
    api_version = data.get("apiVersion")
    if not isinstance(api_version, str) or "/" not in api_version:
        return False
    group = api_version.rpartition("/")[0]
    return group == GROUP_SUFFIX or group.endswith("." + GROUP_SUFFIX)


def entity_kinds() -> list[str]:
    """Every ``apiVersion/kind`` the reference data holds a schema for."""
    return sorted(_index()["kinds"])


def check_entity(
    data: Mapping[str, Any], path: str, read: Reader, exists: Callable[[str], bool]
) -> EntityCheck:
    """Check one entity as Backstage's catalog would, placeholders resolved.

    Args:
        data: the entity document.
        path: its file's path from the root of the tree, to resolve relative placeholders.
        read: the parsed documents of a tree file (for ``$json`` and ``$yaml``).
        exists: whether a path from the root is a file of the tree.
    """
    key = f"{data.get('apiVersion')}/{data.get('kind')}"
    schema = _index()["kinds"].get(key)
    if schema is None:
        return EntityCheck("unknown")
    problems: list[SchemaProblem] = []
    folder = posixpath.dirname(path)
    resolved = _substitute(data, (), folder, read, exists, problems)
    problems += problems_from(_validator(schema).iter_errors(resolved))
    if data.get("kind") == "API" and isinstance(resolved.get("spec"), Mapping):
        problems += _definition_problems(data, resolved["spec"], folder, read)
    return EntityCheck("invalid" if problems else "valid", tuple(sorted(set(problems))))


def check_openapi_documents(repository: Repository) -> list[Finding]:
    """A finding per problem of every OpenAPI document in the tree, at its field."""
    findings = []
    for _, documents in sorted(repository.files.items()):
        for document in documents:
            if not is_openapi_document(document.data):
                continue
            for problem in openapi_problems(document.data):
                at = _parts(problem.path)
                where = f" at {problem.path}" if problem.path else ""
                message = f"OpenAPI document{where}: {problem.message}"
                findings.append(Finding(document.locate(at), "openapi", message))
    return findings


def _parts(path: str) -> tuple[str | int, ...]:
    """``paths["/orders"].get`` → ``("paths", "/orders", "get")`` (best effort)."""
    parts: list[str | int] = []
    for token in re.findall(r'\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\]|([^.\[\]]+)', path):
        quoted, index, plain = token
        if index:
            parts.append(int(index))
        else:
            parts.append(json.loads(f'"{quoted}"') if quoted else plain)
    return tuple(parts)


def openapi_problems(data: Mapping[str, Any]) -> list[SchemaProblem]:
    """What openapi-spec-validator finds wrong with one OpenAPI document."""
    version = str(data.get("openapi") or data.get("swagger"))
    field = "openapi" if "openapi" in data else "swagger"
    validator = openapi_validators().get(".".join(version.split(".")[:2]))
    if validator is None:
        known = ", ".join(sorted(openapi_validators()))
        return [SchemaProblem(field, f"OpenAPI version {version!r} is not one of {known}")]
    outside = [(where, ref) for where, ref in _references(data, ()) if not ref.startswith("#")]
    if outside:
        return [
            SchemaProblem(path_text(where), f"$ref {ref!r} points outside the document")
            for where, ref in outside[:_MAX_MESSAGES]
        ]
    from referencing.exceptions import Unresolvable

    found: list[SchemaProblem] = []
    try:
        for error in validator(data).iter_errors():
            found.append(SchemaProblem(path_text(error.absolute_path), str(error.message)))
            if len(found) == _MAX_MESSAGES:
                break
    except Unresolvable as e:
        reference = f"#{e.ref}" if e.ref.startswith("/") else e.ref
        found.append(SchemaProblem("", f"$ref {reference!r} points to nothing in the document"))
    except (RecursionError, ValueError, TypeError, KeyError) as e:
        # A stranger's document can trip the validator; that is a finding, not a crash.
        found.append(SchemaProblem("", f"the OpenAPI validator stopped: {type(e).__name__}"))
    return found


def _substitute(
    node: Any,
    at: tuple[str | int, ...],
    folder: str,
    read: Reader,
    exists: Callable[[str], bool],
    problems: list[SchemaProblem],
) -> Any:
    """``node`` with every placeholder replaced by what Backstage would put there."""
    if isinstance(node, list):
        return [
            _substitute(v, (*at, i), folder, read, exists, problems) for i, v in enumerate(node)
        ]
    if not isinstance(node, Mapping):
        return node
    if len(node) == 1 and next(iter(node)) in PLACEHOLDERS:
        placeholder, target = next(iter(node.items()))
        if not isinstance(target, str) or not target:
            problems.append(SchemaProblem(path_text(at), f"{placeholder} needs a path or URL"))
            return UNRESOLVED
        if "://" in target:
            return target  # fetched by Backstage; its content is not checked here
        relative = _inside(folder, target)
        if relative is None or not exists(relative):
            where = "outside the tree" if relative is None else "not a file of the tree"
            message = f"{placeholder} {target!r}: {where}"
            problems.append(SchemaProblem(path_text(at), message))
            return UNRESOLVED
        if placeholder == "$text":
            return f"(the text of {relative})"  # checked where it lies when it is OpenAPI
        documents = read(relative) or []
        return documents[0].data if documents else None
    return {
        key: _substitute(value, (*at, key), folder, read, exists, problems)
        for key, value in node.items()
    }


def _inside(folder: str, target: str) -> str | None:
    """``target`` relative to ``folder`` as a path from the root; None if it leaves the tree."""
    if target.startswith("/"):
        return None
    joined = posixpath.normpath(posixpath.join(folder, target))
    return None if joined == ".." or joined.startswith("../") else joined


def _definition_problems(
    data: Mapping[str, Any], spec: Mapping[str, Any], folder: str, read: Reader
) -> list[SchemaProblem]:
    """An ``openapi`` API's definition must be an OpenAPI document."""
    if spec.get("type") != "openapi":
        return []
    original = data.get("spec")
    written = original.get("definition") if isinstance(original, Mapping) else None
    if isinstance(written, Mapping) and isinstance(written.get("$text"), str):
        target = written["$text"]
        relative = None if "://" in target else _inside(folder, target)
        documents = read(relative) if relative is not None else None
        if documents is None:
            return []  # a URL, a file that is not YAML or JSON, or one already reported
        if any(is_openapi_document(d.data) for d in documents):
            return []  # the document itself is checked where it lies
        message = f"{target} is not an OpenAPI document (no 'openapi' version and 'info')"
        return [SchemaProblem("spec.definition", message)]
    definition = spec.get("definition")
    if not isinstance(definition, str) or not definition.strip():
        return []  # the schema reports it
    try:
        document = load_yaml_text(definition, "spec.definition").data
    except InputError as e:
        detail = e.problems[0].message if e.problems else str(e)
        return [SchemaProblem("spec.definition", f"the OpenAPI definition is not YAML: {detail}")]
    if not is_openapi_document(document):
        return [SchemaProblem("spec.definition", "not an OpenAPI document")]
    return [
        SchemaProblem(path_text(("spec", "definition")), f"{p.path or '(root)'}: {p.message}")
        for p in openapi_problems(document)
    ]


def _references(
    node: Any, at: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every ``$ref`` of a document and where it is."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [(at, node)]
    while stack:
        where, current = stack.pop()
        if isinstance(current, Mapping):
            reference = current.get("$ref")
            if reference is not None:
                yield (*where, "$ref"), str(reference)
            stack.extend(((*where, str(k)), v) for k, v in current.items())
        elif isinstance(current, list):
            stack.extend(((*where, i), v) for i, v in enumerate(current))


def _data(name: str) -> Any:
    folder = resources.files("stackyard.validate") / "data" / "backstage"
    return json.loads((folder / name).read_text(encoding="utf-8"))


@cache
def _index() -> dict[str, Any]:
    index: dict[str, Any] = _data("index.json")
    return index


@cache
def _registry() -> Registry[Any]:
    """Every catalog-model schema by its ``$id`` (``Entity``, ``EntityMeta``, ``common``)."""
    documents = [_data(name) for name in sorted(_index()["schemas"])]
    return Registry().with_resources(
        (document["$id"], Resource.from_contents(document, default_specification=DRAFT7))
        for document in documents
    )


@cache
def _validator(name: str) -> Any:
    return Draft7Validator(_data(name), registry=_registry())

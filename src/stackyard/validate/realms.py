"""Check the realm files Keycloak imports against Keycloak's own realm schema.

Render writes each Keycloak realm as a JSON file inside a ConfigMap
(``keycloak-realm-<realm>``, key ``<realm>-realm.json``) that the Keycloak chart mounts for
``--import-realm``. To the API server that JSON is an opaque string, so the object check
passes whatever it holds; Keycloak would refuse a bad file only when a pod starts. The
realm's schema is Keycloak's ``RealmRepresentation``, which the Keycloak operator publishes
as ``spec.realm`` of its ``KeycloakRealmImport`` CRD (``k8s.keycloak.org``, shipped in
``validate/data/crds``); each realm file is checked against that sub-schema, translated as
:mod:`.crdschemas` translates every CRD (unknown fields refused, types checked).

A problem is located at its line inside the ConfigMap file: a literal block (``|``, as
render writes it) maps line for line onto the file, so the JSON line of the offending
field is found from its position in the JSON text; any other string style points at the
key's line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator

from stackyard.errors import Location, YamlError
from stackyard.findings import Finding
from stackyard.render.apis import realm_configmap_name
from stackyard.validate.crdschemas import find_crd, json_schema
from stackyard.validate.repository import Repository
from stackyard.validate.schemaerrors import SchemaProblem, problems_from
from stackyard.yamlio import LocatedDocument, load_yaml_documents
from stackyard.yamlio.loader import read_text_file

CHECK = "realm"
REALM_CRD = ("k8s.keycloak.org/v2alpha1", "KeycloakRealmImport")
PREFIX = realm_configmap_name("")
SUFFIX = "-realm.json"
_PART = re.compile(r'\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\]|\.?([A-Za-z0-9_-]+)')


@cache
def _validator() -> Draft4Validator:
    crd = find_crd(*REALM_CRD)
    if crd is None:  # the reference data ships it; a build without it is broken
        raise LookupError(f"no CRD schema for {'/'.join(REALM_CRD)} in the reference data")
    schema = json_schema(crd)["properties"]["spec"]["properties"]["realm"]
    return Draft4Validator(schema)


def is_realm_configmap(data: object) -> bool:
    """Whether ``data`` is a ConfigMap holding realm files for Keycloak's import."""
    if not isinstance(data, Mapping) or data.get("kind") != "ConfigMap":
        return False
    metadata = data.get("metadata")
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    return str(data.get("apiVersion")) == "v1" and str(name or "").startswith(PREFIX)


def check_realm(realm: Mapping[str, Any]) -> list[SchemaProblem]:
    """The problems of one realm document against ``RealmRepresentation``."""
    return problems_from(_validator().iter_errors(dict(realm)))


@lru_cache(maxsize=64)
def _problems_of(text: str) -> tuple[SchemaProblem, ...]:
    """The problems of a realm file's text (a fleet's tree holds the same file per cluster)."""
    return tuple(check_realm(json.loads(text)))


def check_realms(repository: Repository) -> Iterator[Finding]:
    """Findings for every realm file in the tree's realm ConfigMaps."""
    for path, document in repository.objects():
        if not is_realm_configmap(document.data):
            continue
        files = document.data.get("data")
        if not isinstance(files, Mapping):
            continue
        lines: list[str] | None = None
        for key, text in files.items():
            if not (isinstance(key, str) and key.endswith(SUFFIX) and isinstance(text, str)):
                continue
            if lines is None:
                lines = _lines(repository.root / path)
            yield from _check_file(document, key, text, lines)


def _lines(path: Path) -> list[str]:
    try:
        return read_text_file(path).splitlines()
    except (OSError, YamlError):
        return []


def _check_file(
    document: LocatedDocument, key: str, text: str, lines: list[str]
) -> Iterator[Finding]:
    where = document.locate(("data", key))
    name = f"ConfigMap {document.data['metadata']['name']} {key}"
    literal = 0 < where.line <= len(lines) and lines[where.line - 1][where.column - 1 :].startswith(
        "|"
    )
    try:
        realm = json.loads(text)
    except json.JSONDecodeError as e:
        line = where.line + e.lineno if literal else where.line
        yield Finding(Location(where.file, line, 1), CHECK, f"{name}: not JSON: {e.msg}")
        return
    if not isinstance(realm, dict):
        yield Finding(where, CHECK, f"{name}: a realm file is one JSON object")
        return
    problems = _problems_of(text)
    if not problems:
        return
    located = _located_json(text, document.source, where, lines, literal)
    for problem in problems:
        at = located.locate(_parts(problem.path)) if located is not None else where
        field = f" at {problem.path}" if problem.path else ""
        yield Finding(at, CHECK, f"{name}{field}: {problem.message}")


def _located_json(
    text: str, source: str, where: Location, lines: list[str], literal: bool
) -> LocatedDocument | None:
    """The JSON text with positions in the ConfigMap file (None: not locatable)."""
    if not literal:
        return None
    try:
        (inner,) = load_yaml_documents(text, source)
    except (YamlError, ValueError):
        return None
    content = lines[where.line] if where.line < len(lines) else ""
    indent = len(content) - len(content.lstrip(" "))
    return inner.shifted(where.line, indent)


def _parts(path: str) -> tuple[str | int, ...]:
    """``a["b.c"][0].d`` → ``("a", "b.c", 0, "d")``: keys with dots are quoted."""
    parts: list[str | int] = []
    for match in _PART.finditer(path):
        quoted, index, plain = match.groups()
        if quoted is not None:
            parts.append(json.loads(f'"{quoted}"'))
        elif index is not None:
            parts.append(int(index))
        else:
            parts.append(plain)
    return tuple(parts)

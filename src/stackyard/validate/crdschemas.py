r"""Check custom resources against the OpenAPI v3 schemas of their CRDs.

A custom resource with a misspelt field, a wrong type or a missing required field is
rejected by the API server only when Argo CD syncs it, long after Stackyard wrote it. The
schemas of every served version of the CRDs Stackyard's components install are shipped in
``validate/data/crds`` (derived by ``scripts/build_reference_data.py``; ``crds/index.json``
maps ``group/version/Kind`` to the file, scope and upstream commit), so the same check runs
offline at render time.

Policy: a resource is judged as ``kubectl apply`` with strict field validation would judge
it, so the OpenAPI dialect is translated into JSON Schema (Draft 4, whose boolean
``exclusiveMinimum`` OpenAPI 3.0 shares) before jsonschema runs it:

- an object that lists ``properties`` rejects other fields, unless it sets
  ``x-kubernetes-preserve-unknown-fields`` or ``additionalProperties``;
- ``x-kubernetes-int-or-string`` accepts an integer or a string;
- ``nullable: true`` accepts ``null``; elsewhere ``null`` is reported even though the API
  server would silently drop it, because the dropped field is a drift in Git;
- ``x-kubernetes-list-type: set`` requires unique items;
- ``format`` (``int32``, ``date-time``...) is not checked, CEL rules
  (``x-kubernetes-validations``) are not evaluated, and a ``pattern`` Python cannot
  compile (RE2's ``\PC`` Unicode classes) is skipped;
- ``apiVersion``, ``kind`` and ``metadata`` are allowed at the root (Istio's and
  Keycloak's schemas omit them); ``metadata`` is checked here, not by the schema: it must
  carry a DNS-subdomain ``name`` (or a ``generateName``).

Gateway API resources are checked against the standard channel unless the experimental
channel is asked for. A CRD that the checked tree itself defines (a user's own operator in
a plain folder) serves its resources the same way. An ``apiVersion``/``kind`` with no CRD
here is reported as ``unknown``, never as valid.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from jsonschema import Draft4Validator

from stackyard.validate.precheck import Check, compiled_check
from stackyard.validate.schemaerrors import SchemaProblem, problems_from

Channel = Literal["standard", "experimental"]
Status = Literal["valid", "invalid", "unknown"]

_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_ROOT_FIELDS = {"apiVersion": {"type": "string"}, "kind": {"type": "string"}}


@dataclass(frozen=True)
class CrdInfo:
    """One served version of a CRD and where its schema came from."""

    api_version: str
    kind: str
    scope: Literal["Namespaced", "Cluster"]
    storage: bool
    deprecated: bool
    project: str
    ref: str
    commit: str
    file: str
    experimental_file: str | None


@dataclass(frozen=True)
class CrdCheck:
    """The verdict on one resource: ``valid``, ``invalid`` (see problems) or ``unknown``."""

    api_version: str
    kind: str
    status: Status
    problems: tuple[SchemaProblem, ...]
    crd: CrdInfo | None

    @property
    def ok(self) -> bool:
        """Whether the resource was checked and nothing is wrong with it."""
        return self.status == "valid"


def _data(name: str) -> Any:
    folder = resources.files("stackyard.validate") / "data" / "crds"
    return json.loads((folder / name).read_text(encoding="utf-8"))


@cache
def _index() -> dict[str, dict[str, Any]]:
    index: dict[str, dict[str, Any]] = _data("index.json")
    return index


def find_crd(api_version: str, kind: str) -> CrdInfo | None:
    """The served CRD version for ``apiVersion`` and ``kind``, if Stackyard knows it."""
    entry = _index().get(f"{api_version}/{kind}")
    if entry is None:
        return None
    return CrdInfo(
        api_version=api_version,
        kind=kind,
        scope=entry["scope"],
        storage=entry["storage"],
        deprecated=entry["deprecated"],
        project=entry["project"],
        ref=entry.get("ref", ""),
        commit=entry.get("commit", ""),
        file=entry["file"],
        experimental_file=entry.get("experimental"),
    )


def known_crds() -> list[CrdInfo]:
    """Every served CRD version with a stored schema, by ``group/version/Kind``."""
    found = []
    for key in _index():
        api_version, _, kind = key.rpartition("/")
        info = find_crd(api_version, kind)
        if info is not None:
            found.append(info)
    return found


def json_schema(crd: CrdInfo, *, channel: Channel = "standard") -> dict[str, Any]:
    """The JSON Schema a resource of ``crd`` is validated against (see the module policy)."""
    return openapi_to_jsonschema(_data(_file(crd, channel)), root=True)


def _file(crd: CrdInfo, channel: Channel) -> str:
    if channel == "experimental" and crd.experimental_file:
        return crd.experimental_file
    return crd.file


def served_versions(group: str, kind: str) -> list[str]:
    """The versions of ``group``'s ``kind`` that have a served schema here."""
    found = []
    for key in _index():
        key_group, _, rest = key.partition("/")
        version, _, key_kind = rest.partition("/")
        if key_group == group and key_kind == kind:
            found.append(version)
    return sorted(found)


def crd_schemas_in(documents: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """The served schemas of the CRDs among ``documents``, by ``group/version/Kind``."""
    schemas: dict[str, Mapping[str, Any]] = {}
    for document in documents:
        if document.get("kind") != "CustomResourceDefinition":
            continue
        if str(document.get("apiVersion")) != "apiextensions.k8s.io/v1":
            continue
        spec = document.get("spec")
        if not isinstance(spec, Mapping) or not isinstance(spec.get("names"), Mapping):
            continue
        for version in spec.get("versions") or []:
            if not isinstance(version, Mapping) or not version.get("served", False):
                continue
            schema = (version.get("schema") or {}).get("openAPIV3Schema")
            if isinstance(schema, Mapping):
                key = f"{spec.get('group')}/{version.get('name')}/{spec['names'].get('kind')}"
                schemas[key] = schema
    return schemas


def check_resource(
    resource: Mapping[str, Any],
    *,
    channel: Channel = "standard",
    defined: Mapping[str, Mapping[str, Any]] | None = None,
) -> CrdCheck:
    """Validate one custom resource against its CRD schema.

    Args:
        resource: the parsed manifest.
        channel: which Gateway API channel's schemas to use where they differ.
        defined: CRD schemas the checked tree defines (see :func:`crd_schemas_in`), used
            for kinds the reference data does not hold.

    Returns:
        ``valid``; ``invalid`` with one problem per offending field (path such as
        ``spec.template.spec.destination``); or ``unknown`` when no CRD schema is known.
    """
    api_version = resource.get("apiVersion")
    kind = resource.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        problems = [
            SchemaProblem(field, "required field is missing or not a string")
            for field, value in (("apiVersion", api_version), ("kind", kind))
            if not isinstance(value, str)
        ]
        return CrdCheck(str(api_version), str(kind), "invalid", tuple(problems), None)
    crd = find_crd(api_version, kind)
    own = (defined or {}).get(f"{api_version}/{kind}")
    if crd is None and own is not None:
        problems = _metadata_problems(resource.get("metadata"))
        validator = Draft4Validator(openapi_to_jsonschema(own, root=True))
        problems += problems_from(validator.iter_errors(dict(resource)))
        status: Status = "invalid" if problems else "valid"
        return CrdCheck(api_version, kind, status, tuple(sorted(problems)), None)
    if crd is None:
        group = api_version.rpartition("/")[0]
        served = served_versions(group, kind) if group else []
        if served:
            versions = ", ".join(f"{group}/{v}" for v in served)
            message = f"{api_version} does not serve {kind}; served: {versions}"
            problem = SchemaProblem("apiVersion", message)
            return CrdCheck(api_version, kind, "invalid", (problem,), None)
        problem = SchemaProblem("", f"no CRD schema for {api_version}/{kind}")
        return CrdCheck(api_version, kind, "unknown", (problem,), None)
    problems = _metadata_problems(resource.get("metadata"))
    validator, check = _validator(_file(crd, channel))
    body = dict(resource)
    if not check(body):
        problems += problems_from(validator.iter_errors(body))
    status = "invalid" if problems else "valid"
    return CrdCheck(api_version, kind, status, tuple(sorted(problems)), crd)


def _metadata_problems(metadata: object) -> list[SchemaProblem]:
    if not isinstance(metadata, Mapping):
        return [SchemaProblem("metadata", "required field is missing or not an object")]
    name = metadata.get("name")
    if name is None and isinstance(metadata.get("generateName"), str):
        return []
    if not isinstance(name, str) or not name:
        return [SchemaProblem("metadata.name", "required field is missing")]
    if len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
        message = "must be a lowercase DNS subdomain (a-z, 0-9, '-', '.'; at most 253)"
        return [SchemaProblem("metadata.name", message)]
    return []


@cache
def _validator(file: str) -> tuple[Any, Check]:
    schema = openapi_to_jsonschema(_data(file), root=True)
    return Draft4Validator(schema), compiled_check(Draft4Validator, schema)


def openapi_to_jsonschema(node: Mapping[str, Any], *, root: bool = False) -> dict[str, Any]:
    """Translate a Kubernetes structural OpenAPI v3 schema into JSON Schema (Draft 4).

    Args:
        node: an ``openAPIV3Schema`` or one of its nodes.
        root: whether ``node`` is the resource's top level.

    Returns:
        A new schema; ``node`` is not changed.
    """
    out = dict(node)
    properties = {k: openapi_to_jsonschema(v) for k, v in (node.get("properties") or {}).items()}
    if isinstance(node.get("additionalProperties"), Mapping):
        out["additionalProperties"] = openapi_to_jsonschema(node["additionalProperties"])
    if isinstance(node.get("items"), Mapping):
        out["items"] = openapi_to_jsonschema(node["items"])
    if node.get("x-kubernetes-embedded-resource") or root:
        properties = {**_ROOT_FIELDS, **properties, "metadata": {"type": "object"}}
    if properties:
        out["properties"] = properties
        preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
        if not preserve and "additionalProperties" not in node:
            out["additionalProperties"] = False
    if node.get("x-kubernetes-int-or-string") is True:
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if isinstance(node.get("pattern"), str) and not _compiles(node["pattern"]):
        del out["pattern"]
    if node.get("x-kubernetes-list-type") == "set":
        out["uniqueItems"] = True
    if node.get("nullable") is True:
        _allow_null(out)
    return out


@cache
def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def _allow_null(out: dict[str, Any]) -> None:
    declared = out.get("type")
    if isinstance(declared, str):
        out["type"] = [declared, "null"]
    elif "anyOf" in out and "type" not in out:
        out["anyOf"] = [*out["anyOf"], {"type": "null"}]
    if "enum" in out and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]

"""Validate built-in Kubernetes objects against the OpenAPI schema of a version.

The schemas are kubernetes-validate's (the strict variant: unknown fields are
errors). ``kubernetes_validate.validate`` re-reads and re-parses the multi-megabyte
definitions file on every call and stops at the first error; a rendered fleet has
thousands of objects, so this module loads each schema once through the library's
own loader, keeps one compiled validator per kind, and reports every error.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import jsonschema
import referencing
from kubernetes_validate import utils as kv_utils

from stackyard.validate.precheck import Check, compiled_check
from stackyard.validate.schemaerrors import SchemaProblem, problems_from


class UnknownKindError(Exception):
    """No built-in schema exists for this apiVersion/kind (it may be a custom resource)."""


class UnsupportedVersionError(Exception):
    """kubernetes-validate has no schemas for this Kubernetes version."""


@cache
def schema_version(version: str) -> str:
    """The newest schema version not newer than ``version`` (``major.minor``).

    Raises:
        UnsupportedVersionError: newer than every schema the library ships.
    """
    wanted = _minor(version)
    candidates = [v for v in kv_utils.all_versions() if _minor(v) <= wanted]
    if not candidates or wanted > _minor(kv_utils.latest_version()):
        raise UnsupportedVersionError(version)
    return str(candidates[-1])


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.lstrip("v").split(".")[:2]
    return int(major), int(minor)


@cache
def _definitions_schema(schema_dir: str) -> dict[str, Any]:
    definitions: dict[str, Any] = kv_utils.schema_contents(
        f"kubernetes-json-schema/{schema_dir}/_definitions.json", schema_dir
    )
    return definitions


@cache
def _definitions(schema_dir: str) -> referencing.Registry[Any]:
    definitions = _definitions_schema(schema_dir)
    return referencing.Resource.from_contents(definitions) @ referencing.Registry()


Compiled = tuple[jsonschema.Draft202012Validator, Check]


def _validator(schema_dir: str, kind: str, api_version: str) -> Compiled:
    validator = _known_validator(schema_dir, kind, api_version)
    if validator is None:
        raise UnknownKindError(f"{api_version}/{kind}")
    return validator


@cache
def _known_validator(schema_dir: str, kind: str, api_version: str) -> Compiled | None:
    """The validator of a built-in kind, or None for any other kind.

    Remembered either way: a fleet's tree asks about each custom resource kind thousands
    of times, and looking for a schema file that is not there costs a package lookup.
    """
    # Same file naming as kubernetes_validate.validate: rbac.authorization.k8s.io/v1 -> rbac-v1
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = kv_utils.schema_contents(
            f"kubernetes-json-schema/{schema_dir}/{kind.lower()}-{group_version}.json", schema_dir
        )
    except FileNotFoundError:
        return None
    registry = referencing.Resource.from_contents(schema) @ _definitions(schema_dir)
    definitions = _definitions_schema(schema_dir)
    # The compiled check resolves the same `$ref`s to the same definitions by their `$id`.
    check = compiled_check(
        jsonschema.Draft202012Validator, schema, [(str(definitions["$id"]), definitions)]
    )
    return jsonschema.Draft202012Validator(schema, registry=registry), check


def validate_builtin(document: dict[str, Any], version: str) -> list[SchemaProblem]:
    """Every violation of ``document`` against the strict schema of ``version``.

    Raises:
        UnknownKindError: not a built-in kind of that version.
        UnsupportedVersionError: no schemas for that version.
    """
    schema_dir = f"v{schema_version(version)}-local-strict"
    validator, check = _validator(schema_dir, str(document["kind"]), str(document["apiVersion"]))
    if check(document):
        return []
    return problems_from(validator.iter_errors(document))

"""Schemas of configuration files that a program reads from disk, where Stackyard has one.

Kubernetes publishes no OpenAPI schema for the files its components read from disk
(``objects.CONFIGURATION_GROUPS``), so most of them are reported as not checked. The
ones listed here are checked against a JSON Schema in ``data/config/``, written from
the upstream Go types named in each schema's ``$comment`` with every field and enum of
that type, and unknown fields refused because the component decodes the file strictly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

from stackyard.validate.schemaerrors import SchemaProblem, problems_from

SCHEMAS: Mapping[tuple[str, str], str] = {
    ("audit.k8s.io/v1", "Policy"): "audit-policy-v1.json",
}


@cache
def _validator(name: str) -> Draft202012Validator:
    folder = resources.files("stackyard.validate") / "data" / "config"
    return Draft202012Validator(json.loads((folder / name).read_text(encoding="utf-8")))


def has_schema(data: Mapping[str, Any]) -> bool:
    """Whether ``data`` is a configuration file with a schema here."""
    return (str(data.get("apiVersion")), str(data.get("kind"))) in SCHEMAS


def check_configuration(data: Mapping[str, Any]) -> list[SchemaProblem]:
    """The problems of a configuration file that :func:`has_schema` accepts."""
    name = SCHEMAS[(str(data.get("apiVersion")), str(data.get("kind")))]
    return problems_from(_validator(name).iter_errors(dict(data)))

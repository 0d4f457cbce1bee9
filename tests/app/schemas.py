"""Check a real JSON output against its JSON Schema in docs/schemas."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema
from typer.testing import CliRunner

from stackyard.app import schema_id
from stackyard.cli.main import app
from tests.conftest import ROOT

SCHEMAS = ROOT / "docs" / "schemas"


@cache
def schema(name: str) -> dict[str, Any]:
    """The JSON Schema ``docs/schemas/NAME.v1.json``."""
    document: dict[str, Any] = json.loads((SCHEMAS / f"{name}.v1.json").read_text("utf-8"))
    return document


def assert_matches(name: str, data: dict[str, Any]) -> None:
    """``data`` opens with its schema id and is valid against ``docs/schemas/NAME.v1.json``,
    which refuses it under another schema id."""
    assert next(iter(data)) == "schema"
    assert data["schema"] == schema_id(name) == schema(name)["$id"]
    validator = jsonschema.Draft202012Validator(schema(name))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    assert not validator.is_valid({**data, "schema": "stackyard.dev/other/v1"})


def printed(*args: str, code: int = 0) -> dict[str, Any]:
    """What ``stackyard ARGS -o json`` prints, after checking its exit code."""
    result = CliRunner().invoke(app, [*args, "-o", "json"], catch_exceptions=False)
    assert result.exit_code == code, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data

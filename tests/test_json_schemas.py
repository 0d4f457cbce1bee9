"""Every JSON Schema in docs/schemas is a valid Draft 2020-12 schema named by its file.

``docs/schemas/NAME.vN.json`` describes the JSON outputs whose ``"schema"`` field is
``schema_id(NAME, N)``; its ``$id`` is that same value, so a reader can go from a report
to its schema by name.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from stackyard.app import schema_id
from tests.conftest import ROOT

SCHEMAS = sorted((ROOT / "docs" / "schemas").glob("*.json"))
_NAME = re.compile(r"(?P<name>[a-z][a-z-]*)\.v(?P<version>[1-9][0-9]*)\.json")


def test_there_are_schemas() -> None:
    assert len(SCHEMAS) >= 8


@pytest.mark.parametrize("path", SCHEMAS, ids=[p.name for p in SCHEMAS])
def test_a_schema_is_valid_and_its_id_is_the_schema_id_of_its_name(path: Path) -> None:
    match = _NAME.fullmatch(path.name)
    assert match, f"{path}: name a schema NAME.vN.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(document)
    expected = schema_id(match["name"], int(match["version"]))
    assert document["$id"] == expected
    assert document["properties"]["schema"] == {
        **document["properties"]["schema"],
        "const": expected,
    }
    assert "schema" in document["required"]

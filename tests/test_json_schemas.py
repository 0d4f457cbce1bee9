"""Every JSON Schema in docs/schemas is a valid Draft 2020-12 schema named by its file.

``docs/schemas/NAME.vN.json`` describes the JSON outputs whose ``"schema"`` field is
``schema_id(NAME, N)``; its ``$id`` is that same value, so a reader can go from a report
to its schema by name. The JSON outputs table of docs/index.md links every schema file
and no other.
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


def _listed_in_json_outputs_table() -> list[str]:
    """The schema files the JSON outputs table of docs/index.md links, in order."""
    text = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    section = text.split("\n## JSON outputs\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [name for row in rows for name in re.findall(r"\(schemas/([^)]+\.json)\)", row)]


def test_the_json_outputs_table_lists_every_schema_file_and_no_other() -> None:
    listed = _listed_in_json_outputs_table()
    assert len(listed) == len(set(listed)), f"a schema is listed twice: {listed}"
    assert sorted(listed) == [path.name for path in SCHEMAS]

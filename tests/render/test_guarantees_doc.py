"""docs/rendering.md names a test for each guarantee; every one of them exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A cell lists `tests/x.py::name` and then `::other` for more tests in the same file.
_REFERENCE = re.compile(r"`(tests/[\w/]+\.py)?::(\w+)`")


def test_every_test_named_in_the_guarantees_exists() -> None:
    text = (ROOT / "docs" / "rendering.md").read_text(encoding="utf-8")
    guarantees = text.split("## Guarantees", 1)[1].split("\n## ", 1)[0]
    named: list[tuple[str, str]] = []
    for line in guarantees.splitlines():
        current = ""
        for match in _REFERENCE.finditer(line):
            current = match.group(1) or current
            assert current, line
            named.append((current, match.group(2)))
    assert len(named) > 20
    for file, name in named:
        tree = ast.parse((ROOT / file).read_text(encoding="utf-8"))
        functions = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        assert name in functions, f"{file}::{name}"

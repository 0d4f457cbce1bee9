"""Fixtures of the use-case tests: the rendered community-poc tree, copied per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def poc_tree(rendered_poc: Path, tmp_path: Path) -> Path:
    """A copy of the rendered community-poc tree this test may change."""
    copy = tmp_path / "tree"
    shutil.copytree(rendered_poc, copy)
    return copy


def break_tree(tree: Path) -> None:
    """Plant a secret value and a misspelt field: one secret and one schema error."""
    values = tree / "values" / "common" / "grafana.yaml"
    values.write_text(values.read_text() + "adminPassword: Sup3rS3cretPassw0rd\n")
    base = tree / "manifests" / "poc" / "base" / "namespaces.yaml"
    base.write_text(base.read_text().replace("  labels:", "  lables:", 1))

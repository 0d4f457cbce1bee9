"""Migration fixtures: example specs with tenants, and rendered trees to write into."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from stackyard.plan import Plan, make_plan
from stackyard.spec import load_spec
from tests.conftest import EXAMPLES, render_example

TENANTS = """
tenants:
  - name: team-a
    clusters: [app1]
    namespaces: [team-a, team-a-jobs]
  - name: team-b
    clusters: [app1, app2]
"""
"""Tenants for local-multicluster (three clusters, none of them declared there)."""

Variant = Callable[..., Path]


@pytest.fixture
def variant(tmp_path: Path) -> Variant:
    """An example's text, each ``(old, new)`` replaced once and ``extra`` appended."""

    def write(example: str, *edits: tuple[str, str], extra: str = "", name: str = "") -> Path:
        text = (EXAMPLES / example).read_text(encoding="utf-8")
        for old, new in edits:
            assert old in text, f"{old!r} is not in {example}"
            text = text.replace(old, new, 1)
        path = tmp_path / (name or example)
        path.write_text(text + extra, encoding="utf-8")
        return path

    return write


@pytest.fixture
def multicluster(variant: Variant) -> Path:
    """local-multicluster with two tenants on app1 (one of them on app2 too)."""
    return variant("local-multicluster.yaml", extra=TENANTS)


def plan_of(spec: Path) -> Plan:
    """The plan of ``spec`` (which must plan without errors)."""
    plan = make_plan(load_spec(spec))
    assert not plan.errors, plan.errors
    return plan


@pytest.fixture(scope="session")
def _rendered_mesh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("render") / "mesh-local"
    render_example(EXAMPLES / "mesh-local.yaml", out)
    return out


@pytest.fixture
def mesh_tree(_rendered_mesh: Path, tmp_path: Path) -> Path:
    """A fresh copy of the rendered mesh-local example, to write migrations into."""
    tree = tmp_path / "tree"
    shutil.copytree(_rendered_mesh, tree)
    return tree

"""Render fixtures: the shipped examples rendered once, and spec variants rendered on demand."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackyard.plan import Plan, make_plan
from stackyard.render.build import render_plan
from stackyard.spec import load_spec_text
from stackyard.validate.crdschemas import check_resource
from stackyard.validate.kube import UnknownKindError, validate_builtin

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_NAMES = [
    "local-multicluster",
    "aws-standard",
    "aws-enterprise",
    "community-poc",
    "mesh-local",
]


@dataclass(frozen=True)
class Rendered:
    """A plan and its rendered files."""

    plan: Plan
    files: dict[str, str]

    def documents(self, path: str) -> list[dict[str, Any]]:
        """The YAML documents of one rendered file."""
        return [d for d in yaml.safe_load_all(self.files[path]) if d is not None]

    def objects(self, prefix: str = "manifests/") -> list[tuple[str, dict[str, Any]]]:
        """Every object in files under ``prefix``, with its path."""
        return [
            (path, doc)
            for path in sorted(self.files)
            if path.startswith(prefix) and path.endswith(".yaml")
            for doc in self.documents(path)
        ]

    def values(self, cluster: str, component: str) -> dict[str, Any]:
        """The component's values on ``cluster``, layers merged as Argo CD hands them to Helm."""
        merged: dict[str, Any] = {}
        edition = self.plan.spec.platform.edition
        for layer in ("common", f"editions/{edition}", f"clusters/{cluster}"):
            text = self.files.get(f"values/{layer}/{component}.yaml", "")
            merged = _merge(merged, yaml.safe_load(text) or {})
        return merged

    def find(self, path: str, kind: str, name: str) -> dict[str, Any]:
        """The object ``kind``/``name`` in ``path``."""
        return next(
            d for d in self.documents(path) if d["kind"] == kind and d["metadata"]["name"] == name
        )


def schema_problems(result: Rendered) -> list[tuple[str, str, str, list[str]]]:
    """``(path, kind, name, problems)`` of each rendered object its real schema refuses."""
    version = result.plan.spec.platform.kubernetes.version
    problems = []
    for path, document in result.objects():
        try:
            found = [str(p) for p in validate_builtin(document, version)]
        except UnknownKindError:
            check = check_resource(document)
            found = [] if check.ok else [check.status, *map(str, check.problems)]
        if found:
            problems.append((path, document["kind"], document["metadata"]["name"], found))
    return problems


def example_text(name: str) -> str:
    return (EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8")


def render_text(text: str, folder: Path = EXAMPLES) -> Rendered:
    # Beside the examples, so the OpenAPI documents their APIs name are found.
    plan = make_plan(load_spec_text(text, "platform.yaml", folder))
    return Rendered(plan, dict(render_plan(plan)))


@pytest.fixture(scope="session")
def rendered() -> dict[str, Rendered]:
    """Every shipped example, rendered."""
    return {name: render_text(example_text(name)) for name in EXAMPLE_NAMES}


RenderVariant = Callable[[str, str, str], Rendered]


@pytest.fixture
def render_variant() -> RenderVariant:
    """Render an example with one piece of its text replaced."""

    def render(name: str, old: str, new: str) -> Rendered:
        text = example_text(name)
        assert old in text, old
        return render_text(text.replace(old, new, 1))

    return render


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = _merge(out[key], value) if both else value
    return out

"""Simulation fixtures: runtime models of the shipped examples (built once per session)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from stackyard.plan import make_plan
from stackyard.simulate.model import RuntimeModel
from stackyard.simulate.run import prepare
from stackyard.spec import load_spec, load_spec_text
from tests.conftest import EXAMPLES

LOCAL = EXAMPLES / "local-multicluster.yaml"


@cache
def example_model(name: str) -> RuntimeModel:
    """The runtime model of ``examples/<name>.yaml``."""
    return prepare(make_plan(load_spec(EXAMPLES / f"{name}.yaml")))


def model_from_text(text: str, source: str = "platform.yaml") -> RuntimeModel:
    """The runtime model of a spec given as text."""
    return prepare(make_plan(load_spec_text(text, source, EXAMPLES)))


def local_text() -> str:
    """The seed 004 example spec, for edits."""
    return Path(LOCAL).read_text(encoding="utf-8")

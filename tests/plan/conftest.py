"""Plan fixtures: plans of the shipped examples, and spec mutation helpers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from stackyard.plan import Plan, make_plan
from stackyard.spec import load_spec, load_spec_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_NAMES = [
    "local-multicluster",
    "aws-standard",
    "aws-enterprise",
    "community-poc",
    "mesh-local",
    "aws-multicluster",
]


def example_text(name: str) -> str:
    return (EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def example_plans() -> dict[str, Plan]:
    """A plan of every shipped example."""
    return {name: make_plan(load_spec(EXAMPLES / f"{name}.yaml")) for name in EXAMPLE_NAMES}


@pytest.fixture
def plan_text() -> Callable[[str], Plan]:
    """Plan a spec given as text."""

    def plan(text: str) -> Plan:
        return make_plan(load_spec_text(text, "platform.yaml", EXAMPLES))

    return plan

"""Fixtures for validation tests: example custom resources stored next to the tests."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

RESOURCES = Path(__file__).resolve().parent / "resources"


@pytest.fixture
def resource() -> Callable[[str], dict[str, Any]]:
    """Load a fresh copy of a valid example resource by file stem."""

    def load(stem: str) -> dict[str, Any]:
        data = yaml.safe_load((RESOURCES / "valid" / f"{stem}.yaml").read_text(encoding="utf-8"))
        return copy.deepcopy(data)

    return load

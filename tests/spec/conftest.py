"""Spec fixtures: a minimal valid spec to mutate in tests."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def minimal_text() -> str:
    """The text of a minimal valid spec."""
    return (DATA / "minimal.yaml").read_text(encoding="utf-8")

"""The reference pages in docs/ match the code they are generated from."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATOR = load_generator()


@pytest.mark.parametrize("page", sorted(GENERATOR.PAGES))
def test_generated_reference_is_current(page: str) -> None:
    committed = (ROOT / "docs" / page).read_text(encoding="utf-8")
    assert committed == GENERATOR.PAGES[page](), f"run python scripts/gen_docs.py ({page})"


def test_every_check_is_documented_with_an_explanation() -> None:
    from stackyard.plan import ALL_CHECKS

    ids = [check.id for check in ALL_CHECKS]
    assert len(ids) == len(set(ids))
    text = (ROOT / "docs" / "checks.md").read_text(encoding="utf-8")
    for check in ALL_CHECKS:
        assert check.explanation, check.id
        assert f"## {check.id}" in text

"""The reference pages in docs/ match the code they are generated from, and the links resolve."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import ROOT


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


PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_CODE = re.compile(r"`[^`\n]*`")


def _links(page: Path) -> list[str]:
    """The targets of the Markdown links of ``page``, leaving out examples in code spans."""
    return _LINK.findall(_CODE.sub("", page.read_text(encoding="utf-8")))


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_every_relative_link_names_a_file_that_exists(page: Path) -> None:
    targets = _links(page)
    broken = [
        target
        for target in targets
        if not target.startswith(("http://", "https://", "mailto:", "#"))
        and not (page.parent / target.split("#", 1)[0]).exists()
    ]
    assert not broken, f"{page.name} links to missing files: {broken}"


@pytest.mark.parametrize(("page", "prefix"), [("README.md", "docs/"), ("docs/index.md", "")])
def test_the_entry_pages_link_the_architecture_and_the_cli_reference(
    page: str, prefix: str
) -> None:
    targets = set(_links(ROOT / page))
    assert {f"{prefix}architecture.md", f"{prefix}cli.md"} <= targets

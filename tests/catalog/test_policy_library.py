"""The policy library: shipped templates, and a malformed library refused when it loads."""

from __future__ import annotations

import pytest

from stackyard.catalog import load_catalog
from stackyard.catalog.policylibrary import build_policy_library
from stackyard.errors import CatalogError

RULES = "rules:\n  disallow-latest-tag: {summary: no latest tag}\n"


def test_the_shipped_templates() -> None:
    library = load_catalog().policies
    assert list(library.templates) == ["default", "baseline", "restricted", "regulated"]
    regulated = library.templates["regulated"]
    # Regulated enforces every rule, whatever policy.mode says.
    assert {r.name for r in regulated.policies} == set(library.rules)
    assert {r.action for r in regulated.policies} == {"enforce"}


def test_a_template_naming_an_unknown_rule_is_refused() -> None:
    text = RULES + (
        "templates:\n  default:\n    podSecurity: {enforce: restricted}\n"
        "    policies: [{name: disallow-latest-tags}]\n"
    )
    with pytest.raises(CatalogError, match="template 'default' names unknown rule"):
        build_policy_library("library.yaml", text)


def test_a_library_without_the_default_template_is_refused() -> None:
    text = RULES + "templates:\n  strict:\n    podSecurity: {enforce: restricted}\n"
    with pytest.raises(CatalogError, match="no 'default' template"):
        build_policy_library("library.yaml", text)


def test_a_misspelt_field_is_refused() -> None:
    text = (
        RULES + "templates:\n  default:\n    podSecurity: {enforce: restricted, warm: baseline}\n"
    )
    with pytest.raises(CatalogError, match="warm"):
        build_policy_library("library.yaml", text)

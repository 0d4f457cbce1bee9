"""Each package's public API is explicit: a sorted ``__all__`` naming real members."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

PACKAGES = [
    "stackyard.app",
    "stackyard.assess",
    "stackyard.assess.detectors",
    "stackyard.assess.inputs",
    "stackyard.catalog",
    "stackyard.fsio",
    "stackyard.kube",
    "stackyard.plan",
    "stackyard.render",
    "stackyard.spec",
    "stackyard.store",
    "stackyard.validate",
    "stackyard.yamlio",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_and_resolves(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported)
    for member in exported:
        assert hasattr(module, member), member


def _defined_names(path: Path) -> set[str]:
    """Classes, functions and type aliases a module defines at its top level."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def test_the_application_layer_exports_every_use_case_and_result() -> None:
    """As httpx checks its ``__all__``: every public name an ``app`` module defines is exported.

    A shell imports ``stackyard.app`` only (an import-linter contract), so a use case, a
    result class or a type alias of their signatures that is missing from ``__all__`` is
    missing for every shell. Names starting with ``_`` and UPPER_CASE constants are not
    part of the interface.
    """
    app = importlib.import_module("stackyard.app")
    assert app.__file__ is not None
    folder = Path(app.__file__).parent
    missing = {
        f"{module.name}.{name}"
        for module in pkgutil.iter_modules([str(folder)])
        for name in _defined_names(folder / f"{module.name}.py")
        if not name.startswith("_") and not name.isupper() and name not in app.__all__
    }
    assert not missing, f"defined in stackyard.app but not in its __all__: {sorted(missing)}"

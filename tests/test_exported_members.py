"""Each package's public API is explicit: a sorted ``__all__`` naming real members."""

from __future__ import annotations

import importlib

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

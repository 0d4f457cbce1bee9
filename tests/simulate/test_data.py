"""The packaged simulation data is complete and consistent."""

from __future__ import annotations

from typing import get_args

import pytest
from pydantic import BaseModel

from stackyard.catalog import load_catalog
from stackyard.errors import CatalogError
from stackyard.simulate import settings
from stackyard.simulate.functions import BufferName, load_functions, load_packaged_data


def test_every_buffer_has_a_default_with_its_source() -> None:
    assert set(settings.DEFAULTS) == set(get_args(BufferName))
    assert all(b.evidence.source for b in settings.DEFAULTS.values())


def test_function_data_names_real_components_and_capabilities() -> None:
    catalog = load_catalog()
    functions = load_functions()
    provided = {c for component in catalog.components.values() for c in component.provides}
    for entry in functions.needs:
        assert entry.capability in provided, entry.id
        assert all(c in catalog.components for c in entry.consumers), entry.id
        if entry.buffer is not None:
            assert entry.kept, f"{entry.id}: a buffer keeps something"
    for service in functions.services:
        if service.capability is not None:
            assert service.capability in provided, service.id
        else:
            assert service.component in catalog.components, service.id


def test_broken_packaged_data_is_a_catalog_error() -> None:
    class Strict(BaseModel):
        nothing: int

    with pytest.raises(CatalogError, match=r"recovery\.yaml"):
        load_packaged_data("recovery.yaml", Strict)

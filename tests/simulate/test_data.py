"""The packaged simulation data is complete and consistent."""

from __future__ import annotations

from dataclasses import replace
from typing import get_args

import pytest
from pydantic import BaseModel

from stackyard.catalog import load_catalog
from stackyard.catalog.model import RunPods
from stackyard.errors import CatalogError
from stackyard.plan import make_plan
from stackyard.simulate import settings
from stackyard.simulate.functions import BufferName, load_functions, load_packaged_data
from stackyard.simulate.run import prepare
from stackyard.spec import load_spec
from tests.simulate.conftest import LOCAL


def test_every_buffer_has_a_default_with_its_source() -> None:
    assert set(settings.DEFAULTS) == set(get_args(BufferName))
    assert all(b.evidence.source for b in settings.DEFAULTS.values())


def test_function_data_names_real_components_and_capabilities() -> None:
    catalog = load_catalog()
    functions = load_functions()
    provided = {c for component in catalog.components.values() for c in component.provides}
    # the pods a controller runs (catalog ``runs``) are services of their own
    runs = {pods.name for component in catalog.components.values() for pods in component.runs}
    for entry in functions.needs:
        assert entry.capability in provided, entry.id
        assert all(c in catalog.components for c in entry.consumers), entry.id
        if entry.buffer is not None:
            assert entry.kept, f"{entry.id}: a buffer keeps something"
    for service in functions.services:
        if service.capability is not None:
            assert service.capability in provided, service.id
        else:
            assert service.component in catalog.components.keys() | runs, service.id


def test_broken_packaged_data_is_a_catalog_error() -> None:
    class Strict(BaseModel):
        nothing: int

    with pytest.raises(CatalogError, match=r"recovery\.yaml"):
        load_packaged_data("recovery.yaml", Strict)


def test_pods_a_component_runs_are_a_service_down_with_their_nodes_not_their_controller() -> None:
    """A component's ``runs`` (pods it starts at run time) become services of their own."""
    plan = make_plan(load_spec(LOCAL))
    proxies = RunPods(name="grafana-renderer", description="pods Grafana would start")
    clusters = []
    for cluster in plan.clusters:
        components = tuple(
            replace(p, component=p.component.model_copy(update={"runs": [proxies]}))
            if p.name == "grafana"
            else p
            for p in cluster.components
        )
        clusters.append(replace(cluster, components=components))
    model = prepare(replace(plan, clusters=tuple(clusters)))
    service = model.services["grafana-renderer@mgmt"]
    assert (service.component, service.cluster) == ("grafana-renderer", "mgmt")
    assert "nodes@mgmt" in model.hard_needs["grafana-renderer@mgmt"]
    assert "grafana@mgmt" not in model.hard_needs["grafana-renderer@mgmt"]
    assert "grafana-renderer@mgmt" not in model.hard_dependents.get("grafana@mgmt", ())

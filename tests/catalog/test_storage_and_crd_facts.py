"""The catalog's ``crds`` and ``storageClasses`` agree with the upstream data they come from.

``crds`` lists API groups of the CRDs a chart installs; every group must be one whose
schemas validate ships (``validate/data/crds/index.json``, built from the upstream CRDs by
scripts/build_reference_data.py), so a typo or a group no chart of ours installs fails
here. ``storageClasses`` must name the class the chart values create and the Retain class
render writes.
"""

from __future__ import annotations

import json

from stackyard.catalog import load_catalog
from stackyard.render.manifests.loadbalancing import retain_storage_class
from tests.conftest import ROOT

CRD_INDEX = ROOT / "src/stackyard/validate/data/crds/index.json"


def _groups_by_project() -> dict[str, set[str]]:
    index = json.loads(CRD_INDEX.read_text(encoding="utf-8"))
    found: dict[str, set[str]] = {}
    for key, entry in index.items():
        found.setdefault(entry["project"], set()).add(key.split("/", 1)[0])
    return found


def test_every_crd_group_is_one_of_the_upstream_crds() -> None:
    known = set().union(*_groups_by_project().values())
    listed = {(c.name, g) for c in load_catalog() for g in c.crds}
    assert listed, "some catalog entry lists its CRD groups"
    assert not [pair for pair in listed if pair[1] not in known]


def test_a_component_named_like_an_upstream_project_lists_all_its_groups() -> None:
    by_project = _groups_by_project()
    for component in load_catalog():
        if component.name in by_project and component.crds:
            assert set(component.crds) == by_project[component.name], component.name


def test_storage_classes_are_what_the_values_and_the_render_create() -> None:
    catalog = load_catalog()
    local = catalog["local-path-provisioner"]
    values = catalog.values_of("local-path-provisioner").common["storageClass"]
    default = next(c for c in local.storageClasses if c.default)
    assert default.name == values["name"] and values["defaultClass"] is True
    assert retain_storage_class()["metadata"]["name"] in {c.name for c in local.storageClasses}
    longhorn = catalog["longhorn"]
    assert catalog.values_of("longhorn").common["persistence"]["defaultClass"] is True
    assert [c.name for c in longhorn.storageClasses if c.default] == ["longhorn"]


def test_every_storage_provider_names_its_classes() -> None:
    for component in load_catalog():
        if "storage" in component.provides:
            assert component.storageClasses, component.name

"""Resolved settings are typed: one attribute per setting, booleans as booleans."""

from __future__ import annotations

import json
from collections.abc import Callable

from stackyard.catalog import load_catalog
from stackyard.catalog.settings import CLUSTER_SCOPE, SETTING_VALUES
from stackyard.plan import Plan
from stackyard.plan.diff import compare_plans
from stackyard.plan.settings import cluster_facts
from tests.plan.conftest import example_text


def test_every_setting_is_one_the_catalog_knows_with_a_value_it_can_take(
    example_plans: dict[str, Plan],
) -> None:
    for plan in example_plans.values():
        names = [setting.name for setting in plan.settings]
        assert names == [n for n in SETTING_VALUES if not n.startswith(CLUSTER_SCOPE)]
        for setting in plan.settings:
            assert setting.value in SETTING_VALUES[setting.name], setting
            assert type(setting.value) is type(SETTING_VALUES[setting.name][0]), setting
            assert plan.settings.get(setting.name) is setting
        for cluster in plan.spec.platform.clusters:
            facts = cluster_facts(plan.spec.platform, cluster)
            for name in [n for n in SETTING_VALUES if n.startswith(CLUSTER_SCOPE)]:
                fact = facts.get(name)
                assert fact.name == name and fact.value in SETTING_VALUES[name], fact


def test_every_catalog_selector_compares_values_of_the_settings_type() -> None:
    for component in load_catalog():
        for selector in [*component.selectedBy, *component.orSelectedBy]:
            kinds = {type(v) for v in SETTING_VALUES[selector.setting]}
            assert {type(v) for v in selector.values} <= kinds, component.name


def test_cluster_mesh_is_a_boolean_in_the_plan_and_its_json(
    example_plans: dict[str, Plan], plan_text: Callable[[str], Plan]
) -> None:
    local = example_plans["local-multicluster"]
    mesh = local.settings.networking.clusterMesh
    assert mesh.value is True and mesh.text == "true"
    assert mesh.path == ("networking", "clusterMesh")  # the example sets "on"
    shown = json.loads(json.dumps(local.as_dict()))["settings"]
    assert shown["networking.clusterMesh"] == {"value": True, "reason": "set in the spec"}
    assert shown["networking.cni"]["value"] == "cilium"
    off = plan_text(
        example_text("local-multicluster").replace('clusterMesh: "on"', 'clusterMesh: "off"')
    )
    assert off.settings.networking.clusterMesh.value is False
    assert (
        json.loads(json.dumps(off.as_dict()))["settings"]["networking.clusterMesh"]["value"]
        is False
    )


def test_a_boolean_selector_says_why_in_the_specs_words(plan_text: Callable[[str], Plan]) -> None:
    text = example_text("local-multicluster").replace('clusterMesh: "on"', 'clusterMesh: "off"')
    plan = plan_text(text)
    for cluster in plan.clusters:
        assert not cluster.has("cilium-clustermesh")
        decision = cluster.decision("cilium-clustermesh")
        assert decision is not None
        assert decision.reason == "networking.clusterMesh is false (needs true)"
        assert decision.path == ("networking", "clusterMesh")


def test_an_unset_cluster_mesh_follows_the_cni_and_the_cluster_count(
    example_plans: dict[str, Plan],
) -> None:
    poc = example_plans["community-poc"]
    mesh = poc.settings.networking.clusterMesh
    assert mesh.value is False and mesh.path == ()
    for cluster in poc.clusters:
        decision = cluster.decision("cilium-clustermesh")
        assert decision is not None and not decision.included


def test_a_boolean_setting_change_reads_in_the_specs_words(
    example_plans: dict[str, Plan], plan_text: Callable[[str], Plan]
) -> None:
    local = example_plans["local-multicluster"]
    off = plan_text(
        example_text("local-multicluster").replace('clusterMesh: "on"', 'clusterMesh: "off"')
    )
    changes = [c for c in compare_plans(local, off).changes if c.kind == "setting"]
    assert [(c.subject, c.old, c.new) for c in changes] == [
        ("networking.clusterMesh", "true", "false")
    ]

"""The plan's replica counts and budgeted requests are what the rendered values set.

For every example and variants of it (every cluster HA or not, an external object store
with MinIO on or off, each edition), every planned Helm component on every cluster: the
chart's replica keys (the catalog's ``replicaKeys``) hold the plan's count, and the keys
that take the catalog's resources hold the requests the budget (SY201) adds up. A chart
without a replica key runs the one replica the plan counts, so the catalog may give it no
HA count.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from stackyard.plan import ClusterPlan, Plan
from tests.render.conftest import EXAMPLE_NAMES, Rendered, example_text, render_text

# An S3-compatible store outside the platform, as a site would declare it.
EXTERNAL_STORE = {
    "endpoint": "https://s3.storage.example.internal",
    "credentialsSecret": "platform-object-storage",
}


def _spec(name: str) -> dict[str, Any]:
    loaded = yaml.safe_load(example_text(name))
    assert isinstance(loaded, dict)
    return loaded


def _all_ha(spec: dict[str, Any], ha: bool) -> dict[str, Any]:
    for cluster in spec["clusters"]:
        cluster["ha"] = ha
    return spec


def _external_store(spec: dict[str, Any], minio: bool) -> dict[str, Any]:
    spec["objectStorage"] = dict(EXTERNAL_STORE)
    spec.setdefault("components", {})["minio"] = {"enabled": minio}
    return spec


def _variants() -> dict[str, dict[str, Any]]:
    variants: dict[str, dict[str, Any]] = {}
    for name in EXAMPLE_NAMES:
        variants[name] = _spec(name)
        variants[f"{name}, every cluster HA"] = _all_ha(_spec(name), True)
        variants[f"{name}, no cluster HA"] = _all_ha(_spec(name), False)
        for minio in (True, False):
            on = "on" if minio else "off"
            store = _external_store(_all_ha(_spec(name), True), minio)
            variants[f"{name}, HA, external object store, MinIO {on}"] = store
        for edition in ("community", "standard", "enterprise"):
            if _spec(name)["edition"] != edition:
                variants[f"{name} as {edition}"] = {**_spec(name), "edition": edition}
    return variants


VARIANTS = _variants()


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def variant(request: pytest.FixtureRequest) -> Rendered:
    return render_text(yaml.safe_dump(VARIANTS[request.param], sort_keys=False))


def _at(values: dict[str, Any], dotted: str) -> Any:
    node: Any = values
    for part in dotted.split("."):
        assert isinstance(node, dict) and part in node, f"{dotted} is not rendered"
        node = node[part]
    return node


def _helm_components(plan: Plan) -> list[tuple[ClusterPlan, str]]:
    return [
        (cluster, planned.name)
        for cluster in plan.clusters
        for planned in cluster.components
        if planned.component.install.method == "helm"
    ]


def test_every_variant_plans_clusters_both_ways() -> None:
    # The variants are worth their time only if they reach both sides of the decision.
    assert any("every cluster HA" in name for name in VARIANTS)
    assert any("no cluster HA" in name for name in VARIANTS)
    editions = {spec["edition"] for spec in VARIANTS.values()}
    assert editions == {"community", "standard", "enterprise"}


def test_rendered_replicas_are_the_planned_replicas(variant: Rendered) -> None:
    wrong = []
    for cluster, name in _helm_components(variant.plan):
        planned = cluster.get(name)
        assert planned is not None
        component = planned.component
        if component.workload in ("daemonset", "none"):
            continue
        assert planned.pods == planned.replicas.count
        if not component.replicaKeys:
            # The chart runs one replica: the plan must not count more.
            assert component.haReplicas is None and planned.pods == 1, name
            continue
        values = variant.values(cluster.name, name)
        for key in component.replicaKeys:
            if _at(values, key) != planned.replicas.count:
                wrong.append(
                    f"{cluster.name}/{name}: {key} = {_at(values, key)}, "
                    f"plan {planned.replicas.count}"
                )
    assert not wrong


def test_rendered_requests_are_the_budgeted_requests(variant: Rendered) -> None:
    wrong = []
    for cluster, name in _helm_components(variant.plan):
        planned = cluster.get(name)
        assert planned is not None
        resources = planned.component.resources
        if resources is None or planned.pods == 0:
            continue
        values = variant.values(cluster.name, name)
        budgeted = {"cpu": resources.requests.cpu, "memory": resources.requests.memory}
        for key in variant.plan.catalog.values_of(name).keys.resources:
            rendered = _at(values, key).get("requests")
            if rendered != budgeted:
                wrong.append(f"{cluster.name}/{name}: {key} requests {rendered}, plan {budgeted}")
    assert not wrong


def test_loki_on_its_own_volume_runs_one_replica_on_an_ha_cluster() -> None:
    rendered = render_text(yaml.safe_dump(_all_ha(_spec("local-multicluster"), True)))
    mgmt = rendered.plan.cluster("mgmt")
    loki = mgmt.get("loki")
    assert loki is not None and mgmt.cluster.is_ha
    assert (loki.pods, loki.replicas.ha) == (1, False)
    values = rendered.values(mgmt.name, "loki")
    assert values["loki"]["storage"]["type"] == "filesystem"
    assert values["singleBinary"]["replicas"] == 1
    assert values["loki"]["commonConfig"]["replication_factor"] == 1
    assert "own volume" in loki.replicas.reason


def test_loki_with_an_object_store_runs_its_ha_count() -> None:
    spec = _external_store(_all_ha(_spec("local-multicluster"), True), minio=True)
    rendered = render_text(yaml.safe_dump(spec))
    mgmt = rendered.plan.cluster("mgmt")
    loki = mgmt.get("loki")
    assert loki is not None
    assert (loki.pods, loki.replicas.ha) == (3, True)
    values = rendered.values(mgmt.name, "loki")
    assert values["loki"]["storage"]["type"] == "s3"
    assert values["singleBinary"]["replicas"] == 3
    assert values["loki"]["commonConfig"]["replication_factor"] == 3

"""The benchmarks' generated fleets are valid platforms: every one plans without an error.

A benchmark of a spec the plan refuses would measure a refusal, so each edition and
provider the generator offers is planned at a few sizes, with tenants, mixed node pools and
Cluster Mesh in each of its settings. The uniform fleet of the older benchmarks is checked
too, and that its text did not drift (their recorded figures describe that fleet).
"""

from __future__ import annotations

import hashlib
import itertools

import pytest

from stackyard.plan import make_plan
from stackyard.spec import load_spec_text
from tests.benchmark_scripts import load_benchmark

fleet = load_benchmark("fleet")

# sha256 of ``fleet_spec(200)`` as docs/benchmarks.md's older sections measured it.
UNIFORM_200 = "2f2bc9eb66b5692a293196472ea52688b504f9eb1e20f5b3ffb9f4b0d6ca4172"


@pytest.mark.parametrize(
    ("edition", "provider"), list(itertools.product(fleet.EDITIONS, fleet.PROVIDERS))
)
@pytest.mark.parametrize("app_clusters", [1, 7, 20])
def test_realistic_fleets_plan_without_errors(
    edition: str, provider: str, app_clusters: int
) -> None:
    mesh = ("auto", "on", "off")[app_clusters % 3]
    text = fleet.fleet_spec(
        app_clusters,
        edition=edition,
        provider=provider,
        clusters_per_tenant=5,
        mixed_pools=True,
        cluster_mesh=mesh,
    )
    plan = make_plan(load_spec_text(text, "fleet.yaml"))
    assert [c.name for c in plan.clusters] == [
        "mgmt",
        *(f"app{i}" for i in range(1, app_clusters + 1)),
    ]
    assert plan.errors == [], [f.message for f in plan.errors[:3]]
    tenants = plan.spec.platform.tenants
    if edition == "enterprise":
        assert len(tenants) == -(-app_clusters // 5)  # one per five app clusters, rounded up
        assert sorted(c for t in tenants for c in t.clusters) == sorted(
            f"app{i}" for i in range(1, app_clusters + 1)
        )
    else:
        assert tenants == []  # tenants are an Enterprise feature (SY508)


def test_mixed_pools_differ_between_clusters() -> None:
    plan = make_plan(load_spec_text(fleet.fleet_spec(8, mixed_pools=True), "fleet.yaml"))
    shapes = {
        tuple((p.count, p.cpu, p.memory) for p in c.nodePools) for c in plan.spec.platform.clusters
    }
    assert len(shapes) >= 4


def test_cluster_mesh_setting_is_what_was_asked() -> None:
    for mesh, expected in (("on", True), ("off", False)):
        text = fleet.fleet_spec(4, cluster_mesh=mesh)
        assert (
            make_plan(load_spec_text(text, "fleet.yaml")).settings.networking.clusterMesh.value
            is expected
        )


def test_the_uniform_fleet_of_the_older_benchmarks_is_unchanged() -> None:
    text = fleet.fleet_spec(200)
    plan = make_plan(load_spec_text(text, "fleet.yaml"))
    assert plan.errors == []
    digest = hashlib.sha256(text.encode()).hexdigest()
    assert digest == UNIFORM_200

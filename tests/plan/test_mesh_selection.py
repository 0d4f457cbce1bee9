"""Where the service mesh and the API gateway run: the clusters of the tenants that use them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from stackyard.plan import Plan, make_plan
from stackyard.spec import load_spec, load_spec_text
from tests.plan.conftest import example_text

OPENAPI = Path(__file__).resolve().parents[1] / "spec" / "data" / "apis" / "orders.yaml"
MESH_PARTS = ["istio-base", "istiod", "istio-cni", "ztunnel", "kiali-operator"]

TENANTS = """
tenants:
  - name: shop
    clusters: [app1]
  - name: ads
    clusters: [app2]
services:
  - name: checkout
    tenant: shop
    ports: [{name: http, port: 8080}]
"""


def running(plan: Plan, component: str) -> list[str]:
    return [c.name for c in plan.clusters if c.has(component)]


def plan_of(extra: str) -> Plan:
    return make_plan(load_spec_text(example_text("local-multicluster") + extra, "platform.yaml"))


def test_without_a_mesh_no_mesh_part_runs_and_the_plan_says_why() -> None:
    plan = plan_of(TENANTS)
    for name in MESH_PARTS:
        assert running(plan, name) == [], name
    decision = plan.cluster("app1").decision("ztunnel")
    assert decision.reason == "mesh.mode is none (needs ambient)"
    assert plan.settings.mesh.enabled.value is False
    istiod = plan.cluster("app1").decision("istiod")
    assert istiod.reason == (
        "networking.cni is cilium (needs canal), and cluster.inMesh is false (needs true)"
    )


def test_the_mesh_runs_on_the_clusters_of_the_tenants_that_join() -> None:
    plan = plan_of(TENANTS + "mesh: {enabled: true, tenants: [shop]}\n")
    for name in MESH_PARTS:
        assert running(plan, name) == ["app1"], name
    assert plan.settings.mesh.mode.value == "ambient"
    assert "tenants in the mesh run here: shop" in plan.cluster("app1").decision("ztunnel").reason
    assert plan.cluster("app2").decision("istiod").included is False


def test_every_tenant_joins_when_none_is_named_and_sidecar_mode_has_no_ztunnel() -> None:
    plan = plan_of(TENANTS + "mesh: {enabled: true, mode: sidecar}\n")
    assert running(plan, "istiod") == ["app1", "app2"]
    assert running(plan, "istio-cni") == ["app1", "app2"]
    assert running(plan, "ztunnel") == []
    assert plan.settings.mesh.mode.path == ("mesh", "mode")


def test_the_canal_gateway_keeps_istio_without_a_mesh() -> None:
    text = example_text("community-poc").replace("ingress: ingress-nginx", "ingress: gateway-api")
    plan = make_plan(load_spec_text(text, "platform.yaml"))
    assert running(plan, "istiod") == ["poc"]
    assert running(plan, "ztunnel") == []


@pytest.mark.parametrize("tenant", ["shop", "ads"])
def test_the_api_gateway_runs_where_the_apis_tenant_runs(tmp_path: Path, tenant: str) -> None:
    (tmp_path / "apis").mkdir()
    shutil.copy(OPENAPI, tmp_path / "apis" / "orders.yaml")
    text = example_text("local-multicluster") + TENANTS.replace(
        "    tenant: shop\n", f"    tenant: {tenant}\n"
    )
    text += f"apis:\n  - {{name: orders, tenant: {tenant}, service: checkout, "
    text += "openapi: apis/orders.yaml}\n"
    (tmp_path / "platform.yaml").write_text(text, encoding="utf-8")
    plan = make_plan(load_spec(tmp_path / "platform.yaml"))
    assert running(plan, "envoy-gateway") == ["app1" if tenant == "shop" else "app2"]
    assert running(plan, "istiod") == []

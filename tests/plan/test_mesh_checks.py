"""The mesh and API checks (SY801-SY809) fire on the pitfall they encode, and only then."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from stackyard.catalog import load_catalog
from stackyard.plan import Finding, Plan, make_plan
from stackyard.spec import load_spec
from tests.plan.conftest import example_text
from tests.spec_sections import without_mesh_and_apis

OPENAPI = Path(__file__).resolve().parents[1] / "spec" / "data" / "apis" / "orders.yaml"
LOCAL = example_text("local-multicluster")
# The example before its own mesh, services and APIs: each test declares the ones it checks.
ENTERPRISE = without_mesh_and_apis(example_text("aws-enterprise"))

MESH = """
tenants:
  - name: shop
    clusters: [app1]
  - name: ads
    clusters: [app2]
mesh:
  enabled: true
  tenants: [shop]
services:
  - name: checkout
    tenant: shop
    ports: [{name: http, port: 8080}]
    callers: [storefront]
    versions:
      - {name: stable, weight: 90}
      - {name: canary, weight: 10}
  - name: storefront
    tenant: shop
    ports: [{name: http, port: 8080}]
"""

APIS = """
apis:
  - name: orders
    tenant: team-web
    service: web
    openapi: apis/orders.yaml
    auth: {realm: platform, scopes: [orders.read]}
    consumers: [{name: mobile-app}]
  - name: billing
    tenant: team-web
    service: web
    openapi: apis/orders.yaml
    auth: {realm: team-data}
"""
SERVICE = """
services:
  - name: web
    tenant: team-web
    ports: [{name: http, port: 8080}]
"""


def plan_in(folder: Path, text: str) -> Plan:
    (folder / "apis").mkdir(exist_ok=True)
    shutil.copy(OPENAPI, folder / "apis" / "orders.yaml")
    (folder / "platform.yaml").write_text(text, encoding="utf-8")
    return make_plan(load_spec(folder / "platform.yaml"))


def findings(plan: Plan, check: str) -> list[Finding]:
    return [f for f in plan.findings if f.check == check]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.fixture
def meshed(tmp_path: Path) -> Plan:
    return plan_in(tmp_path, LOCAL + MESH)


def test_the_mesh_checks_are_quiet_on_a_sound_mesh(meshed: Plan) -> None:
    fired = {f.check for f in meshed.findings if f.check.startswith("SY8")}
    assert fired == set()


def test_a_cilium_override_that_breaks_istio_is_named_at_its_line(tmp_path: Path) -> None:
    text = LOCAL.replace(
        "components:\n", "components:\n  cilium: {values: {cni: {exclusive: true}}}\n", 1
    )
    text += MESH.replace("tenants: [shop]\n", "tenants: [shop]\n  mtls: strict\n")
    (finding,) = findings(plan_in(tmp_path, text), "SY801")
    assert finding.cluster == "app1"
    assert finding.field == "components.cilium.values.cni.exclusive"
    assert finding.location.line == line_of(text, "cilium: {values")
    assert "docs.cilium.io/en/latest/network/servicemesh/istio" in finding.hint
    # The same override without the mesh is Cilium's own business.
    assert (
        findings(plan_in(tmp_path, text.replace("enabled: true", "enabled: false")), "SY801") == []
    )


def test_a_cluster_override_turning_socket_lb_back_is_found(tmp_path: Path) -> None:
    text = LOCAL.replace(
        "  - name: app1\n    role: app\n",
        "  - name: app1\n    role: app\n"
        "    components: {cilium: {values: {socketLB: {hostNamespaceOnly: false}}}}\n",
    )
    (finding,) = findings(plan_in(tmp_path, text + MESH), "SY801")
    assert finding.field == "clusters[1].components.cilium.values.socketLB.hostNamespaceOnly"


def test_ambient_without_ztunnel_is_refused(tmp_path: Path) -> None:
    text = LOCAL.replace("components:\n", "components:\n  ztunnel: {enabled: false}\n", 1)
    (finding,) = findings(plan_in(tmp_path, text + MESH), "SY802")
    assert finding.cluster == "app1" and "ambient mode needs ztunnel" in finding.message
    assert finding.field == "components.ztunnel.enabled"
    sidecar = text + MESH.replace("enabled: true\n", "enabled: true\n  mode: sidecar\n", 1)
    assert findings(plan_in(tmp_path, sidecar), "SY802") == []


def test_sidecar_mode_without_the_cni_agent_is_refused(tmp_path: Path) -> None:
    text = LOCAL.replace("components:\n", "components:\n  istio-cni: {enabled: false}\n", 1)
    text += MESH.replace("enabled: true\n", "enabled: true\n  mode: sidecar\n", 1)
    (finding,) = findings(plan_in(tmp_path, text), "SY802")
    assert "sidecar mode needs istio-cni" in finding.message


def test_strict_mtls_refuses_a_caller_outside_the_mesh(tmp_path: Path) -> None:
    text = LOCAL + MESH.replace("callers: [storefront]", "callers: [storefront, ads/banner]")
    text += "  - name: banner\n    tenant: ads\n    ports: [{name: http, port: 80}]\n"
    (finding,) = findings(plan_in(tmp_path, text), "SY803")
    assert finding.field == "services[0].callers[1]"
    assert "ads/banner calls shop/checkout from outside the mesh" in finding.message
    permissive = text.replace("tenants: [shop]\n", "tenants: [shop]\n  mtls: permissive\n", 1)
    assert findings(plan_in(tmp_path, permissive), "SY803") == []
    everyone = text.replace("  tenants: [shop]\n", "", 1)
    assert findings(plan_in(tmp_path, everyone), "SY803") == []


def test_a_canary_without_metrics_is_flagged(tmp_path: Path) -> None:
    text = LOCAL.replace(
        "components:\n",
        "components:\n  prometheus: {enabled: false}\n  thanos: {enabled: false}\n"
        "  prometheus-agent: {enabled: false}\n",
        1,
    )
    (finding,) = findings(plan_in(tmp_path, text + MESH), "SY804")
    assert finding.severity == "warning" and finding.field == "services[0].versions"


def test_a_rollout_needs_argo_rollouts_on_the_tenants_clusters(tmp_path: Path) -> None:
    text = LOCAL + MESH.replace("    versions:\n", "    rollout: true\n    versions:\n", 1)
    (finding,) = findings(plan_in(tmp_path, text), "SY805")
    assert finding.field == "services[0].rollout" and "app1" in finding.message
    enabled = text.replace("components:\n", "components:\n  argo-rollouts: {enabled: true}\n", 1)
    assert findings(plan_in(tmp_path, enabled), "SY805") == []


def test_an_api_realm_must_be_the_platforms_or_a_tenants(tmp_path: Path) -> None:
    text = ENTERPRISE + SERVICE + APIS.replace("realm: team-data", "realm: teamdata")
    (finding,) = findings(plan_in(tmp_path, text), "SY806")
    assert finding.field == "apis[1].auth.realm" and "'teamdata'" in finding.message
    sound = plan_in(tmp_path, ENTERPRISE + SERVICE + APIS)
    assert [f for f in sound.findings if f.check.startswith("SY8")] == []


def test_an_api_without_keycloak_has_no_issuer(tmp_path: Path) -> None:
    assert "\ncomponents:" not in ENTERPRISE
    text = ENTERPRISE + "components:\n  keycloak: {enabled: false}\n"
    found = findings(plan_in(tmp_path, text + SERVICE + APIS), "SY806")
    assert [f.field for f in found] == ["apis[0].auth.realm", "apis[1].auth.realm"]
    assert "Keycloak runs on no cluster" in found[0].message


def test_an_api_requiring_scopes_needs_a_consumer(tmp_path: Path) -> None:
    text = ENTERPRISE + SERVICE + APIS.replace("realm: team-data}", "realm: team-data, roles: [x]}")
    (finding,) = findings(plan_in(tmp_path, text), "SY807")
    assert finding.field == "apis[1].auth" and "role x" in finding.message


def test_overlapping_api_routes_are_refused(tmp_path: Path) -> None:
    text = (
        ENTERPRISE
        + SERVICE
        + APIS.replace(
            "  - name: billing\n", "  - name: billing\n    pathPrefix: /orders/billing\n"
        )
    )
    (finding,) = findings(plan_in(tmp_path, text), "SY808")
    assert finding.field == "apis[1].pathPrefix" and "overlaps API orders" in finding.message
    beside = text.replace("pathPrefix: /orders/billing", "pathPrefix: /ordersbilling")
    assert findings(plan_in(tmp_path, beside), "SY808") == []


def test_an_api_on_a_platform_host_is_refused(tmp_path: Path) -> None:
    domain = ENTERPRISE.split("\ndomain: ")[1].split()[0]
    text = (
        ENTERPRISE
        + SERVICE
        + APIS.replace("  - name: billing\n", f"  - name: billing\n    host: grafana.{domain}\n")
    )
    (finding,) = findings(plan_in(tmp_path, text), "SY808")
    assert finding.field == "apis[1].host" and "grafana's host" in finding.message


def test_retries_the_standard_channel_cannot_render_are_a_warning(tmp_path: Path) -> None:
    asked = MESH.replace(
        "    callers: [storefront]\n", "    callers: [storefront]\n    retries: {attempts: 4}\n"
    )
    text = LOCAL + asked
    (finding,) = findings(plan_in(tmp_path, text), "SY809")
    assert finding.severity == "warning"
    assert finding.field == "services[0].retries.attempts"
    assert finding.location.line == line_of(text, "retries: {attempts: 4}")
    assert "Istio's default retry policy (2 retries" in finding.message
    # Istio's default is what the spec asks for: nothing to warn about.
    default = text.replace("attempts: 4", "attempts: 2")
    assert findings(plan_in(tmp_path, default), "SY809") == []
    # Outside the mesh nothing retries, whatever the number.
    outside = default.replace("  enabled: true\n", "  enabled: false\n", 1)
    (finding,) = findings(plan_in(tmp_path, outside), "SY809")
    assert "outside the mesh" in finding.message


def test_a_tenant_quota_must_leave_room_for_each_waypoint(tmp_path: Path) -> None:
    proxy = load_catalog()["istiod"].namespaceProxy
    assert proxy is not None
    quota = "    clusters: [app1]\n    quota: {cpu: 400m, memory: 4Gi}\n"
    small = LOCAL + MESH.replace("    clusters: [app1]\n", quota, 1)
    (finding,) = findings(plan_in(tmp_path, small), "SY810")
    assert finding.severity == "error"
    assert finding.field == "tenants[0].quota.cpu"
    assert finding.location.line == line_of(small, "quota: {cpu: 400m")
    assert f"cpu limit of {proxy.limits.cpu}" in finding.message and "shop" in finding.message
    # Half the quota or more is a warning; a quota with room is quiet.
    tight = small.replace("cpu: 400m", "cpu: 900m")
    (finding,) = findings(plan_in(tmp_path, tight), "SY810")
    assert finding.severity == "warning"
    roomy = small.replace("cpu: 400m", "cpu: '2'")
    assert findings(plan_in(tmp_path, roomy), "SY810") == []
    # Sidecar mode runs no waypoint.
    sidecar = small.replace("  tenants: [shop]\n", "  tenants: [shop]\n  mode: sidecar\n")
    assert findings(plan_in(tmp_path, sidecar), "SY810") == []

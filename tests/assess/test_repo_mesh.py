"""Service mesh, and API gateway and catalog: mesh mTLS, canary routing, API auth, limits, catalog.

The two corpus repositories (``mesh-istio-envoy``, ``mesh-linkerd-kong``) write the
objects as the upstream documentation shows them; their expert readings are in their
READMEs. The smaller cases below check the boundaries the detectors draw: Istio's
PERMISSIVE default, STRICT in some mesh namespaces only, a RequestAuthentication that
no AuthorizationPolicy makes mandatory, a canary that shifts no traffic.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.assess import Assessment, assess_directory
from tests.assess.citations import misquoted
from tests.assess.maturity.conftest import assess_files, control, corpus
from tests.conftest import ROOT, render_example

AREAS = ("service-mesh", "api-management")
ISTIOD_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: istiod, namespace: argocd}
spec:
  project: default
  source:
    repoURL: https://istio-release.storage.googleapis.com/charts
    chart: istiod
    targetRevision: 1.26.2
  destination: {server: https://kubernetes.default.svc, namespace: istio-system}
"""


def statuses(assessment: Assessment) -> dict[str, str]:
    return {c.control: c.status for area in AREAS for c in assessment.area(area).controls}


def ratings(assessment: Assessment) -> dict[str, int]:
    return {area: assessment.area(area).rating for area in AREAS}


def test_istio_and_envoy_gateway_repository_rates_5() -> None:
    assessment = corpus("mesh-istio-envoy")
    assert ratings(assessment) == {"service-mesh": 5, "api-management": 5}
    assert set(statuses(assessment).values()) == {"achieved"}
    mtls = control(assessment, "MESH-MTLS")
    assert "mesh-wide (istio-system)" in mtls.detail
    assert [(e.file, e.line) for e in mtls.evidence] == [("mesh/peer-authentication.yaml", 8)]
    canary = control(assessment, "MESH-CANARY-ROUTING")
    assert {(e.file, e.line) for e in canary.evidence} == {
        ("shop/rollout.yaml", 28),  # trafficRouting (Gateway API plugin)
        ("shop/rollout.yaml", 51),  # the HTTPRoute's weighted backendRefs
    }
    auth = control(assessment, "API-AUTH")
    assert [(e.file, e.line) for e in auth.evidence] == [("gateway/security-policy.yaml", 11)]
    limits = control(assessment, "API-RATE-LIMITS")
    assert [(e.file, e.line) for e in limits.evidence] == [
        ("gateway/backend-traffic-policy.yaml", 11)
    ]
    assert misquoted(assessment) == []


def test_linkerd_and_kong_repository_rates_4_and_4_without_authorization_or_catalog() -> None:
    assessment = corpus("mesh-linkerd-kong")
    assert ratings(assessment) == {"service-mesh": 4, "api-management": 4}
    assert statuses(assessment)["MESH-AUTHORIZATION"] == "missing"
    assert statuses(assessment)["API-CATALOG"] == "missing"
    assert "Linkerd mTLS in 1 injected namespace" in control(assessment, "MESH-MTLS").detail
    limits = {(e.file, e.line) for e in control(assessment, "API-RATE-LIMITS").evidence}
    # the KongClusterPlugin, and the plugin of the DB-less configuration string in the values
    assert limits == {("api/plugins.yaml", 21), ("apps/kong.yaml", 26)}
    assert misquoted(assessment) == []


def test_a_repository_without_mesh_or_gateway_rates_1_and_keeps_its_other_ratings() -> None:
    seed = corpus("seed001")
    assert ratings(seed) == {"service-mesh": 1, "api-management": 1}
    assert set(statuses(seed).values()) == {"missing"}
    assert seed.level == "Scale"  # the new areas are expected from Adapt only


def test_istio_without_strict_peer_authentication_is_permissive(tmp_path: Path) -> None:
    assessment = assess_files(
        tmp_path,
        {
            "apps/istiod.yaml": ISTIOD_APP,
            "mesh/pa.yaml": (
                "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\n"
                "metadata: {name: default, namespace: istio-system}\n"
                "spec:\n  mtls:\n    mode: PERMISSIVE\n"
            ),
        },
    )
    mtls = control(assessment, "MESH-MTLS")
    assert mtls.status == "partial"
    assert "PERMISSIVE" in mtls.detail
    assert [(g.file, g.line) for g in mtls.gaps] == [("mesh/pa.yaml", 6)]


def test_strict_in_some_mesh_namespaces_names_the_others(tmp_path: Path) -> None:
    namespace = (
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"
        "  labels: {{istio-injection: enabled}}\n"
    )
    assessment = assess_files(
        tmp_path,
        {
            "apps/istiod.yaml": ISTIOD_APP,
            "ns/shop.yaml": namespace.format(name="shop"),
            "ns/billing.yaml": namespace.format(name="billing"),
            "shop/pa.yaml": (
                "apiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\n"
                "metadata: {name: default, namespace: shop}\nspec:\n  mtls: {mode: STRICT}\n"
            ),
        },
    )
    mtls = control(assessment, "MESH-MTLS")
    assert mtls.status == "partial"
    assert mtls.detail == "Istio STRICT mTLS in 1 namespace, not in billing"
    assert [g.file for g in mtls.gaps] == ["ns/billing.yaml"]
    assert misquoted(assessment) == []


def test_a_gateways_namespace_in_the_mesh_needs_no_strict_mtls(tmp_path: Path) -> None:
    namespace = (
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"
        "  labels: {{istio.io/dataplane-mode: ambient}}\n"
    )
    gateway = (
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\n"
        "metadata: {{name: {name}, namespace: {namespace}}}\n"
        "spec:\n  gatewayClassName: {cls}\n  listeners:\n"
        "    - {{name: http, port: 80, protocol: HTTP}}\n"
    )
    assessment = assess_files(
        tmp_path,
        {
            "apps/istiod.yaml": ISTIOD_APP,
            "ns/shop.yaml": namespace.format(name="shop"),
            "ns/apis.yaml": namespace.format(name="apis"),
            "apis/gateway.yaml": gateway.format(name="apis", namespace="apis", cls="envoy"),
            "shop/waypoint.yaml": gateway.format(
                name="waypoint", namespace="shop", cls="istio-waypoint"
            ),
            "shop/pa.yaml": (
                "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\n"
                "metadata: {name: default, namespace: shop}\nspec:\n  mtls: {mode: STRICT}\n"
            ),
        },
    )
    mtls = control(assessment, "MESH-MTLS")
    assert mtls.status == "achieved", mtls.detail  # the gateway takes traffic from outside


@pytest.mark.parametrize("with_policy", [False, True])
def test_request_authentication_counts_once_a_policy_requires_the_token(
    tmp_path: Path, with_policy: bool
) -> None:
    files = {
        "apps/istiod.yaml": ISTIOD_APP,
        "auth/ra.yaml": (
            "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\n"
            "metadata: {name: jwt, namespace: shop}\nspec:\n  jwtRules:\n"
            '    - issuer: "https://sso.example.com/realms/platform"\n'
            '      jwksUri: "https://sso.example.com/realms/platform/protocol/openid-connect/certs"\n'
        ),
    }
    if with_policy:
        files["auth/require.yaml"] = (
            "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
            "metadata: {name: require-jwt, namespace: shop}\nspec:\n  action: ALLOW\n"
            "  rules:\n    - from:\n        - source:\n"
            '            requestPrincipals: ["*"]\n'
        )
    auth = control(assess_files(tmp_path, files), "API-AUTH")
    assert auth.status == ("achieved" if with_policy else "partial")
    if not with_policy:
        assert "requests without a token pass" in auth.detail


def test_a_canary_without_traffic_routing_is_partial(tmp_path: Path) -> None:
    rollout = (
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web, namespace: shop}\n"
        "spec:\n  strategy:\n    canary:\n      steps:\n        - setWeight: 20\n"
    )
    canary = control(assess_files(tmp_path, {"web/rollout.yaml": rollout}), "MESH-CANARY-ROUTING")
    assert canary.status == "partial"
    assert "no trafficRouting" in canary.detail
    assert [g.file for g in canary.gaps] == ["web/rollout.yaml"]


def test_one_weighted_backend_is_no_split(tmp_path: Path) -> None:
    route = (
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
        "metadata: {name: web, namespace: shop}\nspec:\n  rules:\n"
        "    - backendRefs:\n        - {name: web, port: 80, weight: 100}\n"
    )
    assessment = assess_files(tmp_path, {"web/route.yaml": route})
    assert control(assessment, "MESH-CANARY-ROUTING").status == "missing"


def test_a_catalog_api_without_its_definition_is_partial(tmp_path: Path) -> None:
    api = (
        "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: {name}\n"
        "spec:\n  type: openapi\n  lifecycle: production\n  owner: shop\n"
    )
    files = {
        "catalog/orders.yaml": api.format(name="orders")
        + "  definition:\n    $text: ./orders.yaml\n",
        "catalog/carts.yaml": api.format(name="carts"),
    }
    catalog = control(assess_files(tmp_path, files), "API-CATALOG")
    assert catalog.status == "partial"
    assert catalog.detail == "1 of 2 catalog APIs carry their definition"
    assert [g.file for g in catalog.gaps] == ["catalog/carts.yaml"]


def test_static_api_keys_are_partial_authentication(tmp_path: Path) -> None:
    plugin = (
        "apiVersion: configuration.konghq.com/v1\nkind: KongPlugin\n"
        "metadata: {name: key-auth, namespace: shop}\nplugin: key-auth\n"
    )
    auth = control(assess_files(tmp_path, {"api/key-auth.yaml": plugin}), "API-AUTH")
    assert auth.status == "partial"
    assert "static keys" in auth.detail
    assert [(e.file, e.line) for e in auth.evidence] == [("api/key-auth.yaml", 4)]


def test_a_rendered_mesh_with_an_api_rates_5_citing_what_render_wrote(tmp_path: Path) -> None:
    """Stackyard's own mesh and API gateway, rendered and read back like any repository."""
    out = tmp_path / "tree"
    render_example(ROOT / "tests" / "simulate" / "data" / "mesh.yaml", out)
    assessment = assess_directory(out)
    assert ratings(assessment) == {"service-mesh": 5, "api-management": 5}
    assert set(statuses(assessment).values()) == {"achieved"}
    # STRICT in every mesh namespace; the API gateway's namespace joins the mesh as a
    # client and takes traffic from outside, so it is not asked for STRICT
    assert control(assessment, "MESH-MTLS").gaps == ()
    assert misquoted(assessment) == []

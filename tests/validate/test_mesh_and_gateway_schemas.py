"""The mesh and API gateway reference data catches real mistakes and accepts real objects.

Every object here is written the way the upstream documentation writes it (Istio's
security and telemetry tasks, Envoy Gateway's JWT and rate-limit tasks, Kiali's CR
reference), not the way Stackyard renders it: the schemas must hold for any user.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from stackyard.validate import ChartKeys, chart_keys, check_resource, find_crd, unknown_keys


def resource(text: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(text)
    return document


# https://istio.io/latest/docs/tasks/security/authentication/mtls-migration/
PEER_AUTHENTICATION = """\
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: foo
spec:
  mtls:
    mode: STRICT
"""
# https://istio.io/latest/docs/reference/config/security/authorization-policy/
AUTHORIZATION_POLICY = """\
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: httpbin
  namespace: foo
spec:
  action: ALLOW
  rules:
  - from:
    - source:
        principals: ["cluster.local/ns/default/sa/sleep"]
    to:
    - operation:
        methods: ["GET"]
        paths: ["/info*"]
"""
# https://istio.io/latest/docs/tasks/observability/distributed-tracing/opentelemetry/
TELEMETRY = """\
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata:
  name: otel-demo
  namespace: istio-system
spec:
  tracing:
  - providers:
    - name: otel-tracing
    randomSamplingPercentage: 100
"""
# https://gateway.envoyproxy.io/docs/tasks/security/jwt-authentication/
SECURITY_POLICY = """\
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata:
  name: jwt-example
spec:
  targetRefs:
    - group: gateway.networking.k8s.io
      kind: HTTPRoute
      name: foo
  jwt:
    providers:
    - name: example
      remoteJWKS:
        uri: https://raw.githubusercontent.com/envoyproxy/gateway/main/examples/kubernetes/jwt/jwks.json
"""
# https://gateway.envoyproxy.io/docs/tasks/traffic/global-rate-limit/
BACKEND_TRAFFIC_POLICY = """\
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata:
  name: policy-httproute
spec:
  targetRefs:
  - group: gateway.networking.k8s.io
    kind: HTTPRoute
    name: http-ratelimit
  rateLimit:
    type: Global
    global:
      rules:
      - clientSelectors:
        - headers:
          - name: x-user-id
            value: one
        limit:
          requests: 3
          unit: Hour
"""
# https://kiali.io/docs/configuration/kialis.kiali.io/ and the tracing/Grafana pages
KIALI = """\
apiVersion: kiali.io/v1alpha1
kind: Kiali
metadata:
  name: kiali
  namespace: istio-system
spec:
  auth:
    strategy: anonymous
  external_services:
    prometheus:
      url: http://prometheus.istio-system:9090
    grafana:
      enabled: true
      internal_url: http://grafana.istio-system:3000
      external_url: https://grafana.example.com
    tracing:
      enabled: true
      provider: tempo
      internal_url: http://tempo-query-frontend.tempo:3200
      use_grpc: false
"""

CORRECT = [
    PEER_AUTHENTICATION,
    AUTHORIZATION_POLICY,
    TELEMETRY,
    SECURITY_POLICY,
    BACKEND_TRAFFIC_POLICY,
    KIALI,
]


@pytest.mark.parametrize("text", CORRECT, ids=lambda t: resource(t)["kind"])
def test_an_object_as_the_upstream_docs_write_it_is_valid(text: str) -> None:
    result = check_resource(resource(text))
    assert result.status == "valid", result.problems


def problems(text: str, change: str, value: Any) -> list[str]:
    """The problems of ``text`` after setting the dotted path ``change`` to ``value``."""
    data = resource(text)
    *parents, last = change.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is None:
        del node[last]
    else:
        node[last] = value
    result = check_resource(data)
    assert result.status == "invalid"
    return [str(p) for p in result.problems]


def test_a_peer_authentication_with_a_misspelt_mode_is_refused() -> None:
    found = problems(PEER_AUTHENTICATION, "spec.mtls.mode", "STRICTLY")
    assert found == [
        "spec.mtls.mode: 'STRICTLY' is not one of ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT']"
    ]


def test_a_peer_authentication_with_an_invented_field_names_the_real_one() -> None:
    found = problems(PEER_AUTHENTICATION, "spec.mtlsMode", "STRICT")
    assert found == ["spec.mtlsMode: unknown field (did you mean 'mtls'?)"]


def test_an_authorization_policy_action_outside_the_enum_is_refused() -> None:
    found = problems(AUTHORIZATION_POLICY, "spec.action", "ALLOWED")
    assert len(found) == 1 and found[0].startswith("spec.action: 'ALLOWED' is not one of")


def test_an_authorization_policy_source_field_typo_is_refused() -> None:
    found = problems(AUTHORIZATION_POLICY, "spec.rules.0.from.0.source.principal", ["x"])
    assert found == [
        "spec.rules[0].from[0].source.principal: unknown field (did you mean 'principals'?)"
    ]


def test_a_security_policy_jwt_provider_with_url_instead_of_uri_is_refused() -> None:
    found = problems(
        SECURITY_POLICY, "spec.jwt.providers.0.remoteJWKS", {"url": "https://id.example/jwks"}
    )
    assert found == [
        "spec.jwt.providers[0].remoteJWKS.uri: required field is missing",
        "spec.jwt.providers[0].remoteJWKS.url: unknown field (did you mean 'uri'?)",
    ]


def test_a_security_policy_jwt_provider_without_a_name_is_refused() -> None:
    found = problems(SECURITY_POLICY, "spec.jwt.providers.0.name", None)
    assert found == ["spec.jwt.providers[0].name: required field is missing"]


def test_a_rate_limit_in_an_unknown_unit_is_refused() -> None:
    path = "spec.rateLimit.global.rules.0.limit.unit"
    found = problems(BACKEND_TRAFFIC_POLICY, path, "Hours")
    assert len(found) == 1
    assert found[0].startswith("spec.rateLimit.global.rules[0].limit.unit: 'Hours' is not one of")


def test_a_kiali_cr_with_a_misspelt_section_is_refused() -> None:
    data = resource(KIALI)
    data["spec"]["external_service"] = data["spec"].pop("external_services")
    result = check_resource(data)
    assert [str(p) for p in result.problems] == [
        "spec.external_service: unknown field (did you mean 'external_services'?)"
    ]


def test_a_kiali_tracing_provider_outside_the_enum_is_refused() -> None:
    found = problems(KIALI, "spec.external_services.tracing.provider", "zipkin")
    assert len(found) == 1 and "'zipkin' is not one of" in found[0]


@pytest.mark.parametrize(
    ("api_version", "kind", "project", "ref"),
    [
        ("security.istio.io/v1", "PeerAuthentication", "istio", "1.30.3"),
        ("security.istio.io/v1", "RequestAuthentication", "istio", "1.30.3"),
        ("networking.istio.io/v1", "VirtualService", "istio", "1.30.3"),
        ("networking.istio.io/v1", "DestinationRule", "istio", "1.30.3"),
        ("networking.istio.io/v1", "Sidecar", "istio", "1.30.3"),
        ("gateway.networking.k8s.io/v1", "HTTPRoute", "gateway-api", "v1.6.1"),
        ("gateway.envoyproxy.io/v1alpha1", "ClientTrafficPolicy", "envoy-gateway", "v1.9.0"),
        ("gateway.envoyproxy.io/v1alpha1", "EnvoyProxy", "envoy-gateway", "v1.9.0"),
        ("gateway.envoyproxy.io/v1alpha1", "EnvoyExtensionPolicy", "envoy-gateway", "v1.9.0"),
        ("kiali.io/v1alpha1", "Kiali", "kiali", "v2.29.0"),
        ("argoproj.io/v1alpha1", "Rollout", "argo-rollouts", "v1.9.1"),
    ],
)
def test_the_pinned_release_of_each_kind_is_recorded(
    api_version: str, kind: str, project: str, ref: str
) -> None:
    crd = find_crd(api_version, kind)
    assert crd is not None
    assert (crd.project, crd.ref, len(crd.commit)) == (project, ref, 40)


def keys(chart: str, version: str) -> ChartKeys:
    found = chart_keys(chart, version)
    assert isinstance(found, ChartKeys), found
    return found


@pytest.mark.parametrize(
    ("chart", "version", "values"),
    [
        # https://istio.io/latest/docs/ambient/install/helm/ and .../platform-prerequisites/
        ("cni", "1.30.3", {"profile": "ambient", "global": {"platform": "k3d"}}),
        ("cni", "1.30.3", {"ambient": {"dnsCapture": True}}),
        ("ztunnel", "1.30.3", {"profile": "ambient", "resources": {"requests": {"cpu": "200m"}}}),
        # https://gateway.envoyproxy.io/docs/install/install-helm/ (customising the deployment)
        (
            "gateway-helm",
            "v1.9.0",
            {"deployment": {"envoyGateway": {"resources": {"limits": {"memory": "1024Mi"}}}}},
        ),
        ("kiali-operator", "2.29.0", {"cr": {"create": True, "namespace": "istio-system"}}),
    ],
)
def test_chart_values_from_the_install_docs_are_known_keys(
    chart: str, version: str, values: dict[str, Any]
) -> None:
    assert unknown_keys(keys(chart, version).tree, values) == []


@pytest.mark.parametrize(
    ("chart", "version", "values", "expected"),
    [
        ("cni", "1.30.3", {"ambient": {"enable": True}}, "ambient.enable"),
        ("ztunnel", "1.30.3", {"profil": "ambient"}, "profil"),
        ("gateway-helm", "v1.9.0", {"deployments": {"replicas": 2}}, "deployments"),
        ("kiali-operator", "2.29.0", {"cr": {"crate": True}}, "cr.crate"),
    ],
)
def test_a_misspelt_chart_key_is_reported(
    chart: str, version: str, values: dict[str, Any], expected: str
) -> None:
    found = unknown_keys(keys(chart, version).tree, values)
    assert [u.dotted for u in found] == [expected]


@pytest.mark.parametrize(
    ("chart", "version"), [("cni", "1.30.3"), ("ztunnel", "1.30.3"), ("gateway-helm", "v1.9.0")]
)
def test_a_chart_read_at_its_release_tag_is_the_exact_version(chart: str, version: str) -> None:
    found = keys(chart, version)
    assert found.exact_version and len(found.commit) == 40

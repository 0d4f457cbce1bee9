"""APIs behind Envoy Gateway: route, JWT, limits, Keycloak clients, catalog entities, dashboards.

The spec is an example without its own mesh, services and APIs, plus
``data/apis/spec-tail.yaml`` (two tenants' services and two APIs: ``orders`` in realm
``platform`` with a scope, a role and two plans, ``reports`` in the tenant realm ``team-data``
with a quota only), rendered from a folder that holds its OpenAPI file. The properties every API
must have are also checked on the example itself (its ``orders`` API, with its own OpenAPI file).
"""

from __future__ import annotations

import copy
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from stackyard.catalog import load_catalog
from stackyard.catalog.model import HelmInstall
from stackyard.cli.main import app
from stackyard.plan import make_plan
from stackyard.render.build import render_plan
from stackyard.spec import load_spec
from stackyard.validate.chartkeys import ChartKeys, chart_keys, unknown_keys
from tests.render.conftest import EXAMPLES, Rendered, example_text, render_text
from tests.spec_sections import without_mesh_and_apis

DATA = Path(__file__).parent / "data" / "apis"
EXAMPLE = "aws-enterprise"
GATEWAY_NS = "envoy-gateway-system"
ISSUER = "https://keycloak.platform.example.com/realms/{realm}"


@dataclass(frozen=True)
class Case(Rendered):
    """A rendered spec and the folder its OpenAPI paths are relative to."""

    folder: Path = EXAMPLES


def _render(folder: Path, tail: str) -> Case:
    (folder / "apis").mkdir(parents=True, exist_ok=True)
    shutil.copy(DATA / "orders.yaml", folder / "apis" / "orders.yaml")
    spec = folder / "platform.yaml"
    base = without_mesh_and_apis((EXAMPLES / f"{EXAMPLE}.yaml").read_text(encoding="utf-8"))
    spec.write_text(base + tail)
    plan = make_plan(load_spec(spec))
    return Case(plan, dict(render_plan(plan)), folder)


@pytest.fixture(scope="module")
def tail() -> str:
    return (DATA / "spec-tail.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def tailed(tmp_path_factory: pytest.TempPathFactory, tail: str) -> Case:
    return _render(tmp_path_factory.mktemp("apis"), tail)


@pytest.fixture(scope="module")
def example() -> Case:
    rendered = render_text(example_text(EXAMPLE))  # beside the examples, as the CLI reads it
    return Case(rendered.plan, rendered.files, EXAMPLES)


@pytest.fixture(scope="module", params=["spec-tail", EXAMPLE])
def rendered(request: pytest.FixtureRequest) -> Case:
    """The spec with ``spec-tail.yaml``'s APIs, then the example with its own."""
    fixture = "tailed" if request.param == "spec-tail" else "example"
    case: Case = request.getfixturevalue(fixture)
    return case


@pytest.fixture(scope="module")
def apis(rendered: Rendered) -> list[Any]:
    return list(rendered.plan.spec.platform.apis)


def _objects(rendered: Rendered, kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for _, d in rendered.objects() if d["kind"] == kind}


def _realm(rendered: Rendered, realm: str) -> dict[str, Any]:
    configmap = rendered.find(
        f"manifests/prod/keycloak/realm-{realm}.yaml", "ConfigMap", f"keycloak-realm-{realm}"
    )
    return json.loads(configmap["data"][f"{realm}-realm.json"])


def test_the_example_api_routes_to_its_canary_service(example: Case) -> None:
    routes = _objects(example, "HTTPRoute")
    route = routes["api-orders"]
    assert route["metadata"]["namespace"] == "team-web"  # the tenant's first namespace
    assert route["spec"]["hostnames"] == ["api.platform.example.com"]
    rule = route["spec"]["rules"][0]
    assert rule["matches"] == [{"path": {"type": "PathPrefix", "value": "/orders"}}]
    assert rule["backendRefs"] == [{"name": "orders", "port": 8080}]
    # The service behind it splits 90/10 between its versions in the mesh.
    canary = routes["orders"]
    assert canary["spec"]["parentRefs"][0]["kind"] == "Service"
    weights = [b["weight"] for b in canary["spec"]["rules"][-1]["backendRefs"]]
    assert weights == [90, 10]


def test_every_api_has_a_route_to_its_service_port(tailed: Case) -> None:
    rendered = tailed
    # The APIs' routes; the platform's own (Grafana, Argo CD...) are on the platform Gateway.
    routes = {n: r for n, r in _objects(rendered, "HTTPRoute").items() if n.startswith("api-")}
    orders, reports = routes["api-orders"], routes["api-reports"]
    assert orders["metadata"]["namespace"] == "team-web"  # the tenant's first namespace
    assert orders["spec"]["hostnames"] == ["api.platform.example.com"]  # default host
    rule = orders["spec"]["rules"][0]
    assert rule["matches"] == [{"path": {"type": "PathPrefix", "value": "/orders"}}]
    assert rule["backendRefs"] == [{"name": "checkout", "port": 8080}]  # the named port
    assert reports["metadata"]["namespace"] == "team-data-batch"
    assert reports["spec"]["hostnames"] == ["reports.api.platform.example.com"]
    assert reports["spec"]["rules"][0]["backendRefs"] == [{"name": "reports", "port": 8000}]
    gateway = rendered.find("manifests/prod/envoy-gateway/api-gateway.yaml", "Gateway", "apis")
    listeners = {x["name"]: x for x in gateway["spec"]["listeners"]}
    for route in routes.values():
        ref = route["spec"]["parentRefs"][0]
        assert (ref["name"], ref["namespace"]) == ("apis", GATEWAY_NS)
        assert listeners[ref["sectionName"]]["hostname"] == route["spec"]["hostnames"][0]
        assert listeners[ref["sectionName"]]["protocol"] == "HTTPS"
    assert gateway["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "vault"
    gateway_class = _objects(rendered, "GatewayClass")[gateway["spec"]["gatewayClassName"]]
    assert (
        gateway_class["spec"]["controllerName"] == "gateway.envoyproxy.io/gatewayclass-controller"
    )


def test_every_api_validates_tokens_of_its_realm_and_requires_its_claims(
    rendered: Rendered, apis: list[Any]
) -> None:
    policies = _objects(rendered, "SecurityPolicy")
    for api in apis:
        policy = policies[f"api-{api.name}"]
        assert policy["spec"]["targetRefs"] == [
            {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": f"api-{api.name}"}
        ]
        (provider,) = policy["spec"]["jwt"]["providers"]
        issuer = ISSUER.format(realm=api.auth.realm)
        assert provider["issuer"] == issuer
        assert provider["remoteJWKS"]["uri"] == f"{issuer}/protocol/openid-connect/certs"
        assert provider["claimToHeaders"] == [{"claim": "azp", "header": "x-api-consumer"}]
        # Keycloak's certificate chains to the platform CA: the keys are fetched through a
        # Backend that trusts it, which the policy's namespace is granted to use.
        (ref,) = provider["remoteJWKS"]["backendRefs"]
        backend = _objects(rendered, "Backend")[ref["name"]]
        assert backend["metadata"]["namespace"] == ref["namespace"] == GATEWAY_NS
        assert backend["spec"]["endpoints"] == [
            {"fqdn": {"hostname": "keycloak.platform.example.com", "port": ref["port"]}}
        ]
        assert backend["spec"]["tls"]["caCertificateRefs"][0]["name"] == "platform-ca-bundle"
        grant = _objects(rendered, "ReferenceGrant")[ref["name"]]
        assert {
            "group": "gateway.envoyproxy.io",
            "kind": "SecurityPolicy",
            "namespace": policy["metadata"]["namespace"],
        } in grant["spec"]["from"]
        authorization = policy["spec"]["authorization"]
        assert authorization["defaultAction"] == "Deny"
        (rule,) = authorization["rules"]
        jwt = rule["principal"]["jwt"]
        assert jwt["provider"] == provider["name"]
        assert jwt["scopes"] == list(api.auth.scopes)
        claims = {(c["name"], tuple(c["values"])) for c in jwt["claims"]}
        assert ("azp", tuple(sorted(c.name for c in api.consumers))) in claims
        for role in api.auth.roles:
            assert ("realm_access.roles", (role,)) in claims


def test_every_consumer_is_limited_by_its_plan_in_one_shared_counter(
    rendered: Rendered, apis: list[Any]
) -> None:
    policies = _objects(rendered, "BackendTrafficPolicy")
    for api in apis:
        plans = {p.name: p for p in api.plans}
        rules = policies[f"api-{api.name}"]["spec"]["rateLimit"]["global"]["rules"]
        found = {
            (
                r["clientSelectors"][0]["headers"][0]["value"],
                r["limit"]["requests"],
                r["limit"]["unit"],
            )
            for r in rules
        }
        expected = {
            (c.name, limit.requests, limit.unit)
            for c in api.consumers
            for limit in (plans[c.plan].rateLimit, plans[c.plan].quota)
            if limit is not None
        }
        assert found == expected
        for r in rules:
            assert r["clientSelectors"][0]["headers"][0]["name"] == "x-api-consumer"
    # The global limits' counter store exists where Envoy Gateway's values point.
    values = rendered.values("prod", "envoy-gateway")
    assert values["config"]["envoyGateway"]["extensionApis"]["enableBackend"] is True
    url = values["config"]["envoyGateway"]["rateLimit"]["backend"]["redis"]["url"]
    service = rendered.find(
        "manifests/prod/envoy-gateway/api-limits.yaml", "Service", "ratelimit-redis"
    )
    port = service["spec"]["ports"][0]["port"]
    assert url == f"ratelimit-redis.{service['metadata']['namespace']}.svc.cluster.local:{port}"
    deployment = rendered.find(
        "manifests/prod/envoy-gateway/api-limits.yaml", "Deployment", "ratelimit-redis"
    )
    assert deployment["spec"]["selector"]["matchLabels"] == service["spec"]["selector"]


def test_every_consumer_is_a_confidential_service_account_client_in_its_realm(
    rendered: Rendered, apis: list[Any]
) -> None:
    for api in apis:
        realm = _realm(rendered, api.auth.realm)
        assert realm["realm"] == api.auth.realm
        clients = {c["clientId"]: c for c in realm["clients"]}
        scopes = {s["name"] for s in realm["clientScopes"]}
        # Declaring any scope drops Keycloak's built-ins, so the realm declares them.
        assert {"basic", "profile", "email", "roles"} <= scopes
        assert set(api.auth.scopes) <= scopes
        for consumer in api.consumers:
            client = clients[consumer.name]
            assert client["serviceAccountsEnabled"] is True
            assert client["publicClient"] is False
            assert client["standardFlowEnabled"] is False
            assert "secret" not in client
            assert set(api.auth.scopes) <= set(client["defaultClientScopes"])
            assert "roles" in client["defaultClientScopes"]
        users = {u["serviceAccountClientId"]: u for u in realm.get("users", [])}
        for consumer in api.consumers:
            for role in api.auth.roles:
                assert role in users[consumer.name]["realmRoles"]
        assert set(api.auth.roles) <= {r["name"] for r in realm.get("roles", {}).get("realm", [])}


# What a new realm gets from Keycloak 26.5 (the catalog's keycloakx chart runs 26.5.6), as
# Keycloak's source makes it: OIDCLoginProtocolFactory.createDefaultClientScopesImpl (with
# organization and acr under features on by default), DefaultClientScopes
# .createOfflineAccessClientScope, SamlProtocolFactory.createDefaultClientScopesImpl.
KEYCLOAK_REALM_DEFAULT = {
    "acr", "basic", "email", "profile", "roles", "web-origins", "role_list", "saml_organization"
}  # fmt: skip
KEYCLOAK_REALM_OPTIONAL = {"address", "phone", "offline_access", "microprofile-jwt", "organization"}
KEYCLOAK_OTHER_BUILTINS = {"service_account"}  # added to clients with a service account


def test_a_realm_with_api_scopes_keeps_every_keycloak_built_in_and_its_lists(
    rendered: Rendered, apis: list[Any]
) -> None:
    for realm_name in {api.auth.realm for api in apis}:
        realm = _realm(rendered, realm_name)
        scopes = {s["name"]: s for s in realm["clientScopes"]}
        builtins = KEYCLOAK_REALM_DEFAULT | KEYCLOAK_REALM_OPTIONAL | KEYCLOAK_OTHER_BUILTINS
        assert builtins <= scopes.keys(), realm_name
        assert set(realm["defaultDefaultClientScopes"]) == KEYCLOAK_REALM_DEFAULT
        assert set(realm["defaultOptionalClientScopes"]) == KEYCLOAK_REALM_OPTIONAL
        assert scopes["role_list"]["protocol"] == "saml"
        assert scopes["offline_access"]["attributes"]["consent.screen.text"] == (
            "${offlineAccessScopeConsentText}"
        )
        # Consumers list their scopes, so they get only what they list: the realm's OIDC
        # defaults and optional scopes must be among them.
        oidc_defaults = KEYCLOAK_REALM_DEFAULT - {"role_list", "saml_organization"}
        for client in realm["clients"]:
            if "defaultClientScopes" in client:
                assert oidc_defaults <= set(client["defaultClientScopes"])
                assert set(client["optionalClientScopes"]) == KEYCLOAK_REALM_OPTIONAL


def test_envoy_gateway_config_keys_are_checked_against_its_config_api(
    rendered: Rendered,
) -> None:
    # config.envoyGateway is Envoy Gateway's own config file; its key tree comes from the
    # EnvoyGateway Go type, so the rate limit backend the render writes is checked.
    catalog = {c.name: c for c in load_catalog()}
    install = catalog["envoy-gateway"].install
    assert isinstance(install, HelmInstall)
    keys = chart_keys(install.chart, install.version)
    assert isinstance(keys, ChartKeys)
    values = rendered.values("prod", "envoy-gateway")
    assert values["config"]["envoyGateway"]["rateLimit"]["backend"]["redis"]["url"]
    assert unknown_keys(keys.tree, values) == []
    typo = copy.deepcopy(values)
    redis = typo["config"]["envoyGateway"]["rateLimit"]["backend"]["redis"]
    redis["urll"] = redis.pop("url")
    (found,) = unknown_keys(keys.tree, typo)
    assert found.dotted == "config.envoyGateway.rateLimit.backend.redis.urll"
    assert "did you mean 'url'" in str(found)


def test_the_platform_realm_keeps_its_own_clients(rendered: Rendered) -> None:
    clients = {c["clientId"] for c in _realm(rendered, "platform")["clients"]}
    assert {"argocd", "grafana", "backstage", "mobile-app", "partner-portal"} <= clients


def test_a_tenant_realm_is_mounted_for_import_beside_the_platform_realm(tailed: Case) -> None:
    rendered = tailed
    values = rendered.values("prod", "keycloak")
    # The example's directory adds the vault volume beside the realms' (identity tests).
    volume = next(
        v for v in yaml.safe_load(values["extraVolumes"]) if v["name"] == "realm-platform"
    )
    names = [s["configMap"]["name"] for s in volume["projected"]["sources"]]
    assert names == ["keycloak-realm-platform", "keycloak-realm-team-data"]
    mount = next(
        m for m in yaml.safe_load(values["extraVolumeMounts"]) if m["name"] == volume["name"]
    )
    assert mount["mountPath"] == "/opt/keycloak/data/import"


def test_every_api_is_a_backstage_entity_with_its_openapi_document(
    rendered: Case, apis: list[Any]
) -> None:
    for api in apis:
        (entity,) = rendered.documents(f"catalog/apis/{api.name}.yaml")
        assert (entity["apiVersion"], entity["kind"]) == ("backstage.io/v1alpha1", "API")
        spec = entity["spec"]
        assert spec["type"] == "openapi"
        assert spec["owner"] == f"group:{api.tenant}"
        definition = spec["definition"]["$text"]
        copied = rendered.files[f"catalog/apis/{definition.removeprefix('./')}"]
        assert copied == (rendered.folder / api.openapi).read_text(encoding="utf-8")
        (group,) = rendered.documents(f"catalog/groups/{api.tenant}.yaml")
        assert (group["kind"], group["metadata"]["name"]) == ("Group", api.tenant)
    (location,) = rendered.documents("catalog/catalog-info.yaml")
    targets = {f"catalog/{t.removeprefix('./')}" for t in location["spec"]["targets"]}
    assert targets == {
        p
        for p in rendered.files
        if p.startswith("catalog/")
        and p.endswith(".yaml")
        and ".openapi." not in p
        and p != "catalog/catalog-info.yaml"
    }
    config = rendered.values("prod", "backstage")["backstage"]["appConfig"]
    (entry,) = config["catalog"]["locations"]
    assert entry["type"] == "url"
    assert entry["target"].endswith("/blob/main/catalog/catalog-info.yaml")
    assert {"API", "Group", "Location"} <= set(entry["rules"][0]["allow"])


def test_every_api_has_a_dashboard_on_its_route_series(rendered: Rendered, apis: list[Any]) -> None:
    path = "manifests/prod/grafana/api-dashboards.yaml"
    routes = _objects(rendered, "HTTPRoute")
    for api in apis:
        configmap = rendered.find(path, "ConfigMap", f"dashboard-api-{api.name}")
        assert configmap["metadata"]["labels"] == {"grafana_dashboard": "1"}
        (text,) = configmap["data"].values()
        dashboard = json.loads(text)
        exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
        route = routes[f"api-{api.name}"]["metadata"]
        assert (
            f'envoy_cluster_name="httproute/{route["namespace"]}/{route["name"]}/rule/0"' in exprs
        )
        for quantile in ("0.50", "0.95", "0.99"):
            assert f"histogram_quantile({quantile}," in exprs
        assert "envoy_cluster_upstream_rq_xx" in exprs
        assert "envoy_cluster_ratelimit_over_limit" in exprs
    monitor = rendered.find(
        "manifests/prod/prometheus/api-proxy-monitor.yaml", "PodMonitor", "envoy-proxies"
    )
    assert monitor["spec"]["selector"]["matchLabels"] == {
        "app.kubernetes.io/name": "envoy",
        "app.kubernetes.io/component": "proxy",
    }
    assert monitor["spec"]["podMetricsEndpoints"][0]["path"] == "/stats/prometheus"


def test_apis_change_only_their_own_files(tmp_path: Path, tailed: Case, tail: str) -> None:
    rendered = tailed
    # The same spec without its APIs (the gateway component still on): every other file
    # of the tree is byte-identical.
    without = _render(
        tmp_path, tail.split("\napis:\n")[0] + "\ncomponents:\n  envoy-gateway: {enabled: true}\n"
    )
    changed = {p for p in rendered.files if without.files.get(p) != rendered.files[p]}
    changed |= set(without.files) - set(rendered.files)
    assert {p for p in changed if not p.startswith("catalog/")} == {
        "README.md",  # its file count
        "apps/applications/envoy-gateway.yaml",  # now also syncs its manifests folder
        "manifests/prod/envoy-gateway/api-gateway.yaml",
        "manifests/prod/envoy-gateway/api-limits.yaml",
        "manifests/prod/prometheus/api-proxy-monitor.yaml",
        "manifests/prod/grafana/api-dashboards.yaml",
        "manifests/prod/keycloak/realm-platform.yaml",
        "manifests/prod/keycloak/realm-team-data.yaml",
        "values/clusters/prod/backstage.yaml",
        "values/clusters/prod/envoy-gateway.yaml",
        "values/clusters/prod/keycloak.yaml",
    }


def test_the_rendered_tree_passes_the_real_schemas(tmp_path: Path, tail: str) -> None:
    # CRD schemas of Envoy Gateway v1.9.0, Gateway API and the Prometheus Operator, the
    # gateway-helm key tree and Backstage's catalog-model schemas, as `stackyard validate` has them.
    folder = tmp_path / "spec"
    _render(folder, tail)
    runner = CliRunner()
    target = tmp_path / "repo"
    result = runner.invoke(app, ["render", str(folder / "platform.yaml"), str(target)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["validate", str(target), "-o", "json"])
    data = json.loads(result.stdout)
    assert data["findings"] == [], data["findings"]
    unchecked = " ".join(gap["message"] for gap in data["unchecked"])
    for kind in (
        "SecurityPolicy",
        "BackendTrafficPolicy",
        "Backend",
        "PodMonitor",
        "backstage",
        "gateway-helm",
    ):
        assert kind not in unchecked


def test_on_a_fleet_the_gateway_runs_with_the_tenant_and_keycloak_and_grafana_on_mgmt(
    tmp_path: Path,
) -> None:
    (tmp_path / "apis").mkdir()
    shutil.copy(DATA / "orders.yaml", tmp_path / "apis" / "orders.yaml")
    text = (EXAMPLES / "local-multicluster.yaml").read_text(encoding="utf-8")
    text = text.replace("  keycloak: {enabled: false}\n", "  envoy-gateway: {enabled: true}\n")
    text += (
        "tenants:\n  - {name: shop, clusters: [app1]}\n"
        "services:\n  - {name: checkout, tenant: shop, ports: [{name: http, port: 8080}]}\n"
        "apis:\n  - name: orders\n    tenant: shop\n    service: checkout\n"
        "    openapi: apis/orders.yaml\n    auth: {scopes: [orders.read]}\n"
        "    plans: [{name: gold, rateLimit: {requests: 5, unit: Second}}]\n"
        "    consumers: [{name: shop-app}]\n"
    )
    (tmp_path / "platform.yaml").write_text(text)
    plan = make_plan(load_spec(tmp_path / "platform.yaml"))
    files = dict(render_plan(plan))
    gateway_files = {p.split("/")[1] for p in files if "/envoy-gateway/api-" in p}
    assert gateway_files == {"app1"}
    assert "manifests/app1/prometheus-agent/api-proxy-monitor.yaml" in files  # its agent's
    assert "manifests/mgmt/grafana/api-dashboards.yaml" in files
    realm = json.loads(
        yaml.safe_load(files["manifests/mgmt/keycloak/realm-platform.yaml"])["data"][
            "platform-realm.json"
        ]
    )
    assert "shop-app" in {c["clientId"] for c in realm["clients"]}  # plan default: the first
    limits = yaml.safe_load_all(files["manifests/app1/envoy-gateway/api-limits.yaml"])
    (policy,) = [d for d in limits if d["kind"] == "BackendTrafficPolicy"]
    (rule,) = policy["spec"]["rateLimit"]["global"]["rules"]
    assert rule["limit"] == {"requests": 5, "unit": "Second"}

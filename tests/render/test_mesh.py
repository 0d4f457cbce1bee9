"""The mesh render: mTLS, default-deny authorization, routes per version, waypoints, scrapes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from stackyard.spec.units import parse_quantity
from stackyard.validate.chartkeys import ChartKeys, chart_keys, unknown_keys
from tests.render.conftest import Rendered, render_text, schema_problems

DATA = Path(__file__).parent / "data"
CLUSTER = "poc"
MESH_NAMESPACES = ["legacy", "shop", "shop-jobs", "web"]


def _text(mode: str = "ambient") -> str:
    text = (DATA / "mesh-ambient.yaml").read_text(encoding="utf-8")
    return text.replace("mode: ambient", f"mode: {mode}")


@pytest.fixture(scope="module")
def ambient() -> Rendered:
    return render_text(_text())


@pytest.fixture(scope="module")
def sidecar() -> Rendered:
    return render_text(_text("sidecar"))


def _kind(result: Rendered, kind: str) -> list[dict[str, Any]]:
    return [doc for _, doc in result.objects() if doc["kind"] == kind]


def _named(result: Rendered, kind: str, name: str, namespace: str) -> dict[str, Any]:
    return next(
        d
        for d in _kind(result, kind)
        if d["metadata"]["name"] == name and d["metadata"].get("namespace") == namespace
    )


def _mesh_namespaces(result: Rendered) -> set[str]:
    return {
        d["metadata"]["namespace"]
        for d in _kind(result, "PeerAuthentication")
        if d["metadata"]["name"] == "default"
    }


@pytest.mark.parametrize("mode", ["ambient", "sidecar"])
def test_every_mesh_namespace_has_strict_mtls(
    ambient: Rendered, sidecar: Rendered, mode: str
) -> None:
    result = ambient if mode == "ambient" else sidecar
    assert sorted(_mesh_namespaces(result)) == MESH_NAMESPACES
    for namespace in MESH_NAMESPACES:
        policy = _named(result, "PeerAuthentication", "default", namespace)
        assert policy["spec"] == {"mtls": {"mode": "STRICT"}}


def test_permissive_mtls_is_rendered_when_asked() -> None:
    result = render_text(_text().replace("mtls: strict", "mtls: permissive"))
    modes = {d["spec"]["mtls"]["mode"] for d in _kind(result, "PeerAuthentication")}
    assert modes == {"PERMISSIVE"}


@pytest.mark.parametrize("mode", ["ambient", "sidecar"])
def test_every_mesh_namespace_denies_by_default(
    ambient: Rendered, sidecar: Rendered, mode: str
) -> None:
    result = ambient if mode == "ambient" else sidecar
    for namespace in MESH_NAMESPACES:
        # An empty spec selects every workload and allows nothing.
        assert _named(result, "AuthorizationPolicy", "default-deny", namespace)["spec"] == {}


def test_a_service_admits_its_callers_and_the_mesh_gateway(ambient: Rendered) -> None:
    policy = _named(ambient, "AuthorizationPolicy", "allow-checkout", "shop")
    sources = policy["spec"]["rules"][0]["from"]
    assert sources[0]["source"]["principals"] == [
        "cluster.local/ns/shop/sa/storefront",
        "cluster.local/ns/web/sa/frontend",
    ]
    # Istio's gateway (class istio) runs in istio-ingress on this Canal cluster.
    assert sources[1]["source"]["namespaces"] == ["istio-ingress"]
    # Each caller principal is the ServiceAccount rendered for that caller.
    accounts = {
        (d["metadata"]["namespace"], d["metadata"]["name"])
        for d in _kind(ambient, "ServiceAccount")
    }
    assert {("shop", "storefront"), ("web", "frontend")} <= accounts


def test_ambient_http_services_are_authorized_at_the_waypoint(ambient: Rendered) -> None:
    checkout = _named(ambient, "AuthorizationPolicy", "allow-checkout", "shop")["spec"]
    assert checkout["targetRefs"] == [{"group": "", "kind": "Service", "name": "checkout"}]
    # The TCP-only ledger stays on ztunnel, selected by its pods' label.
    ledger = _named(ambient, "AuthorizationPolicy", "allow-ledger", "shop-jobs")["spec"]
    assert ledger["selector"] == {"matchLabels": {"app.kubernetes.io/name": "ledger"}}
    allow = _named(ambient, "AuthorizationPolicy", "allow-waypoint", "shop")["spec"]
    assert allow["rules"][0]["from"][0]["source"]["principals"] == [
        "cluster.local/ns/shop/sa/waypoint"
    ]


def test_sidecar_policies_select_the_service_pods(sidecar: Rendered) -> None:
    for policy in _kind(sidecar, "AuthorizationPolicy"):
        if policy["metadata"]["name"].startswith("allow-"):
            assert "targetRefs" not in policy["spec"]
            assert "selector" in policy["spec"]


def test_ambient_has_a_waypoint_where_l7_is_needed(ambient: Rendered) -> None:
    waypoints = {
        d["metadata"]["namespace"]: d
        for d in _kind(ambient, "Gateway")
        if d["spec"]["gatewayClassName"] == "istio-waypoint"
    }
    # shop and web have HTTP services; shop-jobs (TCP only) and legacy (none) do not.
    assert sorted(waypoints) == ["shop", "web"]
    assert waypoints["shop"]["spec"]["listeners"] == [
        {"name": "mesh", "port": 15008, "protocol": "HBONE"}
    ]
    service = _named(ambient, "Service", "checkout", "shop")
    assert service["metadata"]["labels"]["istio.io/use-waypoint"] == "waypoint"
    assert service["metadata"]["labels"]["istio.io/ingress-use-waypoint"] == "true"


def test_sidecar_mode_has_no_waypoint(sidecar: Rendered) -> None:
    classes = {d["spec"]["gatewayClassName"] for d in _kind(sidecar, "Gateway")}
    assert "istio-waypoint" not in classes


@pytest.mark.parametrize(
    ("mode", "label"),
    [
        ("ambient", {"istio.io/dataplane-mode": "ambient"}),
        ("sidecar", {"istio-injection": "enabled"}),
    ],
)
def test_mesh_namespaces_carry_the_data_plane_label(
    ambient: Rendered, sidecar: Rendered, mode: str, label: dict[str, str]
) -> None:
    result = ambient if mode == "ambient" else sidecar
    labelled = {
        d["metadata"]["name"]
        for d in _kind(result, "Namespace")
        if label.items() <= d["metadata"]["labels"].items()
    }
    assert labelled == set(MESH_NAMESPACES)


def test_canary_weights_sum_to_100(ambient: Rendered) -> None:
    routes = [
        r
        for r in _kind(ambient, "HTTPRoute")
        if r["spec"]["parentRefs"][0].get("kind") == "Service"
    ]
    weighted = 0
    for route in routes:
        for rule in route["spec"]["rules"]:
            weights = [ref["weight"] for ref in rule["backendRefs"] if "weight" in ref]
            if weights:
                weighted += 1
                assert sum(weights) == 100, route["metadata"]["name"]
    assert weighted == 2  # checkout's canary and frontend's rollout


def test_canary_route_is_parented_by_its_service(ambient: Rendered) -> None:
    route = _named(ambient, "HTTPRoute", "checkout", "shop")
    assert route["spec"]["parentRefs"] == [
        {"group": "", "kind": "Service", "name": "checkout", "port": 8080}
    ]
    (rule,) = route["spec"]["rules"]
    assert rule["backendRefs"] == [
        {"name": "checkout-stable", "port": 8080, "weight": 90},
        {"name": "checkout-canary", "port": 8080, "weight": 10},
    ]
    assert rule["timeouts"] == {"request": "10s", "backendRequest": "2s"}
    # Each backend is a rendered Service selecting that version's pods.
    stable = _named(ambient, "Service", "checkout-stable", "shop")
    assert stable["spec"]["selector"] == {
        "app.kubernetes.io/name": "checkout",
        "version": "stable",
    }


def test_a_b_matches_come_before_the_default_rule(ambient: Rendered) -> None:
    route = _named(ambient, "HTTPRoute", "storefront-http", "shop")
    header, cookie, default = route["spec"]["rules"]
    assert header["matches"] == [
        {"headers": [{"type": "Exact", "name": "x-beta", "value": "true"}]}
    ]
    assert header["backendRefs"] == [{"name": "storefront-beta", "port": 8080}]
    assert cookie["backendRefs"] == [{"name": "storefront-gamma", "port": 8080}]
    assert default["backendRefs"] == [{"name": "storefront-main", "port": 8080}]
    pattern = re.compile(cookie["matches"][0]["headers"][0]["value"])
    assert pattern.fullmatch("gamma=1")
    assert pattern.fullmatch("session=abc; gamma=1; theme=dark")
    assert not pattern.fullmatch("xgamma=1")
    assert not pattern.fullmatch("gamma=10")


def test_rollout_route_starts_stable_and_rollouts_gets_its_plugin(ambient: Rendered) -> None:
    route = _named(ambient, "HTTPRoute", "frontend", "web")
    assert route["spec"]["rules"][0]["backendRefs"] == [
        {"name": "frontend-stable", "port": 80, "weight": 100},
        {"name": "frontend-canary", "port": 80, "weight": 0},
    ]
    values = ambient.values(CLUSTER, "argo-rollouts")
    (plugin,) = values["controller"]["trafficRouterPlugins"]
    assert plugin["name"] == "argoproj-labs/gatewayAPI"
    binary = plugin["location"].removeprefix("file://")
    copy = values["controller"]["initContainers"][0]["args"][0]
    assert copy.endswith(binary.rsplit("/", 1)[0])
    cm = ambient.values(CLUSTER, "argo-cd")["configs"]["cm"]
    ignore = cm["resource.customizations.ignoreDifferences.gateway.networking.k8s.io_HTTPRoute"]
    assert "rollouts.argoproj.io/gatewayapi-canary" in ignore


def test_istiod_runs_ambient_and_traces_to_the_collector(ambient: Rendered) -> None:
    values = ambient.values(CLUSTER, "istiod")
    assert values["profile"] == "ambient"
    mesh = values["meshConfig"]
    assert mesh["trustDomain"] == "cluster.local"
    (provider,) = mesh["extensionProviders"]
    assert mesh["defaultProviders"]["tracing"] == [provider["name"]]
    assert provider["opentelemetry"] == {
        "service": "opentelemetry-collector.opentelemetry.svc.cluster.local",
        "port": 4317,
    }


def test_sidecar_istiod_has_no_ambient_profile(sidecar: Rendered) -> None:
    values = sidecar.values(CLUSTER, "istiod")
    assert "profile" not in values
    # istio-cni runs in sidecar mode too, so the injector leaves redirection to it.
    assert values["pilot"]["cni"]["enabled"] is True
    assert "global" not in values  # no waypoints in sidecar mode


def test_ambient_trusts_ztunnel_where_it_runs(ambient: Rendered) -> None:
    istiod = ambient.values(CLUSTER, "istiod")
    assert istiod["trustedZtunnelNamespace"] == "kube-system"
    # Waypoints land in restricted namespaces: Pod Security wants a seccomp profile.
    assert istiod["gateways"]["seccompProfile"] == {"type": "RuntimeDefault"}
    # Each waypoint is sized from the catalog, the figures the tenant quota check counts,
    # and stays far below the chart's default limits (2 CPU, 1Gi).
    resources = istiod["global"]["waypoint"]["resources"]
    proxy = ambient.plan.catalog["istiod"].namespaceProxy
    assert proxy is not None
    assert resources == {
        "requests": {"cpu": proxy.requests.cpu, "memory": proxy.requests.memory},
        "limits": {"cpu": proxy.limits.cpu, "memory": proxy.limits.memory},
    }
    assert parse_quantity(resources["limits"]["cpu"]) < 2
    assert parse_quantity(resources["limits"]["memory"]) < parse_quantity("1Gi")
    cni = ambient.values(CLUSTER, "istio-cni")
    assert cni["ambient"] == {"enabled": True}
    # RKE2: the CNI folders its containerd uses, stated.
    assert (cni["cniConfDir"], cni["cniBinDir"]) == ("/etc/cni/net.d", "/opt/cni/bin")


def test_kiali_is_wired_to_prometheus_grafana_tempo_and_keycloak(ambient: Rendered) -> None:
    spec = _named(ambient, "Kiali", "kiali", "kiali-operator")["spec"]
    services = spec["external_services"]
    assert services["prometheus"]["url"] == "http://prometheus-prometheus.monitoring.svc:9090"
    assert services["grafana"]["internal_url"] == "http://grafana.grafana.svc:80"
    assert services["tracing"]["provider"] == "tempo"
    assert services["tracing"]["internal_url"] == "http://tempo.tracing.svc:3200"
    assert spec["auth"]["strategy"] == "openid"
    assert spec["auth"]["openid"]["client_id"] == "kiali"
    # The realm has the client Kiali signs in with.
    realm = ambient.find(
        "manifests/poc/keycloak/realm-platform.yaml", "ConfigMap", "keycloak-realm-platform"
    )
    assert '"clientId": "kiali"' in realm["data"]["platform-realm.json"]


def test_prometheus_scrapes_istiod_envoys_and_ztunnel(ambient: Rendered) -> None:
    monitors = {
        (d["kind"], d["metadata"]["name"])
        for d in _kind(ambient, "ServiceMonitor") + _kind(ambient, "PodMonitor")
    }
    assert {
        ("ServiceMonitor", "istiod"),
        ("PodMonitor", "istio-envoy"),
        ("PodMonitor", "ztunnel"),
    } <= monitors
    ztunnel = _named(ambient, "PodMonitor", "ztunnel", "monitoring")
    # ztunnel runs where its catalog entry says (kube-system), not beside istiod.
    assert ztunnel["spec"]["namespaceSelector"] == {"matchNames": ["kube-system"]}


def test_mesh_namespaces_let_proxies_reach_istiod(ambient: Rendered) -> None:
    policy = _named(ambient, "NetworkPolicy", "allow-mesh", "web")
    assert {"protocol": "TCP", "port": 15012} in policy["spec"]["egress"][0]["ports"]
    # web/frontend calls shop/checkout across tenants: web may send to shop, shop accepts it.
    assert any(
        peer["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "shop"}
        for rule in policy["spec"]["egress"]
        for peer in rule["to"]
    )
    shop = _named(ambient, "NetworkPolicy", "allow-mesh", "shop")
    sources = [peer for rule in shop["spec"]["ingress"] for peer in rule["from"]]
    assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "web"}}} in sources


@pytest.mark.parametrize("mode", ["ambient", "sidecar"])
def test_every_mesh_object_matches_its_schema(
    ambient: Rendered, sidecar: Rendered, mode: str
) -> None:
    result = ambient if mode == "ambient" else sidecar
    assert schema_problems(result) == []


def test_without_a_mesh_nothing_of_it_is_rendered(rendered: dict[str, Rendered]) -> None:
    for result in rendered.values():
        if result.plan.spec.platform.mesh.enabled:  # mesh-local shows the mesh
            continue
        kinds = {doc["kind"] for _, doc in result.objects()}
        assert not kinds & {"PeerAuthentication", "AuthorizationPolicy", "Kiali"}
        assert not any("/mesh-" in path for path in result.files)


@pytest.mark.parametrize("mode", ["ambient", "sidecar"])
def test_every_mesh_values_key_exists_in_the_pinned_chart(
    ambient: Rendered, sidecar: Rendered, mode: str
) -> None:
    result = ambient if mode == "ambient" else sidecar
    problems = []
    for planned in result.plan.clusters[0].components:
        entry = planned.component
        if entry.install.method != "helm":
            continue
        keys = chart_keys(entry.install.chart, entry.install.version)
        if not isinstance(keys, ChartKeys):
            continue
        values = result.values(CLUSTER, entry.name)
        problems += [f"{entry.name}: {u}" for u in unknown_keys(keys.tree, values)]
    assert problems == []


def test_cilium_leaves_room_for_istio_cni() -> None:
    result = render_text(_text().replace("cni: canal", "cni: cilium"))
    values = result.values(CLUSTER, "cilium")
    assert values["cni"]["exclusive"] is False
    assert values["socketLB"]["hostNamespaceOnly"] is True
    # Cilium's Gateway has no mesh identity: no policy admits its namespace.
    for policy in _kind(result, "AuthorizationPolicy"):
        for rule in policy["spec"].get("rules", []):
            for source in rule["from"]:
                assert "kube-system" not in source["source"].get("namespaces", [])


def test_grafana_gets_a_dashboard_of_the_mesh_services(ambient: Rendered) -> None:
    configmap = _named(ambient, "ConfigMap", "dashboard-mesh-services", "grafana")
    assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"
    board = json.loads(configmap["data"]["mesh-services.json"])
    service = next(v for v in board["templating"]["list"] if v["name"] == "service")
    assert service["query"].split(",") == ["checkout", "frontend", "ledger", "storefront"]
    exprs = [t["expr"] for panel in board["panels"] for t in panel["targets"]]
    # Every mesh query reads series the mesh's monitors scrape.
    assert all("istio_" in e or "pilot_" in e or "citadel_" in e for e in exprs)
    assert any('connection_security_policy="mutual_tls"' in e for e in exprs)


def test_kiali_names_itself_as_each_cluster_serves_it() -> None:
    text = (DATA.parents[2] / "examples" / "mesh-local.yaml").read_text(encoding="utf-8")
    result = render_text(text)
    kialis = _kind(result, "Kiali")
    assert len(kialis) >= 2
    for path, doc in result.objects():
        if doc["kind"] != "Kiali":
            continue
        cluster = path.split("/")[1]
        routes = result.documents(f"manifests/{cluster}/kiali-operator/routes.yaml")
        hosts = {h for route in routes for h in route["spec"].get("hostnames", [])}
        # OIDC redirects and links use web_fqdn: the route must serve exactly that name.
        assert doc["spec"]["server"]["web_fqdn"] in hosts


def test_kiali_trusts_the_platform_ca_where_it_reads_metrics_over_https(
    rendered: dict[str, Rendered], ambient: Rendered
) -> None:
    mesh = rendered["mesh-local"]
    over_https = sorted(
        path.split("/")[1]
        for path, doc in mesh.objects()
        if doc["kind"] == "Kiali"
        and doc["spec"]["external_services"]["prometheus"]["url"].startswith("https://")
    )
    assert over_https == ["app1", "app2"]  # Thanos Query runs on mgmt
    row = next(line for line in mesh.files["README.md"].splitlines() if "kiali-cabundle" in line)
    # Kiali reads <instance>-cabundle, key additional-ca-bundle.pem, in its namespace.
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[0] == "`kiali-operator/kiali-cabundle` (ConfigMap)"
    assert cells[1] == "additional-ca-bundle.pem"
    assert cells[2] == ", ".join(over_https)
    assert "platform-ca-bundle" in cells[3]
    # Kiali in the same namespace as that ConfigMap, named kiali.
    kiali = mesh.find("manifests/app1/kiali-operator/kiali.yaml", "Kiali", "kiali")
    assert kiali["metadata"]["namespace"] == "kiali-operator"
    # Reading the cluster's own Prometheus needs no bundle.
    assert "kiali-cabundle" not in ambient.files["README.md"]
    for name, result in rendered.items():
        if not result.plan.spec.platform.mesh.enabled:
            assert "kiali-cabundle" not in result.files["README.md"], name

"""Helm values per cluster: what the render issue asks of them, checked on the examples."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from stackyard.kube import merge_values
from stackyard.plan import Plan, make_plan
from stackyard.render.addresses import public_host
from stackyard.render.context import RenderContext
from stackyard.render.manifests.backup import bucket as velero_bucket
from stackyard.render.manifests.endpoints import public_url
from stackyard.render.valuebuilders import VALUE_BUILDERS
from stackyard.render.values import (
    cluster_values,
    common_values,
    edition_values,
)
from stackyard.spec import load_spec_text
from tests.render.conftest import EXAMPLE_NAMES, EXAMPLES, example_text

STORE_PUSH = "https://thanos-receive.platform.local.example/api/v1/receive"


@cache
def _plan(name: str) -> Plan:
    return make_plan(load_spec_text(example_text(name), f"{name}.yaml", EXAMPLES))


def _variant(name: str, old: str, new: str) -> Plan:
    text = example_text(name)
    assert old in text, old
    return make_plan(load_spec_text(text.replace(old, new, 1), "platform.yaml", EXAMPLES))


def values(plan: Plan | str, component: str, cluster: str) -> dict[str, Any]:
    """The values Argo CD hands the chart on ``cluster``: common, edition, cluster merged."""
    plan = _plan(plan) if isinstance(plan, str) else plan
    context = RenderContext(plan)
    entry = context.component(component)
    merged = merge_values(common_values(context, entry), edition_values(context, entry))
    layer = cluster_values(context, plan.cluster(cluster), entry, VALUE_BUILDERS)
    return merge_values(merged, layer)


def at(tree: dict[str, Any], dotted: str) -> Any:
    node: Any = tree
    for part in dotted.split("."):
        node = node[part]
    return node


# --- metrics ----------------------------------------------------------------------------


@pytest.mark.parametrize("cluster", ["app1", "app2"])
def test_app_cluster_agent_writes_to_the_store_on_mgmt(cluster: str) -> None:
    agent = values("local-multicluster", "prometheus-agent", cluster)
    spec = agent["prometheus"]["prometheusSpec"]
    assert agent["prometheus"]["agentMode"] is True
    assert spec["remoteWrite"] == [
        {
            "url": STORE_PUSH,
            "tlsConfig": {"ca": {"secret": {"name": "platform-ca-bundle", "key": "ca.crt"}}},
        }
    ]
    assert spec["externalLabels"] == {"cluster": cluster}
    assert agent["alertmanager"]["enabled"] is False, "agents send no alerts"
    assert agent["grafana"]["enabled"] is False


def test_agent_wal_holds_the_spec_retention() -> None:
    args = values("local-multicluster", "prometheus-agent", "app1")["prometheus"]["prometheusSpec"][
        "additionalArgs"
    ]
    assert {"name": "storage.agent.retention.max-time", "value": "2h40m"} in args
    longer = _variant("local-multicluster", "walRetention: 2h40m", "walRetention: 6h")
    args = values(longer, "prometheus-agent", "app1")["prometheus"]["prometheusSpec"][
        "additionalArgs"
    ]
    assert {"name": "storage.agent.retention.max-time", "value": "6h"} in args


def test_full_prometheus_on_mgmt_writes_in_cluster_and_keeps_its_volume() -> None:
    prometheus = values("local-multicluster", "prometheus", "mgmt")
    spec = prometheus["prometheus"]["prometheusSpec"]
    assert spec["remoteWrite"] == [{"url": "http://thanos-receive.thanos.svc:19291/api/v1/receive"}]
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["resources"]["requests"]["storage"] == "20Gi"  # catalog, seed 004
    assert spec["retention"] == "15d"
    assert prometheus["grafana"] == {"enabled": False, "forceDeployDashboards": True}


def test_the_store_url_follows_the_metrics_store_choice() -> None:
    spec = values("aws-standard", "prometheus", "prod")["prometheus"]["prometheusSpec"]
    assert spec["remoteWrite"] == [{"url": "http://mimir-gateway.mimir.svc:80/api/v1/push"}]


def test_alertmanager_runs_three_replicas_only_where_the_cluster_is_ha() -> None:
    ha = values("aws-enterprise", "prometheus", "prod")["alertmanager"]
    assert ha["alertmanagerSpec"]["replicas"] == 3
    assert ha["podDisruptionBudget"]["enabled"] is True
    single = values("local-multicluster", "prometheus", "mgmt")["alertmanager"]
    assert "alertmanagerSpec" not in single
    assert single["enabled"] is True


# --- CNI --------------------------------------------------------------------------------


def test_local_cilium_runs_vxlan_with_unique_cluster_ids() -> None:
    plan = _plan("local-multicluster")
    context = RenderContext(plan)
    ids = {}
    for cluster in plan.clusters:
        cilium = values(plan, "cilium", cluster.name)
        assert cilium["routingMode"] == "tunnel"
        assert cilium["tunnelProtocol"] == "vxlan"
        assert cilium["kubeProxyReplacement"] is True
        assert cilium["k8sServiceHost"] == context.api_host(cluster)
        assert cilium["k8sServicePort"] == 6443
        assert cilium["cluster"]["name"] == cluster.name
        assert cilium["ipam"]["operator"]["clusterPoolIPv4PodCIDRList"] == [
            str(cluster.cluster.network.podCIDR)
        ]
        assert cilium["l2announcements"]["enabled"] is False, "MetalLB announces"
        ids[cluster.name] = cilium["cluster"]["id"]
    assert len(set(ids.values())) == len(ids)
    assert all(1 <= i <= 255 for i in ids.values())


def test_cluster_mesh_peers_are_the_other_clusters_at_their_pinned_addresses() -> None:
    plan = _plan("local-multicluster")
    pinned = {}
    peers = {}
    for cluster in plan.clusters:
        mesh = values(plan, "cilium", cluster.name)["clustermesh"]
        assert mesh["useAPIServer"] is True
        service = mesh["apiserver"]["service"]
        assert service["type"] == "LoadBalancer"
        pinned[cluster.name] = service["annotations"]["metallb.io/loadBalancerIPs"]
        peers[cluster.name] = {p["name"]: p["ips"] for p in mesh["config"]["clusters"]}
    for name, seen in peers.items():
        assert set(seen) == set(pinned) - {name}
        assert all(ips == [pinned[peer]] for peer, ips in seen.items())
    assert pinned["mgmt"] == "192.168.64.210", "the last address of mgmt's pool"


def test_aws_cilium_uses_eni() -> None:
    cilium = values("aws-standard", "cilium", "prod")
    assert cilium["eni"]["enabled"] is True
    assert cilium["ipam"]["mode"] == "eni"
    assert cilium["routingMode"] == "native"
    assert "tunnelProtocol" not in cilium
    assert cilium["hubble"]["relay"]["enabled"] is True
    assert "clustermesh" not in cilium or cilium["clustermesh"]["useAPIServer"] is False


def test_native_routing_routes_the_pod_cidr_directly() -> None:
    plan = _variant("local-multicluster", "ciliumRoutingMode: tunnel", "ciliumRoutingMode: native")
    cilium = values(plan, "cilium", "app1")
    assert cilium["routingMode"] == "native"
    assert cilium["autoDirectNodeRoutes"] is True
    assert cilium["ipv4NativeRoutingCIDR"] == "10.101.0.0/16"


# --- identity and secrets ---------------------------------------------------------------


def test_grafana_signs_in_through_keycloak_only_where_keycloak_runs() -> None:
    grafana = values("aws-standard", "grafana", "prod")
    oauth = grafana["grafana.ini"]["auth.generic_oauth"]
    issuer = "https://keycloak.platform.example.com/realms/platform"
    assert oauth["client_id"] == "grafana"
    assert oauth["auth_url"] == f"{issuer}/protocol/openid-connect/auth"
    assert "client_secret" not in oauth, "the secret comes from a Secret, never a value"
    ref = grafana["envValueFrom"]["GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET"]["secretKeyRef"]
    assert ref == {"name": "grafana-oidc", "key": "client-secret"}
    local = values("local-multicluster", "grafana", "mgmt")  # Keycloak is off there
    assert "auth.generic_oauth" not in local["grafana.ini"]
    assert "envValueFrom" not in local


def test_argo_cd_uses_keycloak_oidc_with_a_secret_reference() -> None:
    argocd = values("aws-enterprise", "argo-cd", "prod")
    oidc = argocd["configs"]["cm"]["oidc.config"]
    assert "issuer: https://keycloak.platform.example.com/realms/platform" in oidc
    assert "clientID: argocd" in oidc
    assert "clientSecret: $oidc.keycloak.clientSecret" in oidc
    assert argocd["configs"]["params"]["server.insecure"] is False
    assert argocd["dex"]["enabled"] is False
    assert argocd["redis-ha"]["enabled"] is True, "HA cluster"
    community = values("community-poc", "argo-cd", "poc")
    assert "oidc.config" not in community["configs"]["cm"]


def test_vault_runs_raft_ha_only_where_the_cluster_is_ha() -> None:
    ha = values("aws-enterprise", "vault", "prod")["server"]
    assert ha["ha"]["enabled"] is True
    assert ha["ha"]["raft"]["enabled"] is True
    assert ha["ha"]["replicas"] == 3
    assert ha["ha"]["raft"]["config"].count("retry_join") == 3
    assert "storageClass" not in ha["dataStorage"]
    single = values("local-multicluster", "vault", "mgmt")
    assert single["server"]["ha"].get("enabled") is not True
    assert single["server"]["dataStorage"] == {
        "enabled": True,
        "size": "10Gi",
        "storageClass": "local-path-retain",
    }
    assert single["injector"]["enabled"] is True, "seed 001"
    assert single["global"]["tlsDisable"] is False


# --- logs, storage, policy --------------------------------------------------------------


def test_log_agents_ship_to_loki_on_mgmt() -> None:
    promtail = values("local-multicluster", "promtail", "app1")["config"]["clients"]
    assert promtail == [
        {
            "url": "https://loki.platform.local.example/loki/api/v1/push",
            "external_labels": {"cluster": "app1"},
        }
    ]
    alloy = {e["name"]: e for e in values("aws-standard", "alloy", "prod")["alloy"]["extraEnv"]}
    assert alloy["LOKI_PUSH_URL"]["value"] == "http://loki-gateway.loki.svc:80/loki/api/v1/push"
    assert alloy["CLUSTER_NAME"]["value"] == "prod"


def test_grafana_data_sources_are_the_planned_ones() -> None:
    def sources(name: str, cluster: str) -> dict[str, dict[str, Any]]:
        grafana = values(name, "grafana", cluster)
        listed = grafana["datasources"]["datasources.yaml"]["datasources"]
        assert sum(1 for s in listed if s.get("isDefault")) == 1
        return {s["uid"]: s for s in listed}

    local = sources("local-multicluster", "mgmt")
    assert set(local) == {"prometheus", "metrics-store", "loki"}
    assert local["metrics-store"]["url"] == "http://thanos-query-frontend.thanos.svc:9090"
    aws = sources("aws-enterprise", "prod")
    assert set(aws) == {"prometheus", "metrics-store", "loki", "tempo"}
    assert aws["tempo"]["jsonData"]["tracesToLogsV2"]["datasourceUid"] == "loki"
    community = sources("community-poc", "poc")
    assert set(community) == {"prometheus"}


def test_loki_keeps_seed_004_volume_on_local_and_s3_on_aws() -> None:
    local = values("local-multicluster", "loki", "mgmt")
    assert local["loki"]["storage"]["type"] == "filesystem"
    assert local["singleBinary"]["persistence"]["size"] == "30Gi"
    assert local["singleBinary"]["replicas"] == 1
    aws = values("aws-enterprise", "loki", "prod")
    assert aws["loki"]["storage"]["bucketNames"]["chunks"] == "aws-enterprise-loki"
    assert aws["loki"]["schemaConfig"]["configs"][0]["object_store"] == "s3"
    assert aws["singleBinary"]["replicas"] == aws["loki"]["commonConfig"]["replication_factor"] == 3


def test_minio_creates_the_bucket_velero_backs_up_to() -> None:
    plan = _plan("local-multicluster")
    minio = values(plan, "minio", "mgmt")
    names = [b["name"] for b in minio["buckets"]]
    assert velero_bucket(RenderContext(plan)) in names
    assert "local-multicluster-thanos" in names
    assert minio["persistence"] == {"size": "50Gi", "storageClass": "local-path-retain"}
    assert minio["mode"] == "standalone"


@pytest.mark.parametrize(
    ("old", "new", "action"),
    [
        ("", "", "Enforce"),
        ("mode: enforce", "mode: audit", "Audit"),
        ("    role: app\n", "    role: app\n    policyMode: audit\n", "Audit"),
    ],
)
def test_kyverno_policies_follow_the_policy_mode(old: str, new: str, action: str) -> None:
    plan = _variant("local-multicluster", old, new) if old else _plan("local-multicluster")
    policies = values(plan, "kyverno-policies", "app1")
    assert policies["validationFailureAction"] == action
    assert policies["podSecurityStandard"] == "baseline"
    assert "kube-system" in policies["vpolExclude"]["excludeNamespaces"]
    assert "falco" in policies["vpolExclude"]["excludeNamespaces"], "privileged on app1"


def test_ingress_controllers_get_distinct_classes_and_load_balancer_schemes() -> None:
    plan = _variant("aws-standard", "ingress: gateway-api", "ingress: ingress-nginx")
    public = values(plan, "ingress-nginx-public", "prod")["controller"]
    internal = values(plan, "ingress-nginx-internal", "prod")["controller"]
    assert public["ingressClassResource"]["name"] == "nginx-public"
    assert internal["ingressClassResource"]["name"] == "nginx-internal"
    scheme = "service.beta.kubernetes.io/aws-load-balancer-scheme"
    assert public["service"]["annotations"][scheme] == "internet-facing"
    assert internal["service"]["annotations"][scheme] == "internal"
    target = "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"
    assert public["service"]["annotations"][target] == "ip"
    on_prem = values("community-poc", "ingress-nginx-public", "poc")["controller"]
    assert "service" not in on_prem, "MetalLB needs no annotations"


def test_cert_manager_issues_gateway_certificates_where_a_gateway_runs() -> None:
    for cluster in ("mgmt", "app1"):
        config = values("local-multicluster", "cert-manager", cluster)["config"]
        assert config == {"enableGatewayAPI": True}
    assert "config" not in values("community-poc", "cert-manager", "poc"), "ingress-nginx"


# --- sizing -------------------------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_resources_and_replicas_equal_the_catalog(example: str) -> None:
    plan = _plan(example)
    for cluster in plan.clusters:
        for planned in cluster.components:
            entry = planned.component
            if entry.install.method != "helm":
                continue
            data = plan.catalog.values_of(entry.name)
            merged = values(plan, entry.name, cluster.name)
            for key in data.keys.resources:
                assert entry.resources is not None
                block = at(merged, key)
                assert block["requests"] == entry.resources.requests.model_dump(), key
                assert block["limits"] == entry.resources.limits.model_dump(), key
            for key in entry.replicaKeys:
                assert at(merged, key) == planned.replicas.count, (entry.name, key)


def test_host_names_agree_with_the_manifests() -> None:
    context = RenderContext(_plan("local-multicluster"))
    for name in ("grafana", "vault", "thanos-receive", "loki", "keycloak"):
        assert public_url(context, name) == f"https://{public_host(context, name)}"

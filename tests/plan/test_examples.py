"""The shipped examples plan cleanly, and their plans have the properties the seeds demand."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from stackyard.plan import Plan
from tests.plan.conftest import EXAMPLE_NAMES, example_text


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_example_plans_without_errors(example_plans: dict[str, Plan], name: str) -> None:
    plan = example_plans[name]
    assert [str(f.message) for f in plan.errors] == []
    assert all(cluster.components for cluster in plan.clusters)


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_dependency_installs_in_an_earlier_wave(
    example_plans: dict[str, Plan], name: str
) -> None:
    plan = example_plans[name]
    catalog_parent = {
        p.name: getattr(p.component.install, "parent", p.name)
        for c in plan.clusters
        for p in c.components
    }
    for edge in plan.edges:
        consumer, provider = catalog_parent[edge.consumer], catalog_parent[edge.provider]
        if consumer != provider:
            assert plan.waves[provider] < plan.waves[consumer], edge


def test_local_kyverno_runs_on_app_clusters_only(example_plans: dict[str, Plan]) -> None:
    plan = example_plans["local-multicluster"]
    assert plan.cluster("app1").has("kyverno")
    assert plan.cluster("app2").has("kyverno")
    assert not plan.cluster("mgmt").has("kyverno")
    decision = plan.cluster("mgmt").decision("kyverno")
    assert decision is not None and "mgmt" in decision.reason


def test_local_platform_services_concentrate_on_mgmt(example_plans: dict[str, Plan]) -> None:
    plan = example_plans["local-multicluster"]
    mgmt, app1 = plan.cluster("mgmt"), plan.cluster("app1")
    for service in ("vault", "thanos", "loki", "grafana", "argo-cd", "minio"):
        assert mgmt.has(service), service
        assert not app1.has(service), service
    assert app1.has("prometheus-agent") and not mgmt.has("prometheus-agent")
    assert app1.has("promtail") and app1.has("falco")
    assert app1.has("external-secrets")
    # Velero backs up only its own cluster, so every cluster runs it, shipping to mgmt.
    assert mgmt.has("velero") and app1.has("velero")
    velero = next(e for e in plan.edges if e.consumer == "velero" and e.cluster == "app1")
    assert (velero.provider, velero.provider_cluster) == ("minio", "mgmt")


def test_local_follows_the_seed_network_choices(example_plans: dict[str, Plan]) -> None:
    plan = example_plans["local-multicluster"]
    assert plan.settings.networking.ciliumRoutingMode.value == "tunnel"
    assert plan.settings.networking.clusterMesh.value is True
    for cluster in plan.clusters:
        assert (
            cluster.has("cilium") and cluster.has("metallb") and cluster.has("cilium-gateway-api")
        )
        assert not cluster.has("canal")


def test_vault_is_installed_before_the_vault_issuer(example_plans: dict[str, Plan]) -> None:
    for name in ("local-multicluster", "aws-standard", "aws-enterprise"):
        plan = example_plans[name]
        assert plan.waves["vault"] < plan.waves["vault-issuer"], name
        assert plan.waves["cert-manager"] < plan.waves["vault"], name


def test_app_cluster_secrets_and_metrics_are_buffered(example_plans: dict[str, Plan]) -> None:
    plan = example_plans["local-multicluster"]
    app_edges = [e for e in plan.edges if e.cluster == "app1" and e.provider_cluster == "mgmt"]
    assert app_edges, "app1 uses mgmt services"
    assert all(e.runtime in ("buffered", "install") for e in app_edges)
    buffers = {e.consumer: e.buffer for e in app_edges if e.buffer}
    assert buffers["external-secrets"] == "secrets.refreshInterval"
    assert buffers["prometheus-agent"] == "observability.walRetention"


def test_teleport_runs_only_in_enterprise(example_plans: dict[str, Plan]) -> None:
    assert example_plans["aws-enterprise"].cluster("prod").has("teleport")
    standard = example_plans["aws-standard"].cluster("prod")
    assert not standard.has("teleport")
    decision = standard.decision("teleport")
    assert decision is not None and "not in the standard edition" in decision.reason


def test_standard_to_enterprise_adds_the_enterprise_set(example_plans: dict[str, Plan]) -> None:
    standard = {p.name for p in example_plans["aws-standard"].cluster("prod").components}
    enterprise = {p.name for p in example_plans["aws-enterprise"].cluster("prod").components}
    assert standard <= enterprise
    assert {"teleport", "kyverno", "backstage", "opencost"} <= enterprise - standard


def test_aws_uses_the_ccm_as_a_static_manifest_and_albc(example_plans: dict[str, Plan]) -> None:
    cluster = example_plans["aws-standard"].cluster("prod")
    ccm = cluster.get("aws-cloud-controller-manager")
    assert ccm is not None and ccm.component.install.method == "manifest"
    assert cluster.has("aws-load-balancer-controller")
    assert cluster.has("cilium-gateway-api")
    assert not cluster.has("ingress-nginx-public") and not cluster.has("ingress-nginx-internal")
    assert not cluster.has("metallb")


def test_aws_examples_plan_without_warnings(example_plans: dict[str, Plan]) -> None:
    for name in ("aws-standard", "aws-enterprise", "aws-multicluster"):
        found = example_plans[name].findings
        assert [(f.check, f.message) for f in found if f.severity != "info"] == [], name


INGRESS_NGINX = ("ingress: gateway-api", "ingress: ingress-nginx")


def test_ingress_nginx_on_aws_runs_a_public_and_an_internal_controller(
    plan_text: Callable[[str], Plan],
) -> None:
    text = example_text("aws-standard")
    assert INGRESS_NGINX[0] in text
    cluster = plan_text(text.replace(*INGRESS_NGINX, 1)).cluster("prod")
    assert cluster.has("ingress-nginx-public") and cluster.has("ingress-nginx-internal")
    assert not cluster.has("cilium-gateway-api")


def test_the_seed_choice_of_retired_ingress_warns_with_successor(
    plan_text: Callable[[str], Plan],
) -> None:
    text = example_text("aws-standard").replace(*INGRESS_NGINX, 1)
    warnings = [f for f in plan_text(text).findings if f.check == "SY506"]
    ingress = [f for f in warnings if "ingress-nginx" in f.message]
    assert ingress and all(f.severity == "warning" for f in ingress)
    assert "gateway" in ingress[0].hint.lower()
    assert (
        ingress[0].location.line
        == text.splitlines().index(
            next(line for line in text.splitlines() if INGRESS_NGINX[1] in line)
        )
        + 1
    )


def test_community_runs_canal_and_no_enterprise_services(example_plans: dict[str, Plan]) -> None:
    cluster = example_plans["community-poc"].cluster("poc")
    assert cluster.has("canal") and not cluster.has("cilium")
    for absent in ("vault", "keycloak", "teleport", "kyverno", "loki"):
        assert not cluster.has(absent), absent
    for present in ("argo-cd", "longhorn", "harbor", "cert-manager", "grafana", "metallb"):
        assert cluster.has(present), present


def test_mesh_local_adds_the_mesh_on_the_app_clusters_and_no_finding(
    example_plans: dict[str, Plan],
) -> None:
    mesh, base = example_plans["mesh-local"], example_plans["local-multicluster"]
    assert [(f.check, f.cluster) for f in mesh.findings] == [
        (f.check, f.cluster) for f in base.findings
    ]
    assert mesh.settings.mesh.mode.value == "ambient"
    for name in ("istio-base", "istiod", "istio-cni", "ztunnel", "kiali-operator"):
        assert [c.name for c in mesh.clusters if c.has(name)] == ["app1", "app2"], name
    added = {p.name for c in mesh.clusters for p in c.components} - {
        p.name for c in base.clusters for p in c.components
    }
    assert added == {"istio-base", "istiod", "istio-cni", "ztunnel", "kiali-operator"}

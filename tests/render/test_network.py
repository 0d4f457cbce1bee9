"""Network policy, load balancing and storage classes on the rendered tree."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from tests.render.conftest import Rendered, RenderVariant, render_text, schema_problems

DATA = Path(__file__).parent / "data"


def namespaces(result: Rendered, cluster: str) -> set[str]:
    """Every Namespace the render writes for ``cluster`` (base's and the restore check's)."""
    documents = result.objects(f"manifests/{cluster}/")
    return {d["metadata"]["name"] for _path, d in documents if d["kind"] == "Namespace"}


def policies_by_namespace(result: Rendered, cluster: str) -> dict[str, dict[str, dict[str, Any]]]:
    found: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for _path, document in result.objects(f"manifests/{cluster}/"):
        if document["kind"] in ("NetworkPolicy", "CiliumNetworkPolicy"):
            found[document["metadata"]["namespace"]][document["metadata"]["name"]] = document
    return found


def test_cilium_clusters_get_cilium_policies_with_cilium(rendered: dict[str, Rendered]) -> None:
    for name in ("local-multicluster", "aws-standard", "aws-enterprise"):
        result = rendered[name]
        for cluster in result.plan.clusters:
            kinds = {
                (path.split("/")[2], d["kind"])
                for path, d in result.objects(f"manifests/{cluster.name}/")
                if d["kind"].endswith("NetworkPolicy")
            }
            # Plus, where tenants join the mesh, each mesh namespace's NetworkPolicy allow-mesh
            # (istiod's xDS port, callers, probes from ztunnel) beside the tenant's deny.
            mesh = result.plan.spec.platform.mesh
            meshed = mesh.enabled and any(
                cluster.name in t.clusters and (mesh.tenants is None or t.name in mesh.tenants)
                for t in result.plan.spec.platform.tenants
            )
            expected = {("cilium", "CiliumNetworkPolicy")}
            assert kinds == expected | ({("istiod", "NetworkPolicy")} if meshed else set())


def test_canal_cluster_gets_plain_network_policies_in_base(rendered: dict[str, Rendered]) -> None:
    result = rendered["community-poc"]
    kinds = {
        (path.split("/")[2], d["kind"])
        for path, d in result.objects("manifests/poc/")
        if d["kind"].endswith("NetworkPolicy")
    }
    assert kinds == {("base", "NetworkPolicy")}


def assert_every_namespace_denies_by_default(result: Rendered) -> None:
    """Every Namespace the render writes has default deny and DNS, in its cluster's policy API."""
    for cluster in result.plan.clusters:
        found = policies_by_namespace(result, cluster.name)
        managed = namespaces(result, cluster.name)
        assert managed == set(found)
        for namespace in managed:
            deny = found[namespace]["default-deny"]["spec"]
            if deny.get("podSelector") == {}:
                assert deny["policyTypes"] == ["Ingress", "Egress"]
                assert "ingress" not in deny and "egress" not in deny
            else:
                assert deny == {"endpointSelector": {}, "ingress": [{}], "egress": [{}]}
            assert "allow-dns" in found[namespace]


def test_every_managed_namespace_has_a_default_deny(rendered: dict[str, Rendered]) -> None:
    for result in rendered.values():
        assert_every_namespace_denies_by_default(result)


MESH_ONLY = "payments"


def test_a_mesh_only_namespace_gets_a_tenants_policies_with_cilium(
    render_variant: RenderVariant,
) -> None:
    # A namespace the mesh lists that is neither a platform nor a tenant namespace.
    result = render_variant(
        "mesh-local", "  tenants: [shop]\n", f"  tenants: [shop]\n  namespaces: [{MESH_ONLY}]\n"
    )
    assert_every_namespace_denies_by_default(result)
    meshed = [c.name for c in result.plan.clusters if MESH_ONLY in namespaces(result, c.name)]
    assert meshed == ["app1", "app2"]
    for cluster in meshed:
        found = policies_by_namespace(result, cluster)
        tenant = set(found["shop"]) - {"allow-same-tenant"}
        assert set(found[MESH_ONLY]) == tenant | {"allow-same-namespace"}
        assert found[MESH_ONLY]["default-deny"]["kind"] == "CiliumNetworkPolicy"
        same = found[MESH_ONLY]["allow-same-namespace"]["spec"]
        assert same["ingress"] == [{"fromEndpoints": [{}]}]
    assert schema_problems(result) == []


def test_a_mesh_only_namespace_gets_plain_network_policies_without_cilium() -> None:
    # The Canal cluster of the mesh test spec lists legacy in mesh.namespaces only.
    result = render_text((DATA / "mesh-ambient.yaml").read_text(encoding="utf-8"))
    assert_every_namespace_denies_by_default(result)
    found = policies_by_namespace(result, "poc")
    assert {"default-deny", "allow-dns", "allow-same-namespace"} <= set(found["legacy"])
    assert found["legacy"]["default-deny"]["kind"] == "NetworkPolicy"
    assert found["legacy"]["default-deny"]["spec"]["podSelector"] == {}
    assert schema_problems(result) == []


def test_cluster_owned_namespaces_are_left_alone(rendered: dict[str, Rendered]) -> None:
    for result in rendered.values():
        for cluster in result.plan.clusters:
            found = policies_by_namespace(result, cluster.name)
            assert not {"kube-system", "kube-public", "kube-node-lease", "default"} & set(found)


def test_tenants_get_default_deny_and_intra_tenant_traffic(rendered: dict[str, Rendered]) -> None:
    found = policies_by_namespace(rendered["aws-enterprise"], "prod")
    for namespace in ("team-data", "team-data-batch", "team-web"):
        assert "default-deny" in found[namespace]
    same = found["team-data-batch"]["allow-same-tenant"]["spec"]
    selector = same["ingress"][0]["fromEndpoints"][0]["matchLabels"]
    assert selector == {"k8s:io.cilium.k8s.namespace.labels.stackyard.dev/tenant": "team-data"}


def test_cross_cluster_dependencies_go_to_the_world_and_the_mesh(
    rendered: dict[str, Rendered],
) -> None:
    found = policies_by_namespace(rendered["local-multicluster"], "app1")
    egress = found["external-secrets"]["allow-dependencies"]["spec"]["egress"]
    assert {"toEntities": ["world"]} in egress
    remote = {
        "k8s:io.kubernetes.pod.namespace": "vault",
        "k8s:io.cilium.k8s.policy.cluster": "mgmt",
    }
    assert {"toEndpoints": [{"matchLabels": remote}]} in egress


def test_same_cluster_dependencies_allow_both_ends(rendered: dict[str, Rendered]) -> None:
    found = policies_by_namespace(rendered["local-multicluster"], "mgmt")
    to_vault = {"matchLabels": {"k8s:io.kubernetes.pod.namespace": "vault"}}
    egress = found["external-secrets"]["allow-dependencies"]["spec"]["egress"]
    assert any(to_vault in rule.get("toEndpoints", []) for rule in egress)
    ingress = found["vault"]["allow-dependents"]["spec"]["ingress"][0]["fromEndpoints"]
    assert {"matchLabels": {"k8s:io.kubernetes.pod.namespace": "external-secrets"}} in ingress
    # Remote agents and log shippers arrive through the gateway.
    for namespace in ("thanos", "loki", "minio", "vault"):
        assert found[namespace]["allow-from-gateway"]["spec"]["ingress"] == [
            {"fromEntities": ["ingress"]}
        ]


def test_a_ui_lets_the_gateway_in_even_when_nothing_else_exposes_it(
    rendered: dict[str, Rendered],
) -> None:
    # MinIO's console has an Ingress on the standalone PoC, where no other cluster reaches
    # its S3 API: its catalog ``ui`` alone must let ingress-nginx in.
    found = policies_by_namespace(rendered["community-poc"], "poc")
    ingress = found["minio"]["allow-from-gateway"]["spec"]["ingress"]
    selector = {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}
    assert ingress == [{"from": [{"namespaceSelector": selector}]}]


def test_metallb_pool_is_the_spec_pool(rendered: dict[str, Rendered]) -> None:
    for name in ("local-multicluster", "community-poc"):
        result = rendered[name]
        for cluster in result.plan.clusters:
            pool = cluster.cluster.network.loadBalancerPool
            assert pool is not None
            path = f"manifests/{cluster.name}/metallb/address-pool.yaml"
            addresses = result.find(path, "IPAddressPool", "default")["spec"]["addresses"]
            assert addresses == [f"{pool.first}-{pool.last}"]
            l2 = result.find(path, "L2Advertisement", "default")
            assert l2["spec"]["ipAddressPools"] == ["default"]


def test_gateway_answers_for_the_platform_domain_on_mgmt(rendered: dict[str, Rendered]) -> None:
    result = rendered["local-multicluster"]
    for cluster, hostname in (
        ("mgmt", "*.platform.local.example"),
        ("app1", "*.app1.platform.local.example"),
    ):
        gateway = result.find(f"manifests/{cluster}/cilium/gateway.yaml", "Gateway", "platform")
        assert gateway["spec"]["gatewayClassName"] == "cilium"
        assert gateway["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "vault"
        https = next(x for x in gateway["spec"]["listeners"] if x["protocol"] == "HTTPS")
        assert https["hostname"] == hostname
        assert https["tls"]["certificateRefs"][0]["name"] == "platform-gateway-tls"


def test_retained_local_path_class_where_local_path_runs(rendered: dict[str, Rendered]) -> None:
    result = rendered["local-multicluster"]
    for cluster in result.plan.clusters:
        path = f"manifests/{cluster.name}/local-path-provisioner/storage-class.yaml"
        storage_class = result.find(path, "StorageClass", "local-path-retain")
        assert storage_class["reclaimPolicy"] == "Retain"
    assert not any("local-path" in p for p in rendered["aws-standard"].files)

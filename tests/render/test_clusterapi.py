"""App clusters on AWS are rendered as Cluster API objects on mgmt, and validate for real."""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackyard.render.build import render_plan
from stackyard.render.clusterapi.providers import AWS_VERSION, CLUSTER_API_VERSION, RKE2_VERSION
from stackyard.render.context import RenderContext
from stackyard.render.write import write_tree
from stackyard.validate.crdschemas import check_resource
from stackyard.validate.run import validate_directory
from tests.render.conftest import Rendered, render_text, schema_problems

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "aws-multicluster.yaml"
OPERATOR = "manifests/mgmt/cluster-api-operator"
APP_CLUSTERS = ("prod", "staging")


@pytest.fixture(scope="module")
def multicluster() -> Rendered:
    return render_text(EXAMPLE.read_text(encoding="utf-8"))


def _objects(result: Rendered, cluster: str) -> list[dict[str, Any]]:
    return result.documents(f"clusters/{cluster}/cluster-api/{cluster}.yaml")


def _kind(result: Rendered, cluster: str, kind: str) -> list[dict[str, Any]]:
    return [o for o in _objects(result, cluster) if o["kind"] == kind]


def test_every_app_cluster_has_a_cluster_api_cluster(multicluster: Rendered) -> None:
    for name in APP_CLUSTERS:
        (cluster,) = _kind(multicluster, name, "Cluster")
        assert cluster["metadata"] == {**cluster["metadata"], "name": name}
        assert cluster["metadata"]["namespace"] == f"cluster-{name}"
        refs = cluster["spec"]
        assert refs["infrastructureRef"]["kind"] == "AWSCluster"
        assert refs["controlPlaneRef"]["kind"] == "RKE2ControlPlane"
        (aws,) = _kind(multicluster, name, "AWSCluster")
        spec = multicluster.plan.spec.platform.cluster(name)
        assert aws["spec"]["network"]["vpc"]["cidrBlock"] == spec.network.nodeRange.text
        assert aws["spec"]["region"] == "eu-central-1"
    assert not [p for p in multicluster.files if p.startswith("clusters/mgmt/")]


def test_node_pools_become_machine_deployments_of_their_size(multicluster: Rendered) -> None:
    for name in APP_CLUSTERS:
        spec = multicluster.plan.spec.platform.cluster(name)
        deployments = {
            d["metadata"]["name"]: d for d in _kind(multicluster, name, "MachineDeployment")
        }
        templates = {
            t["metadata"]["name"]: t["spec"]["template"]["spec"]
            for t in _kind(multicluster, name, "AWSMachineTemplate")
        }
        workers = [p for p in spec.nodePools if p.role == "worker"]
        assert set(deployments) == {f"{name}-{p.name}" for p in workers}
        for pool in workers:
            deployment = deployments[f"{name}-{pool.name}"]
            assert deployment["spec"]["replicas"] == pool.count
            assert deployment["spec"]["template"]["spec"]["version"] == "v1.35.2+rke2r1"
            assert templates[f"{name}-{pool.name}"]["instanceType"] == pool.instanceType
        (plane,) = _kind(multicluster, name, "RKE2ControlPlane")
        assert plane["spec"]["replicas"] == spec.control_plane_nodes
        infrastructure = plane["spec"]["machineTemplate"]["spec"]["infrastructureRef"]
        assert templates[infrastructure["name"]]["instanceType"] == "m6i.xlarge"


def test_the_argo_cd_cluster_secret_carries_the_selection_labels(
    multicluster: Rendered,
) -> None:
    context = RenderContext(multicluster.plan)
    for name in APP_CLUSTERS:
        (made,) = _kind(multicluster, name, "ExternalSecret")
        target = made["spec"]["target"]
        assert target["name"] == f"cluster-{name}"
        labels = target["template"]["metadata"]["labels"]
        assert labels == context.cluster_labels(multicluster.plan.cluster(name))
        assert labels["argocd.argoproj.io/secret-type"] == "cluster"
        assert labels["component.stackyard.dev/cilium"] == "enabled"
        assert target["template"]["data"]["name"] == name
        assert made["spec"]["data"][0]["remoteRef"]["key"] == f"{name}-kubeconfig"
        # No hand-made Secret competes with it: the cluster's file holds its Applications.
        kinds = [d["kind"] for d in multicluster.documents(f"apps/clusters/{name}.yaml")]
        assert kinds == ["Application", "Application"]
    (secret,) = multicluster.documents("apps/clusters/mgmt.yaml")
    assert secret["kind"] == "Secret"


def test_app_cluster_applications_wait_outside_the_root_waves(multicluster: Rendered) -> None:
    waves = multicluster.plan.waves
    for name in APP_CLUSTERS:
        objects, root = multicluster.documents(f"apps/clusters/{name}.yaml")
        for application in (objects, root):
            wave = int(application["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])
            assert wave > max(waves.values())
        assert root["spec"]["source"]["path"] == f"clusters/{name}/applications"
        # The cluster's objects go to mgmt, never pruned: deleting a Cluster is a person's act.
        assert objects["metadata"]["name"] == f"cluster-api-{name}"
        assert objects["spec"]["source"]["path"] == f"clusters/{name}/cluster-api"
        assert objects["spec"]["destination"] == {"server": "https://kubernetes.default.svc"}
        assert objects["spec"]["syncPolicy"]["automated"]["prune"] is False
        folder = f"clusters/{name}/applications/"
        apps = [d for p, d in multicluster.objects(folder)]
        assert apps and all(a["spec"]["destination"]["name"] == name for a in apps)
    # The operator's Application, in mgmt's waves, holds the providers only: a cluster's
    # health (its machines running) never holds back mgmt's later components.
    operator_files = [p for p in multicluster.files if p.startswith(f"{OPERATOR}/")]
    assert operator_files == [f"{OPERATOR}/providers.yaml"]
    in_root = [d for _, d in multicluster.objects("apps/applications/")]
    clusters = {d["metadata"]["labels"]["stackyard.dev/cluster"] for d in in_root}
    assert clusters == {"mgmt"}


def test_the_rke2_settings_of_hand_made_nodes_are_carried(multicluster: Rendered) -> None:
    (plane,) = _kind(multicluster, "prod", "RKE2ControlPlane")
    server = plane["spec"]["serverConfig"]
    assert server["cni"] == "none"  # Cilium from its bootstrap HelmChart, then Argo CD
    assert server["cloudProviderName"] == "external"
    assert "cloudController" in server["disableComponents"]["kubernetesComponents"]
    backup = server["etcd"]["backupConfig"]
    assert backup["scheduleCron"] == "0 * * * *"  # slo.rpo: 1h
    assert backup["s3"]["bucket"] == "aws-multicluster-etcd-snapshots"
    assert backup["s3"]["folder"] == "prod"
    files = {f["path"]: f["content"] for f in plane["spec"]["files"]}
    drop_in = yaml.safe_load(files["/etc/rancher/rke2/config.yaml.d/50-stackyard.yaml"])
    assert drop_in["ingress-controller"] == "none"
    assert drop_in["node-name-from-cloud-provider-metadata"] is True
    assert "token-file" not in drop_in and "cni" not in drop_in
    assert "/var/lib/rancher/rke2/server/manifests/aws-ccm.yaml" in files
    assert "/var/lib/rancher/rke2/server/manifests/cilium.yaml" in files
    (aws,) = _kind(multicluster, "prod", "AWSCluster")
    listeners = aws["spec"]["controlPlaneLoadBalancer"]["additionalListeners"]
    assert {"port": 9345, "protocol": "TCP"} in listeners


def test_the_providers_are_installed_on_mgmt_only(multicluster: Rendered) -> None:
    providers = {
        (d["kind"], d["metadata"]["name"]): d["spec"]["version"]
        for d in multicluster.documents(f"{OPERATOR}/providers.yaml")
        if d["kind"].endswith("Provider")
    }
    assert providers == {
        ("CoreProvider", "cluster-api"): CLUSTER_API_VERSION,
        ("InfrastructureProvider", "aws"): AWS_VERSION,
        ("BootstrapProvider", "rke2"): RKE2_VERSION,
        ("ControlPlaneProvider", "rke2"): RKE2_VERSION,
    }
    # The AWS controllers act with mgmt's server instance profile, so they run there.
    infrastructure = multicluster.find(
        f"{OPERATOR}/providers.yaml", "InfrastructureProvider", "aws"
    )
    deployment = infrastructure["spec"]["deployment"]
    assert deployment["nodeSelector"] == {"node-role.kubernetes.io/control-plane": "true"}
    tolerated = {t["key"] for t in deployment["tolerations"]}
    assert "CriticalAddonsOnly" in tolerated
    plan = multicluster.plan
    assert [c.name for c in plan.clusters if c.has("cluster-api-operator")] == ["mgmt"]
    assert plan.waves["cert-manager"] < plan.waves["cluster-api-operator"]


def test_the_pinned_providers_are_the_releases_validate_checks_against() -> None:
    data = resources.files("stackyard.validate") / "data" / "crds" / "index.json"
    index = json.loads(data.read_text(encoding="utf-8"))
    refs = {entry["project"]: entry["ref"] for entry in index.values()}
    assert refs["cluster-api"] == CLUSTER_API_VERSION
    assert refs["cluster-api-provider-aws"] == AWS_VERSION
    assert refs["cluster-api-provider-rke2"] == RKE2_VERSION


def test_the_example_renders_and_validates_clean(multicluster: Rendered, tmp_path: Path) -> None:
    assert schema_problems(multicluster) == []
    plan = multicluster.plan
    tree = render_plan(plan)
    write_tree(tree, tmp_path, tree.metadata)
    result = validate_directory(tmp_path)
    assert [f for f in result.findings if f.severity != "info"] == []


def test_a_wrong_cluster_api_field_is_caught(multicluster: Rendered) -> None:
    (deployment,) = _kind(multicluster, "staging", "MachineDeployment")
    assert check_resource(deployment).ok
    broken = copy.deepcopy(deployment)
    broken["spec"]["replicas"] = "two"
    assert not check_resource(broken).ok
    (aws,) = _kind(multicluster, "staging", "AWSCluster")
    broken = copy.deepcopy(aws)
    broken["spec"]["controlPlaneLoadBalancer"]["loadBalancerType"] = "gateway"
    assert not check_resource(broken).ok


def test_kubeadm_clusters_get_kubeadm_control_planes_that_validate() -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "distribution: rke2", "distribution: kubeadm"
    )
    result = render_text(text)
    (plane,) = _kind(result, "prod", "KubeadmControlPlane")
    assert plane["spec"]["version"] == "v1.35.2"
    assert plane["spec"]["replicas"] == 3
    assert {t["kind"] for t in _kind(result, "prod", "KubeadmConfigTemplate")} == {
        "KubeadmConfigTemplate"
    }
    providers = {d["metadata"]["name"] for d in result.documents(f"{OPERATOR}/providers.yaml")}
    assert "kubeadm" in providers and "rke2" not in providers
    assert schema_problems(result) == []


def test_a_manual_app_cluster_keeps_its_node_files() -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "    role: app                     # provisioning: auto",
        "    role: app\n    provisioning: manual  #",
    )
    result = render_text(text)
    assert "clusters/prod/cluster-api/prod.yaml" not in result.files
    assert "nodes/prod/rke2/config.yaml" in result.files
    assert "nodes/staging/rke2/config.yaml" not in result.files
    (secret,) = result.documents("apps/clusters/prod.yaml")
    assert secret["kind"] == "Secret"


def test_keys_of_an_external_snapshot_store_come_from_a_secret_on_mgmt() -> None:
    text = EXAMPLE.read_text(encoding="utf-8") + (
        "objectStorage:\n"
        "  endpoint: https://objects.storage.example.com\n"
        "  credentialsSecret: object-storage\n"
    )
    result = render_text(text)
    (plane,) = _kind(result, "prod", "RKE2ControlPlane")
    s3 = plane["spec"]["serverConfig"]["etcd"]["backupConfig"]["s3"]
    assert s3["endpoint"] == "objects.storage.example.com"
    assert s3["s3CredentialSecret"] == {
        "kind": "Secret",
        "name": "etcd-s3-credentials",
        "namespace": "cluster-prod",
    }
    assert "`etcd-s3-credentials`" in result.files["README.md"]
    assert schema_problems(result) == []
    (multicluster_plane,) = _kind(render_text(EXAMPLE.read_text()), "prod", "RKE2ControlPlane")
    assert (
        "s3CredentialSecret"
        not in multicluster_plane["spec"]["serverConfig"]["etcd"]["backupConfig"]["s3"]
    )


def test_the_spec_zones_become_the_subnets_of_the_vpc() -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "        cost-center: prod\n",
        "        cost-center: prod\n      zones: [eu-central-1a, eu-central-1b, eu-central-1c]\n",
    )
    result = render_text(text)
    (aws,) = _kind(result, "prod", "AWSCluster")
    network = aws["spec"]["network"]
    assert "availabilityZoneUsageLimit" not in network["vpc"]
    private = {
        s["availabilityZone"]: s["cidrBlock"] for s in network["subnets"] if not s["isPublic"]
    }
    public = {s["availabilityZone"]: s["cidrBlock"] for s in network["subnets"] if s["isPublic"]}
    assert private == {
        "eu-central-1a": "10.20.0.0/18",
        "eu-central-1b": "10.20.64.0/18",
        "eu-central-1c": "10.20.128.0/18",
    }
    assert set(public) == set(private)
    assert all(not s["id"].startswith("subnet-") for s in network["subnets"])
    assert check_resource(aws).ok
    (staging,) = _kind(result, "staging", "AWSCluster")
    assert staging["spec"]["network"]["vpc"]["availabilityZoneUsageLimit"] == 3


def test_cilium_reaches_the_api_on_the_node_where_no_name_points_at_it(
    multicluster: Rendered,
) -> None:
    # The API load balancer of a Cluster API cluster has an AWS-made name only.
    assert multicluster.values("prod", "cilium")["k8sServiceHost"] == "127.0.0.1"
    assert multicluster.values("mgmt", "cilium")["k8sServiceHost"] == (
        "api.mgmt.platform.example.com"
    )
    (plane,) = _kind(multicluster, "prod", "RKE2ControlPlane")
    files = {f["path"]: f["content"] for f in plane["spec"]["files"]}
    (chart,) = yaml.safe_load_all(files["/var/lib/rancher/rke2/server/manifests/cilium.yaml"])
    assert yaml.safe_load(chart["spec"]["valuesContent"])["k8sServiceHost"] == "127.0.0.1"


def test_the_namespaces_cluster_api_brings_deny_by_default(multicluster: Rendered) -> None:
    providers = multicluster.documents(f"{OPERATOR}/providers.yaml")
    spaces = {d["metadata"]["name"] for d in providers if d["kind"] == "Namespace"}
    policies = {
        (d["metadata"]["namespace"], d["metadata"]["name"]): d["spec"]
        for d in providers
        if d["kind"] == "CiliumNetworkPolicy"
    }
    for space in spaces:
        assert policies[(space, "default-deny")] == {
            "endpointSelector": {},
            "ingress": [{}],
            "egress": [{}],
        }
        assert policies[(space, "allow-outside")]["egress"] == [{"toEntities": ["world"]}]
    for name in APP_CLUSTERS:
        objects = _objects(multicluster, name)
        (space,) = [o for o in objects if o["kind"] == "Namespace"]
        assert space["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
        denies = [o for o in objects if o["kind"] == "CiliumNetworkPolicy"]
        assert [d["metadata"]["name"] for d in denies] == ["default-deny"]


def test_the_readme_sends_no_one_to_provision_nodes_cluster_api_makes(
    multicluster: Rendered,
) -> None:
    readme = multicluster.files["README.md"]
    assert "nodes of every cluster Cluster API does not create (below)" in readme
    assert "## Clusters Cluster API creates" in readme
    assert "`capi-operator-system/capa-variables`" in readme

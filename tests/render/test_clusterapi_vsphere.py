"""App clusters in a vCenter: Cluster API's vSphere provider objects, kube-vip for the API,
credentials by reference, validated against the provider's real CRD schemas."""

from __future__ import annotations

import copy
import json
import math
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackyard.render.build import render_plan
from stackyard.render.clusterapi.providers import VSPHERE_VERSION
from stackyard.render.write import write_tree
from stackyard.spec.units import GIB, parse_quantity
from stackyard.validate.crdschemas import check_resource
from stackyard.validate.kube import validate_builtin
from stackyard.validate.run import validate_directory
from tests.render.conftest import Rendered, render_text, schema_problems

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "onprem-vsphere.yaml"
OPERATOR = "manifests/mgmt/cluster-api-operator"
VIP = "10.50.0.10"


@pytest.fixture(scope="module")
def vsphere() -> Rendered:
    return render_text(EXAMPLE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def kubeadm() -> Rendered:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "distribution: rke2", "distribution: kubeadm"
    )
    return render_text(text)


def kind(result: Rendered, name: str) -> list[dict[str, Any]]:
    objects = result.documents("clusters/prod/cluster-api/prod.yaml")
    return [o for o in objects if o["kind"] == name]


def files_of(spec: dict[str, Any]) -> dict[str, str]:
    return {f["path"]: f["content"] for f in spec["files"]}


def test_the_app_cluster_is_a_vsphere_cluster_on_its_vip(vsphere: Rendered) -> None:
    (cluster,) = kind(vsphere, "Cluster")
    assert cluster["spec"]["infrastructureRef"]["kind"] == "VSphereCluster"
    (infrastructure,) = kind(vsphere, "VSphereCluster")
    spec = infrastructure["spec"]
    assert spec["server"] == "vcenter.corp.example"
    assert spec["controlPlaneEndpoint"] == {"host": VIP, "port": 6443}
    # The account is a Secret beside the cluster, filled from Vault, never in the tree.
    assert spec["identityRef"] == {"kind": "Secret", "name": "prod-vsphere-credentials"}
    (secret,) = [
        s for s in kind(vsphere, "ExternalSecret") if s["metadata"]["namespace"] == "cluster-prod"
    ]
    assert secret["spec"]["target"]["name"] == "prod-vsphere-credentials"
    assert secret["spec"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "vault"}
    remote = {d["secretKey"]: d["remoteRef"] for d in secret["spec"]["data"]}
    assert remote == {
        "username": {"key": "platform/vsphere", "property": "username"},
        "password": {"key": "platform/vsphere", "property": "password"},
    }
    assert not [p for p in vsphere.files if p.startswith("clusters/mgmt/")]
    assert "nodes/mgmt/rke2/config.yaml" in vsphere.files


def test_node_pools_become_vsphere_machines_of_their_size(vsphere: Rendered) -> None:
    spec = vsphere.plan.spec.platform.cluster("prod")
    templates = {
        t["metadata"]["name"]: t["spec"]["template"]["spec"]
        for t in kind(vsphere, "VSphereMachineTemplate")
    }
    assert set(templates) == {f"prod-{p.name}" for p in spec.nodePools}
    for pool in spec.nodePools:
        machine = templates[f"prod-{pool.name}"]
        assert machine["numCPUs"] == math.ceil(parse_quantity(pool.cpu))
        assert machine["memoryMiB"] * 1024**2 == parse_quantity(pool.memory)
        assert pool.disk is not None
        assert machine["diskGiB"] * GIB == parse_quantity(pool.disk)
        assert machine["template"] == "ubuntu-2404-kube-v1.35.2"
        assert machine["network"] == {"devices": [{"networkName": "k8s-nodes", "dhcp4": True}]}
        assert (machine["datacenter"], machine["datastore"]) == ("dc1", "vsan-01")
        assert (machine["folder"], machine["resourcePool"]) == ("platform", "platform")
    workers = [p for p in spec.nodePools if p.role == "worker"]
    deployments = {d["metadata"]["name"]: d for d in kind(vsphere, "MachineDeployment")}
    assert set(deployments) == {f"prod-{p.name}" for p in workers}
    for pool in workers:
        deployment = deployments[f"prod-{pool.name}"]["spec"]
        assert deployment["replicas"] == pool.count
        assert deployment["template"]["spec"]["infrastructureRef"]["kind"] == (
            "VSphereMachineTemplate"
        )
    (plane,) = kind(vsphere, "RKE2ControlPlane")
    assert plane["spec"]["replicas"] == spec.control_plane_nodes
    assert plane["spec"]["machineTemplate"]["spec"]["infrastructureRef"] == {
        "apiGroup": "infrastructure.cluster.x-k8s.io",
        "kind": "VSphereMachineTemplate",
        "name": "prod-server",
    }


def _kube_vip(files: dict[str, str], path: str) -> dict[str, Any]:
    pod = yaml.safe_load(files[path])
    assert validate_builtin(pod, "1.35") == []
    return pod


def _env(pod: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in pod["spec"]["containers"][0]["env"]}


def test_rke2_servers_hold_the_vip_with_kube_vip(vsphere: Rendered) -> None:
    (plane,) = kind(vsphere, "RKE2ControlPlane")
    files = files_of(plane["spec"])
    pod = _kube_vip(files, "/var/lib/rancher/rke2/agent/pod-manifests/kube-vip.yaml")
    env = _env(pod)
    assert env["address"] == VIP and env["cp_enable"] == "true"
    assert env["svc_enable"] == "false"  # MetalLB serves LoadBalancer Services
    volumes = {v["name"]: v["hostPath"]["path"] for v in pod["spec"]["volumes"]}
    assert volumes["kubeconfig"] == "/etc/rancher/rke2/rke2.yaml"
    assert VIP in plane["spec"]["serverConfig"]["tlsSan"]
    # Machines take DHCP addresses: none of the node range is a TLS name.
    assert plane["spec"]["serverConfig"]["tlsSan"] == ["api.prod.platform.corp.example", VIP]
    # Nodes get the providerID Cluster API matches, before RKE2 starts.
    assert "sh /opt/stackyard/vsphere-provider-id.sh" in plane["spec"]["preRKE2Commands"]
    assert "provider-id=vsphere://" in files["/opt/stackyard/vsphere-provider-id.sh"]
    (agents,) = kind(vsphere, "RKE2ConfigTemplate")
    agent_files = files_of(agents["spec"]["template"]["spec"])
    assert "/opt/stackyard/vsphere-provider-id.sh" in agent_files
    assert not [p for p in agent_files if "kube-vip" in p]


def test_kubeadm_control_planes_hold_the_vip_with_kube_vip(kubeadm: Rendered) -> None:
    (plane,) = kind(kubeadm, "KubeadmControlPlane")
    config = plane["spec"]["kubeadmConfigSpec"]
    pod = _kube_vip(files_of(config), "/etc/kubernetes/manifests/kube-vip.yaml")
    assert _env(pod)["address"] == VIP
    assert config["preKubeadmCommands"][0].startswith("if [ -f /run/kubeadm/kubeadm.yaml ]")
    assert "super-admin.conf" in config["preKubeadmCommands"][0]
    sans = config["clusterConfiguration"]["apiServer"]["certSANs"]
    assert sans == ["api.prod.platform.corp.example", VIP]
    assert config["initConfiguration"]["nodeRegistration"]["name"] == "{{ local_hostname }}"
    (workers,) = kind(kubeadm, "KubeadmConfigTemplate")
    worker = workers["spec"]["template"]["spec"]
    assert worker["preKubeadmCommands"] == ["sh /opt/stackyard/vsphere-provider-id.sh"]
    # Cilium reaches the API at the VIP: no name is made to resolve to it.
    assert kubeadm.values("prod", "cilium")["k8sServiceHost"] == VIP
    providers = {d["metadata"]["name"] for d in kubeadm.documents(f"{OPERATOR}/providers.yaml")}
    assert {"vsphere", "kubeadm"} <= providers
    assert schema_problems(kubeadm) == []


def test_mgmt_installs_the_vsphere_provider_with_its_variables(vsphere: Rendered) -> None:
    documents = vsphere.documents(f"{OPERATOR}/providers.yaml")
    (infrastructure,) = [d for d in documents if d["kind"] == "InfrastructureProvider"]
    metadata = infrastructure["metadata"]
    assert (metadata["name"], metadata["namespace"]) == ("vsphere", "capv-system")
    assert infrastructure["spec"]["version"] == VSPHERE_VERSION
    assert infrastructure["spec"]["configSecret"]["name"] == "capv-variables"
    (variables,) = [d for d in documents if d["kind"] == "ExternalSecret"]
    assert variables["spec"]["target"]["name"] == "capv-variables"
    assert {d["secretKey"] for d in variables["spec"]["data"]} == {
        "VSPHERE_USERNAME",
        "VSPHERE_PASSWORD",
    }
    assert "aws" not in {d["metadata"]["name"] for d in documents if "Provider" in d["kind"]}


def test_the_pinned_vsphere_provider_is_the_release_validate_checks_against() -> None:
    data = resources.files("stackyard.validate") / "data" / "crds" / "index.json"
    index = json.loads(data.read_text(encoding="utf-8"))
    refs = {entry["project"]: entry["ref"] for entry in index.values()}
    assert refs["cluster-api-provider-vsphere"] == VSPHERE_VERSION


def test_a_wrong_vsphere_field_is_caught(vsphere: Rendered) -> None:
    (template,) = [
        t for t in kind(vsphere, "VSphereMachineTemplate") if t["metadata"]["name"] == "prod-agent"
    ]
    assert check_resource(template).ok
    broken = copy.deepcopy(template)
    broken["spec"]["template"]["spec"]["cloneMode"] = "instantClone"
    assert not check_resource(broken).ok
    broken = copy.deepcopy(template)
    del broken["spec"]["template"]["spec"]["template"]
    assert not check_resource(broken).ok


def test_the_example_renders_and_validates_clean(vsphere: Rendered, tmp_path: Path) -> None:
    assert [f for f in vsphere.plan.findings if f.severity != "info"] == []
    assert schema_problems(vsphere) == []
    tree = render_plan(vsphere.plan)
    write_tree(tree, tmp_path, tree.metadata)
    result = validate_directory(tmp_path)
    assert [f for f in result.findings if f.severity != "info"] == []


def test_without_vault_on_mgmt_the_readme_names_the_secrets_to_create() -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "components:\n", "components:\n  vault: {enabled: false}\n"
    )
    result = render_text(text)
    assert all(s["metadata"]["namespace"] == "argocd" for s in kind(result, "ExternalSecret"))
    readme = result.files["README.md"]
    assert "cluster-prod/prod-vsphere-credentials" in readme
    assert "`capv-variables`" in readme


def test_onprem_without_a_vcenter_keeps_hand_made_nodes() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    start = text.index("onprem:\n")
    end = text.index("objectStorage:")
    text = text[:start] + text[end:]
    text = text.replace("    vsphere:\n      apiVIP: 10.50.0.10\n", "")
    result = render_text(text)
    assert not [p for p in result.files if p.startswith("clusters/prod/cluster-api/")]
    assert "nodes/prod/rke2/config.yaml" in result.files
    assert not result.plan.spec.platform.cluster_api_clusters

"""The Terraform of a kubeadm mgmt or standalone cluster on AWS: kubeadm's ports, one API
listener, user-data that is the rendered kubeadm configuration, join credentials through
SSM Parameter Store and never in Terraform or Git."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml

from stackyard.render.infrastructure.kubeadm_userdata import CONFIG_FILES, CREDENTIALS
from tests.render.conftest import Rendered, example_text, render_text
from tests.render.test_infrastructure import STACK, blocks, tf, unquote

SERVERS = "${aws_security_group.servers.id}"
NODES = "${aws_security_group.nodes.id}"
DOCUMENTED = {
    (SERVERS, "tcp", 6443, 6443),  # API server
    (SERVERS, "tcp", 2379, 2380),  # etcd client and peer
    (NODES, "tcp", 10250, 10250),  # kubelet
    (NODES, "tcp", 30000, 32767),  # NodePort Services
}
"""Kubernetes' ports and protocols, typed from its page rather than read from the facts
file the render reads: https://kubernetes.io/docs/reference/networking/ports-and-protocols/"""
SELF_ONLY = (10257, 10259)
"""kube-controller-manager and kube-scheduler: used by "Self" only, on the same page."""


@pytest.fixture(scope="module")
def kubeadm() -> Rendered:
    text = example_text("aws-standard").replace("distribution: rke2", "distribution: kubeadm")
    return render_text(text)


def _user_data(result: Rendered, kind: str) -> dict[str, Any]:
    text = result.files[f"{STACK}user-data/{kind}.yaml"]
    assert text.startswith("#cloud-config\n")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _written(data: dict[str, Any]) -> dict[str, str]:
    return {f["path"]: f["content"] for f in data["write_files"]}


def test_the_stack_parses_and_the_api_load_balancer_listens_on_6443_only(
    kubeadm: Rendered,
) -> None:
    for path in (p for p in kubeadm.files if p.startswith(STACK) and p.endswith(".tf")):
        hcl2.loads(kubeadm.files[path])
    lb = tf(kubeadm, "modules/api-lb/main.tf")
    listeners = blocks(lb, "resource", "aws_lb_listener")
    assert [listener["port"] for listener in listeners.values()] == [6443]
    (group,) = blocks(lb, "resource", "aws_lb_target_group").values()
    check = group["health_check"][0]
    assert (unquote(check["protocol"]), unquote(check["path"])) == ("HTTPS", "/readyz")


def test_the_security_groups_open_kubernetes_documented_ports_and_none_to_the_world(
    kubeadm: Rendered,
) -> None:
    security = tf(kubeadm, "modules/security/main.tf")
    ingress = list(blocks(security, "resource", "aws_vpc_security_group_ingress_rule").values())
    opened = {
        (r["security_group_id"], unquote(r["ip_protocol"]), r.get("from_port"), r.get("to_port"))
        for r in ingress
    }
    assert opened >= DOCUMENTED
    # The scheduler and controller manager answer their own node only: no rule names them.
    for port in SELF_ONLY:
        assert not [r for r in ingress if r.get("from_port", 0) <= port <= r.get("to_port", 0)]
    # No supervisor: kubeadm joins through the API.
    assert not [r for r in ingress if r.get("from_port") == 9345]
    assert "api_supervisor" not in blocks(
        security, "resource", "aws_vpc_security_group_egress_rule"
    )
    # Every source is a group or the VPC: nothing is open to the world.
    assert {r.get("cidr_ipv4", "group") for r in ingress} == {"${var.vpc_cidr}", "group"}
    assert not [r for r in ingress if "cidr_ipv6" in r]


def test_each_kind_boots_with_its_rendered_kubeadm_file_byte_for_byte(kubeadm: Rendered) -> None:
    for kind, path in CONFIG_FILES.items():
        written = _written(_user_data(kubeadm, kind))
        assert written["/etc/kubernetes/kubeadm/config.yaml"] == kubeadm.files[f"nodes/prod/{path}"]


def test_credentials_are_filled_in_on_the_node_before_kubeadm_runs(kubeadm: Rendered) -> None:
    init = _user_data(kubeadm, "server-init")["runcmd"]
    fill = next(i for i, c in enumerate(init) if c.startswith(f"sh {CREDENTIALS} init "))
    run = next(i for i, c in enumerate(init) if c.startswith("kubeadm init "))
    publish = init.index(f"sh {CREDENTIALS} publish")
    assert fill < run < publish
    assert "--upload-certs" in init[run]
    assert "/etc/kubernetes/kubeadm/config.yaml" in init[fill]
    agent = _user_data(kubeadm, "agent")["runcmd"]
    assert any(
        c.startswith(f"sh {CREDENTIALS} join /etc/kubernetes/kubeadm/config.yaml") for c in agent
    )
    assert agent[-1] == "kubeadm join --config /etc/kubernetes/kubeadm/config.yaml"


def test_no_credential_is_in_terraform_or_the_user_data(kubeadm: Rendered) -> None:
    main = tf(kubeadm, "main.tf")
    assert "random_password" not in {k.strip('"') for b in main.get("resource", []) for k in b}
    for kind in CONFIG_FILES:
        config = _written(_user_data(kubeadm, kind))["/etc/kubernetes/kubeadm/config.yaml"]
        assert "${KUBEADM_TOKEN}" in config  # filled in on the node, from Parameter Store
    join = _written(_user_data(kubeadm, "server-join"))["/etc/kubernetes/kubeadm/config.yaml"]
    assert "${KUBEADM_CERTIFICATE_KEY}" in join and "${KUBEADM_CA_CERT_HASH}" in join


def test_workers_may_read_the_token_and_the_hash_only(kubeadm: Rendered) -> None:
    policies = blocks(tf(kubeadm, "modules/iam/main.tf"), "resource", "aws_iam_role_policy")
    agent = policies["agent_kubeadm-join"]["policy"]
    server = policies["server_kubeadm-join"]["policy"]
    assert "parameter/stackyard/prod/kubeadm/token" in agent
    assert "parameter/stackyard/prod/kubeadm/ca-cert-hash" in agent
    assert "certificate-key" not in agent and "PutParameter" not in agent
    assert "ssm:PutParameter" in server and "parameter/stackyard/prod/kubeadm/*" in server


def test_the_credentials_script_is_valid_shell_that_guards_a_second_init(
    kubeadm: Rendered, tmp_path: Path
) -> None:
    script = _written(_user_data(kubeadm, "server-init"))[CREDENTIALS]
    path = tmp_path / "kubeadm-credentials.sh"
    path.write_text(script, encoding="utf-8")
    subprocess.run(["sh", "-n", str(path)], check=True)
    init = script.split("\ninit)\n", 1)[1].split(";;", 1)[0]
    assert init.index("get ca-cert-hash") < init.index("kubeadm token generate")
    join = script.split("\njoin)\n", 1)[1].split(";;", 1)[0]
    assert "certificate-key" not in join and "encryption-key" not in join


def test_the_first_node_applies_the_cloud_controller_after_init(kubeadm: Rendered) -> None:
    init = _user_data(kubeadm, "server-init")
    assert (
        _written(init)["/etc/kubernetes/kubeadm/aws-ccm.yaml"]
        == kubeadm.files["nodes/prod/kubeadm/aws-ccm.yaml"]
    )
    assert init["runcmd"][-1].endswith("apply -f /etc/kubernetes/kubeadm/aws-ccm.yaml")
    joining = _written(_user_data(kubeadm, "server-join"))
    assert "/etc/kubernetes/kubeadm/aws-ccm.yaml" not in joining
    config = yaml.safe_load_all(kubeadm.files["nodes/prod/kubeadm/join-config.yaml"])
    (join,) = [d for d in config if d]
    assert {"name": "cloud-provider", "value": "external"} in join["nodeRegistration"][
        "kubeletExtraArgs"
    ]


def test_kubeadm_app_clusters_from_cluster_api_apply_the_cloud_controller_too() -> None:
    text = example_text("aws-multicluster").replace("distribution: rke2", "distribution: kubeadm")
    result = render_text(text)
    assert "infrastructure/mgmt/modules/cluster-api-iam/main.tf" in result.files
    (plane,) = [
        d
        for d in result.documents("clusters/prod/cluster-api/prod.yaml")
        if d["kind"] == "KubeadmControlPlane"
    ]
    spec = plane["spec"]["kubeadmConfigSpec"]
    (ccm,) = spec["files"]
    assert "DaemonSet" in ccm["content"]
    assert spec["postKubeadmCommands"] == [
        f"kubectl --kubeconfig /etc/kubernetes/admin.conf apply -f {ccm['path']}"
    ]


# kubeadm labels its control-plane nodes with this label and an empty value (kubeadm's
# LabelNodeRoleControlPlane); RKE2 gives its servers the value "true".
KUBEADM_CONTROL_PLANE = {"node-role.kubernetes.io/control-plane": ""}


def _daemonset(text: str) -> dict[str, Any]:
    (daemonset,) = [d for d in yaml.safe_load_all(text) if d and d["kind"] == "DaemonSet"]
    return daemonset


def test_the_cloud_controller_is_scheduled_on_kubeadms_control_plane_nodes(
    kubeadm: Rendered,
) -> None:
    ccm = _daemonset(kubeadm.files["nodes/prod/kubeadm/aws-ccm.yaml"])
    assert ccm["spec"]["template"]["spec"]["nodeSelector"] == KUBEADM_CONTROL_PLANE


def test_cluster_apis_aws_provider_runs_on_kubeadms_control_plane_nodes_of_mgmt() -> None:
    text = example_text("aws-multicluster").replace("distribution: rke2", "distribution: kubeadm")
    result = render_text(text)
    providers = [
        d
        for path in result.files
        if path.endswith(".yaml") and "cluster-api" in path
        for d in result.documents(path)
        if d and d.get("kind") == "InfrastructureProvider"
    ]
    assert providers
    for provider in providers:
        assert provider["spec"]["deployment"]["nodeSelector"] == KUBEADM_CONTROL_PLANE
    (plane,) = [
        d
        for d in result.documents("clusters/prod/cluster-api/prod.yaml")
        if d["kind"] == "KubeadmControlPlane"
    ]
    (ccm,) = plane["spec"]["kubeadmConfigSpec"]["files"]
    assert _daemonset(ccm["content"])["spec"]["template"]["spec"]["nodeSelector"] == (
        KUBEADM_CONTROL_PLANE
    )

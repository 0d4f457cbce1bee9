"""The Terraform of a mgmt or standalone cluster on AWS, read back with python-hcl2."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml

from stackyard.catalog.capaiam import capa_iam
from stackyard.render.clusterapi.providers import AWS_VERSION
from stackyard.render.infrastructure import SKIPS
from stackyard.render.infrastructure.userdata import placement
from tests.render.conftest import Rendered, example_text, render_text

STACK = "infrastructure/prod/"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "provisioning.md"


@pytest.fixture(scope="module")
def standard() -> Rendered:
    return render_text(example_text("aws-standard"))


def tf(result: Rendered, path: str) -> dict[str, Any]:
    parsed: dict[str, Any] = hcl2.loads(result.files[STACK + path])
    return parsed


def blocks(parsed: dict[str, Any], kind: str, type_: str | None = None) -> dict[str, Any]:
    """The ``kind "type_" "name" {}`` (or ``kind "name" {}``) blocks of a file, by name."""
    found: dict[str, Any] = {}
    for block in parsed.get(kind, []):
        named = block if type_ is None else block.get(f'"{type_}"', {})
        for name, body in named.items():
            if not name.startswith("__"):
                found[name.strip('"')] = body
    return found


def unquote(value: Any) -> Any:
    return value.strip('"') if isinstance(value, str) else value


def test_every_terraform_file_parses(standard: Rendered) -> None:
    paths = [p for p in standard.files if p.startswith(STACK) and p.endswith(".tf")]
    assert {p.removeprefix(STACK) for p in paths} >= {
        "versions.tf",
        "main.tf",
        "modules/network/main.tf",
        "modules/security/main.tf",
        "modules/iam/main.tf",
        "modules/api-lb/main.tf",
        "modules/nodes/main.tf",
        "modules/etcd-snapshots/main.tf",
    }
    for path in paths:
        hcl2.loads(standard.files[path])


def test_subnets_carry_the_cluster_tag_of_its_own_name(standard: Rendered) -> None:
    main = tf(standard, "main.tf")
    tag = main["locals"][0]["cluster_tag"]
    assert {unquote(k): unquote(v) for k, v in tag.items()} == {
        "kubernetes.io/cluster/prod": "owned"
    }
    network = blocks(main, "module")["network"]
    assert network["cluster_tag"] == "${local.cluster_tag}"
    subnets = blocks(tf(standard, "modules/network/main.tf"), "resource", "aws_subnet")
    for name, role in (
        ("private", "kubernetes.io/role/internal-elb"),
        ("public", "kubernetes.io/role/elb"),
    ):
        tags = subnets[name]["tags"]
        assert tags.startswith("${merge(var.cluster_tag,"), tags
        assert f'"{role}"' in tags


def test_subnets_cover_the_spec_zones_inside_the_vpc(standard: Rendered) -> None:
    network = blocks(tf(standard, "main.tf"), "module")["network"]
    assert unquote(network["cidr"]) == "10.0.0.0/16"
    assert [unquote(s) for s in network["private_subnets"]] == [
        "10.0.0.0/18",
        "10.0.64.0/18",
        "10.0.128.0/18",
    ]
    assert [unquote(z) for z in tf(standard, "main.tf")["locals"][0]["zones"]] == [
        "ap-northeast-2a",
        "ap-northeast-2b",
        "ap-northeast-2c",
    ]


def _ingress(result: Rendered) -> list[dict[str, Any]]:
    security = tf(result, "modules/security/main.tf")
    return list(blocks(security, "resource", "aws_vpc_security_group_ingress_rule").values())


def test_the_servers_take_rke2_joins_on_9345_from_nodes_and_the_api_load_balancer(
    standard: Rendered,
) -> None:
    sources = {
        rule["referenced_security_group_id"]
        for rule in _ingress(standard)
        if rule.get("from_port") == 9345
        and rule["security_group_id"] == "${aws_security_group.servers.id}"
    }
    assert sources == {"${aws_security_group.nodes.id}", "${aws_security_group.api.id}"}
    listeners = blocks(tf(standard, "modules/api-lb/main.tf"), "resource", "aws_lb_listener")
    assert sorted(listener["port"] for listener in listeners.values()) == [6443, 9345]


def test_etcd_ports_open_between_servers_only(standard: Rendered) -> None:
    etcd = [r for r in _ingress(standard) if r.get("from_port") == 2379]
    assert [
        (r["security_group_id"], r["referenced_security_group_id"], r["to_port"]) for r in etcd
    ] == [("${aws_security_group.servers.id}", "${aws_security_group.servers.id}", 2381)]


def test_canal_opens_vxlan_and_cilium_eni_does_not(standard: Rendered, render_variant: Any) -> None:
    assert not [r for r in _ingress(standard) if r.get("from_port") == 8472]
    canal = render_variant("aws-standard", "cni: cilium", "cni: canal")
    assert [r["ip_protocol"] for r in _ingress(canal) if r.get("from_port") == 8472] == ['"udp"']


def test_user_data_is_the_rendered_node_configuration(standard: Rendered) -> None:
    node_files = {
        path.removeprefix("nodes/prod/"): text
        for path, text in standard.files.items()
        if path.startswith("nodes/prod/")
    }
    for kind in ("server-init", "server-join", "agent"):
        text = standard.files[f"{STACK}user-data/{kind}.yaml"]
        assert text.startswith("#cloud-config\n")
        written = {f["path"]: f["content"] for f in yaml.safe_load(text)["write_files"]}
        expected = {
            where.destination: node_files[path]
            for path in node_files
            if (where := placement(path)) is not None and kind in where.kinds
        }
        assert written == expected, kind
    server = yaml.safe_load(standard.files[f"{STACK}user-data/server-join.yaml"])
    join = next(f for f in server["write_files"] if f["path"].endswith("10-join.yaml"))
    assert "server: https://api.prod.platform.example.com:9345" in join["content"]
    assert server["runcmd"][-1] == "systemctl enable --now rke2-server.service"


def test_every_node_is_an_instance_of_its_pool_type(standard: Rendered) -> None:
    machines = blocks(tf(standard, "main.tf"), "module")["nodes"]["machines"]
    types = {unquote(n): unquote(m['"instance_type"']) for n, m in machines.items()}
    assert types == {
        **{f"prod-server-{i}": "m6i.xlarge" for i in range(3)},
        **{f"prod-agent-{i}": "m6i.2xlarge" for i in range(4)},
    }
    kinds = [unquote(m['"kind"']) for m in machines.values()]
    assert kinds == ["server-init", "server-join", "server-join", *["agent"] * 4]


def test_state_lives_in_s3_with_a_lock(standard: Rendered) -> None:
    terraform = tf(standard, "versions.tf")["terraform"][0]
    backend = terraform["backend"][0]['"s3"']
    assert unquote(backend["bucket"]) == "aws-standard-terraform-state"
    assert unquote(backend["key"]) == "infrastructure/prod/terraform.tfstate"
    assert backend["use_lockfile"] is True
    providers = blocks({"p": terraform["required_providers"]}, "p")
    assert set(providers) == {"aws", "random", "cloudinit"}
    for provider in providers.values():
        assert re.fullmatch(r'"\d+\.\d+\.\d+"', provider["version"]), provider


def test_the_etcd_bucket_is_private_encrypted_and_versioned(standard: Rendered) -> None:
    module = tf(standard, "modules/etcd-snapshots/main.tf")
    block = blocks(module, "resource", "aws_s3_bucket_public_access_block")["this"]
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy"))
    versioning = blocks(module, "resource", "aws_s3_bucket_versioning")["this"]
    assert versioning["versioning_configuration"][0]["status"] == '"Enabled"'
    bucket = blocks(tf(standard, "main.tf"), "module")["etcd_snapshots"]
    assert unquote(bucket["bucket"]) == "aws-standard-etcd-snapshots"


def test_local_and_app_clusters_get_no_infrastructure() -> None:
    result = render_text(example_text("local-multicluster"))
    assert not [p for p in result.files if p.startswith("infrastructure/")]


def test_every_checkov_skip_has_its_reason_in_the_docs(standard: Rendered) -> None:
    skips = set()
    for path, text in standard.files.items():
        if path.startswith(STACK):
            for line in re.findall(r"#checkov:skip=([A-Z0-9_]+):(.*)", text):
                assert line[1] == SKIPS[line[0]]
                skips.add(line[0])
    docs = DOCS.read_text(encoding="utf-8")
    assert skips and skips <= set(SKIPS)
    for check in SKIPS:
        assert f"| `{check}` |" in docs, check


ZONES = "      zones: [ap-northeast-2a, ap-northeast-2b, ap-northeast-2c]"
APP_CLUSTER = """  - name: apps
    role: app
    nodePools:
      - {name: cp, role: control-plane, count: 3, cpu: 4, memory: 16Gi, instanceType: m6i.xlarge}
      - {name: agent, count: 3, cpu: 8, memory: 32Gi, instanceType: m6i.2xlarge}
    network:
      nodeRange: 10.1.0.0/16
      serviceCIDR: 10.43.0.0/16
hardening:"""


def test_without_zones_the_regions_first_three_are_read(render_variant: Any) -> None:
    result = render_variant("aws-standard", ZONES + "   # subnets and servers, one per zone\n", "")
    main = tf(result, "main.tf")
    assert "available" in blocks(main, "data", "aws_availability_zones")
    zones = main["locals"][0]["zones"]
    assert zones == "${slice(data.aws_availability_zones.available.names, 0, 3)}"


def test_a_pool_without_an_instance_type_renders_no_infrastructure(render_variant: Any) -> None:
    result = render_variant("aws-standard", ", instanceType: m6i.2xlarge}", "}")
    assert not [p for p in result.files if p.startswith("infrastructure/")]


def _policies(result: Rendered, role: str) -> set[str]:
    module = tf(result, "modules/iam/main.tf")
    return {
        unquote(body["name"])
        for name, body in blocks(module, "resource", "aws_iam_role_policy").items()
        if name.startswith(f"{role}_")
    }


def _attachments(result: Rendered, cluster: str) -> dict[str, Any]:
    path = f"infrastructure/{cluster}/modules/cluster-api-iam/main.tf"
    return blocks(hcl2.loads(result.files[path]), "resource", "aws_iam_role_policy_attachment")


def test_mgmt_with_app_clusters_may_run_cluster_apis_aws_controllers(
    standard: Rendered,
) -> None:
    text = example_text("aws-standard").replace("role: standalone", "role: mgmt")
    mgmt = render_text(text.replace("hardening:", APP_CLUSTER, 1))
    module = blocks(tf(mgmt, "main.tf"), "module")["cluster_api_iam"]
    assert module["controller_roles"] == ["${module.iam.server_role}"]
    attached = _attachments(mgmt, "prod")["mgmt_controllers"]
    assert attached["policy_arn"] == "${aws_iam_policy.controllers.arn}"
    assert not [p for p in mgmt.files if p.startswith("infrastructure/apps/")]
    assert "cluster_api_iam" not in blocks(tf(standard, "main.tf"), "module")
    assert STACK + "modules/cluster-api-iam/main.tf" not in standard.files
    assert _policies(standard, "agent") == {"cloud-node", "cilium-eni"}
    assert _policies(standard, "server") == {
        "cloud-controller",
        "cloud-node",
        "cilium-eni",
        "etcd-snapshots",
    }


def _documents(result: Rendered, folder: str) -> list[dict[str, Any]]:
    return [
        document
        for path, text in result.files.items()
        if path.startswith(folder) and path.endswith(".yaml")
        for document in yaml.safe_load_all(text)
        if document
    ]


def test_the_multicluster_mgmt_is_built_with_its_own_name_and_cluster_apis_rights() -> None:
    result = render_text(example_text("aws-multicluster"))
    stacks = {p.split("/")[1] for p in result.files if p.startswith("infrastructure/")}
    assert stacks == {"mgmt"}  # the app clusters come from Cluster API on mgmt
    main = hcl2.loads(result.files["infrastructure/mgmt/main.tf"])
    tag = main["locals"][0]["cluster_tag"]
    assert {unquote(k): unquote(v) for k, v in tag.items()} == {
        "kubernetes.io/cluster/mgmt": "owned"
    }
    capa = hcl2.loads(result.files["infrastructure/mgmt/modules/cluster-api-iam/main.tf"])
    profiles = {
        unquote(body["name"])
        for body in blocks(capa, "resource", "aws_iam_instance_profile").values()
    }
    named = {
        document["spec"]["template"]["spec"]["iamInstanceProfile"]
        for document in _documents(result, "clusters/")
        if document.get("kind") == "AWSMachineTemplate"
    }
    assert named == {
        "control-plane.cluster-api-provider-aws.sigs.k8s.io",
        "nodes.cluster-api-provider-aws.sigs.k8s.io",
    }
    assert named <= profiles
    # clusterawsadm's attachments: the cloud controller's policies on the app clusters'
    # control plane and nodes, the controllers' on controllers, control-plane and mgmt.
    assert set(_attachments(result, "mgmt")) == {
        "control_plane_control_plane",
        "control_plane_nodes",
        "nodes_nodes",
        "controllers_controllers",
        "control_plane_controllers",
        "mgmt_controllers",
    }


def test_cluster_apis_policies_are_clusterawsadms_of_the_pinned_release() -> None:
    capa = capa_iam()
    assert capa.source["tag"] == AWS_VERSION
    controllers = capa.policy("controllers").document["Statement"]
    actions = {action for statement in controllers for action in statement["Action"]}
    # what the provider does that the cloud controller never does
    assert {"ec2:RunInstances", "ec2:CreateVpc", "iam:PassRole"} <= actions
    passes = next(s for s in controllers if s["Action"] == ["iam:PassRole"])
    assert passes["Resource"] == ["arn:*:iam::*:role/*.cluster-api-provider-aws.sigs.k8s.io"]
    assert not any(action.startswith("eks:Create") and "Cluster" in action for action in actions)


ECR = "111122223333.dkr.ecr.ap-northeast-2.amazonaws.com/platform"


def _air_gapped(registry: str) -> Rendered:
    airgap = f"airgap:\n  registry: {registry}\n  git: https://git.corp.internal/platform\n"
    return render_text(example_text("aws-standard") + airgap)


def test_an_air_gapped_vpc_has_no_way_out_and_reaches_aws_through_endpoints() -> None:
    result = _air_gapped(ECR)
    network = tf(result, "modules/network/main.tf")
    for kind in ("aws_nat_gateway", "aws_internet_gateway", "aws_eip", "aws_route"):
        assert blocks(network, "resource", kind) == {}, kind
    assert set(blocks(network, "resource", "aws_subnet")) == {"private"}
    assert "public_subnets" not in blocks(tf(result, "main.tf"), "module")["network"]
    endpoints = tf(result, "modules/endpoints/main.tf")
    made = blocks(endpoints, "resource", "aws_vpc_endpoint")
    gateway = made.pop("s3")
    assert gateway["vpc_endpoint_type"] == '"Gateway"'
    assert gateway["route_table_ids"] == "${var.route_table_ids}"
    services = {unquote(body["service_name"]).rsplit(".", 1)[-1] for body in made.values()}
    assert {"ec2", "sts", "elasticloadbalancing", "ssm", "api", "dkr"} <= services
    assert all(body["private_dns_enabled"] is True for body in made.values())
    (https,) = blocks(endpoints, "resource", "aws_vpc_security_group_ingress_rule").values()
    assert (https["from_port"], https["to_port"], https["cidr_ipv4"]) == (
        443,
        443,
        "${var.vpc_cidr}",
    )
    module = blocks(tf(result, "main.tf"), "module")["endpoints"]
    assert module["route_table_ids"] == "${module.network.private_route_table_ids}"


def test_ecr_endpoints_only_for_an_ecr_registry() -> None:
    made = blocks(
        tf(_air_gapped("harbor.corp.internal/platform"), "modules/endpoints/main.tf"),
        "resource",
        "aws_vpc_endpoint",
    )
    assert "ecr_api" not in made and "ecr_dkr" not in made and "ec2" in made


def test_with_internet_there_are_no_endpoints(standard: Rendered) -> None:
    assert STACK + "modules/endpoints/main.tf" not in standard.files
    assert "nat" in blocks(tf(standard, "modules/network/main.tf"), "resource", "aws_eip")


def _standalone(name: str, region: str, vpc: str) -> str:
    pools = (
        "      - {name: server, role: control-plane, count: 1, cpu: 4, memory: 16Gi, "
        "instanceType: m6i.xlarge}\n"
        "      - {name: agent, role: worker, count: 2, cpu: 4, memory: 16Gi, "
        "instanceType: m6i.xlarge}\n"
    )
    return (
        f"  - name: {name}\n    role: standalone\n    nodePools:\n{pools}"
        f"    network:\n      nodeRange: {vpc}\n      serviceCIDR: 10.43.0.0/16\n"
        f"    aws:\n      region: {region}\n"
    )


def test_each_region_has_its_own_etcd_bucket_made_by_its_first_cluster() -> None:
    text = example_text("aws-standard")
    clusters = _standalone("west", "eu-west-1", "10.1.0.0/16") + _standalone(
        "west2", "eu-west-1", "10.2.0.0/16"
    )
    text = text.replace("hardening:", clusters + "hardening:", 1)
    result = render_text(text)

    def created(cluster: str) -> str | None:
        main = hcl2.loads(result.files[f"infrastructure/{cluster}/main.tf"])
        module = blocks(main, "module").get("etcd_snapshots")
        return None if module is None else str(unquote(module["bucket"]))

    def written(cluster: str) -> tuple[str, str]:
        config = yaml.safe_load(result.files[f"nodes/{cluster}/rke2/config.yaml"])
        return config["etcd-s3-bucket"], config["etcd-s3-region"]

    home, west = "aws-standard-etcd-snapshots", "aws-standard-etcd-eu-west-1"
    assert written("prod") == (home, "ap-northeast-2")
    assert written("west") == written("west2") == (west, "eu-west-1")
    assert (created("prod"), created("west"), created("west2")) == (home, west, None)
    # Each region's servers may write their own folder of their region's bucket only.
    policy = result.files["infrastructure/west2/modules/iam/main.tf"]
    assert f"arn:aws:s3:::{west}" in policy and home not in policy

"""Node bootstrap: RKE2 and kubeadm configs, static manifests, cloud-init, etcd snapshots."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackyard.kube import merge_values
from stackyard.plan import ClusterPlan, Plan, make_plan
from stackyard.render.bootstrap import ALL_BOOTSTRAP
from stackyard.render.bootstrap.aws_ccm import CHART_VERSION, IMAGE, UNINITIALIZED_TAINT
from stackyard.render.bootstrap.cilium import bootstrap_values
from stackyard.render.bootstrap.rke2 import server_config
from stackyard.render.build import render_plan
from stackyard.render.context import RenderContext
from stackyard.render.etcd_schedule import snapshot_schedule
from stackyard.render.manifests.etcd_backup import etcd_backup_manifests
from stackyard.render.readme import readme
from stackyard.render.tree import RenderError
from stackyard.spec import load_spec, load_spec_text
from stackyard.spec.units import parse_duration
from stackyard.validate.kube import validate_builtin

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_NAMES = ["aws-standard", "aws-enterprise", "community-poc", "local-multicluster"]
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_]+)\}")
ALLOWED_PLACEHOLDERS = {
    "KUBEADM_TOKEN",
    "KUBEADM_CA_CERT_HASH",
    "KUBEADM_CERTIFICATE_KEY",
    "SSH_PUBLIC_KEY",
}
SEED_004_ADDRESSES = {
    ("mgmt", "mgmt-cp"): "192.168.64.10",
    ("mgmt", "mgmt-worker-0"): "192.168.64.11",
    ("app1", "app1-cp"): "192.168.64.20",
    ("app1", "app1-worker-0"): "192.168.64.21",
    ("app2", "app2-cp"): "192.168.64.30",
    ("app2", "app2-worker-0"): "192.168.64.31",
}
AWS_COMMUNITY = """\
apiVersion: stackyard.dev/v1alpha1
kind: Platform
name: aws-community
edition: community
provider: aws
kubernetes: {distribution: rke2, version: "1.35"}
gitops: {repoURL: https://git.example.com/platform.git}
domain: example.com
aws: {region: eu-west-1}
clusters:
  - name: poc
    role: standalone
    nodePools:
      - {name: server, role: control-plane, count: 1, cpu: 8, memory: 32Gi, schedulable: true}
    network:
      nodeRange: 10.0.0.0/16
      podCIDR: 10.42.0.0/16
      serviceCIDR: 10.43.0.0/16
    aws:
      tags: {kubernetes.io/cluster/poc: owned}
"""


def example_text(name: str) -> str:
    return (EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8")


def plan_of(text: str) -> Plan:
    return make_plan(load_spec_text(text, "platform.yaml", EXAMPLES))


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {name: make_plan(load_spec(EXAMPLES / f"{name}.yaml")) for name in EXAMPLE_NAMES}


def node_files(plan: Plan, cluster: str) -> dict[str, str]:
    context = RenderContext(plan)
    files: dict[str, str] = {}
    for builder in ALL_BOOTSTRAP:
        for item in builder(context, plan.cluster(cluster)):
            assert item.path not in files
            files[item.path] = item.text
    return files


def documents(text: str) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(text) if doc is not None]


def rke2_config(plan: Plan, cluster: str) -> dict[str, Any]:
    [config] = documents(node_files(plan, cluster)["rke2/config.yaml"])
    return config


def _field(field: str, top: int) -> set[int]:
    if field == "*":
        return set(range(top))
    if field.startswith("*/"):
        return set(range(0, top, int(field[2:])))
    return {int(part) for part in field.split(",")}


def longest_gap(cron: str) -> int:
    """Longest time in seconds between two runs of a minute/hour-only cron schedule."""
    minute, hour, day, month, weekday = cron.split()
    assert (day, month, weekday) == ("*", "*", "*")
    minutes, hours = _field(minute, 60), _field(hour, 24)
    runs = [d * 1440 + h * 60 + m for d in range(3) for h in sorted(hours) for m in sorted(minutes)]
    return max(b - a for a, b in itertools.pairwise(runs)) * 60


def validate_k8s(manifest: dict[str, Any]) -> None:
    assert validate_builtin(manifest, "1.35") == []


# --- etcd snapshot schedule -------------------------------------------------------------


@pytest.mark.parametrize("rpo", ["1m", "7m", "30m", "59m", "1h", "90m", "5h", "12h", "24h", "7d"])
def test_snapshot_interval_never_exceeds_the_rpo(rpo: str) -> None:
    schedule = snapshot_schedule(rpo)
    assert schedule.interval <= parse_duration(rpo)
    assert longest_gap(schedule.cron) == schedule.interval
    assert 5 <= schedule.retention <= 48


def test_an_rpo_of_one_hour_snapshots_hourly() -> None:
    assert snapshot_schedule("1h").cron == "0 * * * *"


def test_an_rpo_under_a_minute_cannot_be_met() -> None:
    with pytest.raises(RenderError, match="under a minute"):
        snapshot_schedule("30s")


def test_rke2_snapshot_cron_follows_the_rpo() -> None:
    plan = plan_of(example_text("community-poc").replace("rpo: 24h", "rpo: 1h"))
    config = rke2_config(plan, "poc")
    assert config["etcd-snapshot-schedule-cron"] == "0 * * * *"
    assert config["etcd-snapshot-retention"] == 24


# --- RKE2 on AWS --------------------------------------------------------------------------


def test_aws_rke2_servers_wait_for_the_external_ccm(plans: dict[str, Plan]) -> None:
    config = rke2_config(plans["aws-standard"], "prod")
    assert config["cloud-provider-name"] == "external"
    # RKE2's embedded CCM would otherwise initialise nodes with an rke2:// providerID.
    assert config["disable-cloud-controller"] is True
    assert "api.prod.platform.example.com" in config["tls-san"]
    [agent] = documents(node_files(plans["aws-standard"], "prod")["rke2/agent-config.yaml"])
    assert agent["cloud-provider-name"] == "external"
    assert agent["server"] == "https://api.prod.platform.example.com:9345"


def test_aws_etcd_snapshots_go_to_s3_with_the_instance_profile(plans: dict[str, Plan]) -> None:
    config = rke2_config(plans["aws-standard"], "prod")
    assert config["etcd-s3"] is True
    assert config["etcd-s3-region"] == "ap-northeast-2"
    assert config["etcd-s3-folder"] == "prod"
    assert not any(key in config for key in ("etcd-s3-access-key", "etcd-s3-secret-key"))
    assert config["etcd-snapshot-schedule-cron"] == "0 * * * *"  # slo.rpo 1h


def ccm_objects(plan: Plan, cluster: str) -> list[dict[str, Any]]:
    return documents(node_files(plan, cluster)["rke2/server/manifests/aws-ccm.yaml"])


def daemonset(objects: list[dict[str, Any]]) -> dict[str, Any]:
    [result] = [o for o in objects if o["kind"] == "DaemonSet"]
    return result


def test_ccm_static_manifest_breaks_the_bootstrap_deadlock(plans: dict[str, Plan]) -> None:
    pod = daemonset(ccm_objects(plans["aws-standard"], "prod"))["spec"]["template"]["spec"]
    assert {"key": UNINITIALIZED_TAINT, "value": "true", "effect": "NoSchedule"} in pod[
        "tolerations"
    ]
    # The servers carry CriticalAddonsOnly (control plane not schedulable in this spec).
    assert {"key": "CriticalAddonsOnly", "operator": "Exists"} in pod["tolerations"]
    assert pod["hostNetwork"] is True
    assert pod["nodeSelector"] == {"node-role.kubernetes.io/control-plane": "true"}
    [container] = pod["containers"]
    assert container["image"] == IMAGE
    assert "--configure-cloud-routes=false" in container["args"]
    assert "--cluster-name=prod" in container["args"]


def test_ccm_leaves_service_load_balancers_to_the_albc(plans: dict[str, Plan]) -> None:
    pod = daemonset(ccm_objects(plans["aws-standard"], "prod"))["spec"]["template"]["spec"]
    assert "--controllers=*,-service" in pod["containers"][0]["args"]


def test_ccm_keeps_its_service_controller_when_it_balances_load() -> None:
    plan = plan_of(AWS_COMMUNITY)
    assert plan.cluster("poc").has("aws-ccm-load-balancer")
    args = daemonset(ccm_objects(plan, "poc"))["spec"]["template"]["spec"]["containers"][0]["args"]
    assert not any(arg.startswith("--controllers") for arg in args)
    assert rke2_config(plan, "poc")["cni"] == "canal"


def test_ccm_manifest_validates_against_kubernetes_1_35(plans: dict[str, Plan]) -> None:
    objects = ccm_objects(plans["aws-standard"], "prod")
    assert [o["kind"] for o in objects] == [
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "RoleBinding",
        "DaemonSet",
    ]
    for manifest in objects:
        validate_k8s(manifest)


def test_ccm_manifest_matches_the_catalog_chart(plans: dict[str, Plan]) -> None:
    install = RenderContext(plans["aws-standard"]).component("aws-cloud-controller-manager").install
    assert install.method == "manifest"
    assert CHART_VERSION in install.source
    assert IMAGE.rsplit(":", 1)[1] in install.source


def test_aws_nodes_get_the_providerid_from_instance_metadata(plans: dict[str, Plan]) -> None:
    script = node_files(plans["aws-standard"], "prod")["rke2/aws-provider-id.sh"]
    assert script.startswith("#!/bin/sh\n")
    assert "provider-id=aws:///%s/%s" in script


# --- Cilium bootstrap on RKE2 ----------------------------------------------------------------


def test_rke2_installs_the_release_argo_cd_adopts(plans: dict[str, Plan]) -> None:
    plan = plans["aws-standard"]
    config = rke2_config(plan, "prod")
    assert config["cni"] == "none"  # RKE2's bundled rke2-cilium stays off
    [chart] = documents(node_files(plan, "prod")["rke2/server/manifests/cilium.yaml"])
    tree = dict(render_plan(plan))
    [application] = documents(tree["apps/applications/cilium.yaml"])
    chart_source = application["spec"]["sources"][0]
    assert chart["metadata"]["name"] == chart_source["helm"]["releaseName"]
    assert chart["spec"]["repo"] == chart_source["repoURL"]
    assert chart["spec"]["version"] == chart_source["targetRevision"]
    assert chart["spec"]["targetNamespace"] == application["spec"]["destination"]["namespace"]
    assert chart["spec"]["bootstrap"] is True
    values = yaml.safe_load(chart["spec"]["valuesContent"])
    assert values == bootstrap_values(RenderContext(plan), plan.cluster("prod"))


def test_bootstrap_values_are_the_rendered_values_layers(plans: dict[str, Plan]) -> None:
    plan = plans["aws-standard"]
    tree = dict(render_plan(plan))
    layers: dict[str, Any] = {}
    for path in (
        "values/common/cilium.yaml",
        "values/editions/standard/cilium.yaml",
        "values/clusters/prod/cilium.yaml",
    ):
        layers = merge_values(layers, documents(tree[path])[0] or {})
    assert bootstrap_values(RenderContext(plan), plan.cluster("prod")) == layers


def test_kube_proxy_follows_the_cilium_values(plans: dict[str, Plan]) -> None:
    assert rke2_config(plans["aws-standard"], "prod")["disable-kube-proxy"] is True
    text = example_text("aws-standard").replace(
        "clusters:\n", "components:\n  cilium: {values: {kubeProxyReplacement: false}}\nclusters:\n"
    )
    assert "disable-kube-proxy" not in rke2_config(plan_of(text), "prod")


def test_oidc_points_at_the_keycloak_platform_realm(plans: dict[str, Plan]) -> None:
    args = rke2_config(plans["aws-standard"], "prod")["kube-apiserver-arg"]
    assert "oidc-issuer-url=https://keycloak.platform.example.com/realms/platform" in args
    assert "oidc-client-id=kubernetes" in args
    assert "kube-apiserver-arg" not in rke2_config(plans["community-poc"], "poc")


# --- Community on premises ---------------------------------------------------------------


def test_community_poc_keeps_canal_and_everything_the_platform_needs(
    plans: dict[str, Plan],
) -> None:
    plan = plans["community-poc"]
    config = rke2_config(plan, "poc")
    assert config["cni"] == "canal"
    needed = {"rke2-canal", "rke2-coredns", "rke2-metrics-server", "rke2-snapshot-controller"}
    assert not needed & set(config.get("disable", []))
    # The catalog's ingress-nginx replaces RKE2's bundled ingress controller.
    assert plan.cluster("poc").has("ingress-nginx-public")
    assert config["ingress-controller"] == "none"
    assert "disable-kube-proxy" not in config  # Canal needs kube-proxy
    assert "node-taint" not in config  # the servers are schedulable
    assert "cloud-provider-name" not in config
    files = node_files(plan, "poc")
    assert not any(path.startswith("rke2/server/manifests/") for path in files)
    assert "rke2/agent-config.yaml" not in files  # servers only


def test_community_poc_servers_are_tls_names_and_join_the_first(plans: dict[str, Plan]) -> None:
    files = node_files(plans["community-poc"], "poc")
    config = rke2_config(plans["community-poc"], "poc")
    assert config["tls-san"] == [
        "api.poc.poc.example.internal",
        "10.20.0.11",
        "10.20.0.12",
        "10.20.0.13",
    ]
    assert config["cluster-cidr"] == "10.42.0.0/16"
    [join] = documents(files["rke2/config.yaml.d/10-join.yaml"])
    assert join == {"server": "https://api.poc.poc.example.internal:9345"}


def test_minio_snapshot_credentials_are_a_secret_name_only(plans: dict[str, Plan]) -> None:
    config = rke2_config(plans["community-poc"], "poc")
    etcd_s3 = {key: value for key, value in config.items() if key.startswith("etcd-s3")}
    # Any other etcd-s3-* option would make RKE2 ignore the Secret.
    assert etcd_s3 == {"etcd-s3": True, "etcd-s3-config-secret": "etcd-s3-secret"}


# --- kubeadm, local multi-cluster (seed 004) ------------------------------------------------


def kubeadm_init(plan: Plan, cluster: str) -> tuple[dict[str, Any], dict[str, Any]]:
    init, config = documents(node_files(plan, cluster)["kubeadm/init-config.yaml"])
    return init, config


@pytest.mark.parametrize(
    ("cluster", "pods", "services"),
    [
        ("mgmt", "10.100.0.0/16", "10.96.0.0/16"),
        ("app1", "10.101.0.0/16", "10.97.0.0/16"),
        ("app2", "10.102.0.0/16", "10.98.0.0/16"),
    ],
)
def test_kubeadm_cluster_configuration_has_the_seed_subnets(
    plans: dict[str, Plan], cluster: str, pods: str, services: str
) -> None:
    init, config = kubeadm_init(plans["local-multicluster"], cluster)
    assert init["apiVersion"] == config["apiVersion"] == "kubeadm.k8s.io/v1beta4"
    assert config["kind"] == "ClusterConfiguration"
    assert config["networking"]["podSubnet"] == pods
    assert config["networking"]["serviceSubnet"] == services
    assert config["controlPlaneEndpoint"] == f"api.{cluster}.platform.local.example:6443"
    assert config["kubernetesVersion"] == "stable-1.35"
    assert f"api.{cluster}.platform.local.example" in config["apiServer"]["certSANs"]


def test_kubeadm_skips_kube_proxy_only_when_cilium_replaces_it(plans: dict[str, Plan]) -> None:
    init, config = kubeadm_init(plans["local-multicluster"], "mgmt")
    assert init["skipPhases"] == ["addon/kube-proxy"]
    assert config["proxy"] == {"disabled": True}
    text = example_text("local-multicluster").replace(
        "components:\n", "components:\n  cilium: {values: {kubeProxyReplacement: false}}\n", 1
    )
    init, config = kubeadm_init(plan_of(text), "mgmt")
    assert "skipPhases" not in init
    assert "proxy" not in config


def test_a_patch_version_pins_kubeadm_and_packages() -> None:
    plan = plan_of(
        example_text("local-multicluster").replace('version: "1.35"', 'version: "1.35.2"')
    )
    _, config = kubeadm_init(plan, "mgmt")
    assert config["kubernetesVersion"] == "v1.35.2"
    user_data = yaml.safe_load(node_files(plan, "mgmt")["cloud-init/mgmt-cp.yaml"])
    assert (
        "apt-get install -y kubelet=1.35.2-1.1 kubeadm=1.35.2-1.1 kubectl=1.35.2-1.1"
        in (user_data["runcmd"])
    )


@pytest.mark.parametrize(("cluster", "node"), sorted(SEED_004_ADDRESSES))
def test_cloud_init_gives_each_node_its_seed_address(
    plans: dict[str, Plan], cluster: str, node: str
) -> None:
    address = SEED_004_ADDRESSES[cluster, node]
    text = node_files(plans["local-multicluster"], cluster)[f"cloud-init/{node}.yaml"]
    assert text.startswith("#cloud-config\n")
    user_data = yaml.safe_load(text)
    assert user_data["hostname"] == node
    files = {f["path"]: f["content"] for f in user_data["write_files"]}
    netplan = yaml.safe_load(files["/etc/netplan/60-stackyard.yaml"])
    assert netplan["network"]["ethernets"]["primary"]["addresses"] == [f"{address}/24"]
    [kubeadm, *rest] = documents(files["/etc/kubernetes/kubeadm/config.yaml"])
    assert kubeadm["nodeRegistration"]["name"] == node
    assert kubeadm["nodeRegistration"]["kubeletExtraArgs"] == [
        {"name": "node-ip", "value": address}
    ]
    if node.endswith("-cp"):
        assert kubeadm["kind"] == "InitConfiguration"
        assert kubeadm["localAPIEndpoint"]["advertiseAddress"] == address
        assert rest[0]["kind"] == "ClusterConfiguration"
        assert (
            user_data["runcmd"][-2] == "kubeadm init --config /etc/kubernetes/kubeadm/config.yaml"
        )
    else:
        assert kubeadm["kind"] == "JoinConfiguration"
        assert kubeadm["discovery"]["bootstrapToken"]["token"] == "${KUBEADM_TOKEN}"
        assert (
            user_data["runcmd"][-1] == "kubeadm join --config /etc/kubernetes/kubeadm/config.yaml"
        )
    control_plane = SEED_004_ADDRESSES[cluster, f"{cluster}-cp"]
    assert (
        f"echo '{control_plane} api.{cluster}.platform.local.example' >> /etc/hosts"
        in (user_data["runcmd"])
    )
    assert "https://pkgs.k8s.io/core:/stable:/v1.35/deb/" in " ".join(user_data["runcmd"])


def test_schedulable_control_planes_drop_the_kubeadm_taint(plans: dict[str, Plan]) -> None:
    init, _ = kubeadm_init(plans["local-multicluster"], "mgmt")
    assert init["nodeRegistration"]["taints"] == []


# --- etcd snapshots on kubeadm ---------------------------------------------------------------


def etcd_cronjob(plan: Plan, cluster: str) -> dict[str, Any]:
    [placed] = etcd_backup_manifests(RenderContext(plan), plan.cluster(cluster))
    assert placed.group == "base"
    [cronjob] = placed.manifests
    return cronjob


def test_kubeadm_etcd_cronjob_meets_the_rpo(plans: dict[str, Plan]) -> None:
    plan = plans["local-multicluster"]
    for cluster in plan.clusters:
        cronjob = etcd_cronjob(plan, cluster.name)
        assert longest_gap(cronjob["spec"]["schedule"]) <= parse_duration("24h")
        pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        assert pod["hostNetwork"] is True
        assert pod["nodeSelector"] == {"node-role.kubernetes.io/control-plane": ""}
        [container] = pod["initContainers"]
        assert container["image"].startswith("registry.k8s.io/etcd:3.6.")
        pki = next(m for m in container["volumeMounts"] if m["name"] == "etcd-pki")
        assert pki == {
            "name": "etcd-pki",
            "mountPath": "/etc/kubernetes/pki/etcd",
            "readOnly": True,
        }
        env = {e["name"]: e["value"] for e in container["env"]}
        assert int(env["SNAPSHOT_INTERVAL_SECONDS"]) <= parse_duration("24h")


def test_etcd_cronjob_validates_against_kubernetes_1_35(plans: dict[str, Plan]) -> None:
    validate_k8s(etcd_cronjob(plans["local-multicluster"], "mgmt"))
    validate_k8s(etcd_cronjob(plans["local-multicluster"], "app1"))


def upload_of(cronjob: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """The upload container, its literal environment, and the pod spec."""
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    [upload] = pod["containers"]
    env = {e["name"]: e["value"] for e in upload["env"] if "value" in e}
    return upload, env, pod


@pytest.mark.parametrize("example", ["local-multicluster", "mesh-local"])
def test_kubeadm_snapshots_are_copied_to_minio_in_rke2s_layout(
    plans: dict[str, Plan], example: str
) -> None:
    plan = plans.get(example) or make_plan(load_spec(EXAMPLES / f"{example}.yaml"))
    schedule = snapshot_schedule(plan.spec.platform.slo.rpo)
    domain = plan.spec.platform.domain
    minio_home = RenderContext(plan).clusters_running("minio")[0].name
    for cluster in plan.clusters:
        cronjob = etcd_cronjob(plan, cluster.name)
        upload, env, pod = upload_of(cronjob)
        assert upload["image"] == "amazon/aws-cli:2.32.8"
        assert upload["command"][:2] == ["/bin/bash", "-c"]
        script = upload["command"][2]
        assert 'aws s3 cp --only-show-errors "$newest" "s3://$SNAPSHOT_BUCKET/$key"' in script
        assert "aws s3api delete-object" in script
        assert env["SNAPSHOT_BUCKET"] == f"{plan.spec.platform.name}-etcd-snapshots"
        assert env["SNAPSHOT_FOLDER"] == cluster.name
        assert env["SNAPSHOT_RETENTION"] == str(schedule.retention)
        assert env["S3_PATH_STYLE"] == "true"
        node = next(e for e in upload["env"] if e["name"] == "NODE_NAME")
        assert node["valueFrom"] == {"fieldRef": {"fieldPath": "spec.nodeName"}}
        assert upload["envFrom"] == [{"secretRef": {"name": "etcd-snapshot-s3"}}]
        backup = next(m for m in upload["volumeMounts"] if m["name"] == "backup")
        assert backup == {"name": "backup", "mountPath": "/backup", "readOnly": True}
        assert pod["dnsPolicy"] == "ClusterFirstWithHostNet"
        volumes = {v["name"]: v for v in pod["volumes"]}
        if cluster.name == minio_home:
            assert env["AWS_ENDPOINT_URL"] == "http://minio.minio.svc:9000"
            assert "AWS_CA_BUNDLE" not in env and "platform-ca" not in volumes
        else:
            assert env["AWS_ENDPOINT_URL"] == f"https://minio.{domain}"
            assert env["AWS_CA_BUNDLE"] == "/etc/platform-ca/ca.crt"
            assert volumes["platform-ca"]["secret"] == {"secretName": "platform-ca-bundle"}
        validate_k8s(cronjob)


def test_minio_creates_the_etcd_snapshot_bucket_on_kubeadm(plans: dict[str, Plan]) -> None:
    plan = plans["local-multicluster"]
    tree = render_plan(plan)
    values = yaml.safe_load(dict(tree)["values/clusters/mgmt/minio.yaml"])
    assert "local-multicluster-etcd-snapshots" in [b["name"] for b in values["buckets"]]
    text = readme(RenderContext(plan), tree)
    assert "| `kube-system/etcd-snapshot-s3` | AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY |" in text
    assert "| `kube-system/platform-ca-bundle` | ca.crt | app1, app2 |" in text


STORE = """
objectStorage:
  endpoint: https://s3.storage.example:9000
  region: eu-central-1
  credentialsSecret: object-storage
  buckets:
    etcdSnapshots: team-etcd
"""


def test_kubeadm_and_rke2_copy_to_the_same_external_store_and_folder() -> None:
    kubeadm = plan_of(example_text("local-multicluster") + STORE)
    upload, env, _ = upload_of(etcd_cronjob(kubeadm, "app1"))
    assert env["AWS_ENDPOINT_URL"] == "https://s3.storage.example:9000"
    assert env["AWS_DEFAULT_REGION"] == "eu-central-1"
    assert (env["SNAPSHOT_BUCKET"], env["SNAPSHOT_FOLDER"]) == ("team-etcd", "app1")
    assert env["S3_PATH_STYLE"] == "true"
    assert upload["envFrom"] == [{"secretRef": {"name": "object-storage"}}]
    assert "AWS_CA_BUNDLE" not in env
    rke2 = plan_of(example_text("community-poc") + STORE)
    [cluster] = rke2.clusters
    config = server_config(RenderContext(rke2), cluster)
    assert config["etcd-s3-endpoint"] == "s3.storage.example:9000"
    assert config["etcd-s3-bucket"] == "team-etcd"
    assert config["etcd-s3-folder"] == cluster.name
    assert config["etcd-s3-region"] == "eu-central-1"
    assert config["etcd-s3-bucket-lookup-type"] == "path"


def test_etcd_cronjob_follows_a_tighter_rpo() -> None:
    plan = plan_of(example_text("local-multicluster").replace("rpo: 24h", "rpo: 1h"))
    assert etcd_cronjob(plan, "app1")["spec"]["schedule"] == "0 * * * *"


def test_rke2_clusters_need_no_etcd_cronjob(plans: dict[str, Plan]) -> None:
    plan = plans["aws-standard"]
    assert list(etcd_backup_manifests(RenderContext(plan), plan.cluster("prod"))) == []


# --- every example ---------------------------------------------------------------------------


def all_node_files(plan: Plan) -> list[tuple[ClusterPlan, str, str]]:
    return [
        (cluster, path, text)
        for cluster in plan.clusters
        for path, text in sorted(node_files(plan, cluster.name).items())
    ]


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_node_files_are_deterministic_plain_yaml(plans: dict[str, Plan], name: str) -> None:
    first = all_node_files(plans[name])
    second = all_node_files(make_plan(load_spec(EXAMPLES / f"{name}.yaml")))
    assert [(c.name, p, t) for c, p, t in first] == [(c.name, p, t) for c, p, t in second]
    for _, path, text in first:
        if path.endswith(".yaml"):
            documents(text)
            assert "&id0" not in text  # shared objects would dump as YAML anchors


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_node_files_hold_no_secret(plans: dict[str, Plan], name: str) -> None:
    for _, path, text in all_node_files(plans[name]):
        assert set(PLACEHOLDER.findall(text)) <= ALLOWED_PLACEHOLDERS, path
        if path.startswith("rke2/") and path.endswith(".yaml"):
            for document in documents(text):
                forbidden = {"token", "agent-token", "etcd-s3-access-key", "etcd-s3-secret-key"}
                assert not forbidden & set(document), path

"""Hardening in the rendered tree: CIS settings in the node configuration of both
distributions, the audit policy written, valid and shipped by the log agent, encryption at
rest per provider, and the audit dashboard. Specs without ``hardening`` are covered by the
goldens and stay byte-identical."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from stackyard.validate.configschemas import check_configuration
from stackyard.validate.objects import check_object
from stackyard.yamlio import load_yaml_documents
from tests.render.conftest import Rendered, example_text, render_text

HARDENED = "hardening: {encryptionAtRest: {keyRotation: 90d}}\n"
KMS = "hardening: {encryptionAtRest: {provider: vault-kms, keyRotation: 90d}}\n"
AWS_KMS = "hardening: {encryptionAtRest: {provider: aws-kms, key: alias/k8s, keyRotation: 365d}}\n"


def spec(name: str, hardening: str = "") -> str:
    """An example with its own hardening section (if any) replaced by ``hardening``."""
    text = example_text(name).split("\nhardening:", 1)[0].rstrip("\n") + "\n"
    return text + hardening


def docs(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


def flag_map(args: list[str]) -> dict[str, str]:
    return dict(a.split("=", 1) for a in args)


def kv(pairs: list[dict[str, str]]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in pairs}


@pytest.fixture(scope="module")
def enterprise() -> Rendered:
    return render_text(spec("aws-enterprise", HARDENED))


@pytest.fixture(scope="module")
def local() -> Rendered:
    return render_text(spec("local-multicluster", "hardening: {cis: true}\n"))


def cloud_init(tree: Rendered, cluster: str, node: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(tree.files[f"nodes/{cluster}/cloud-init/{node}.yaml"])
    return data


def written(user_data: dict[str, Any]) -> dict[str, str]:
    return {f["path"]: f["content"] for f in user_data["write_files"]}


# --- RKE2 -----------------------------------------------------------------------------------


def test_rke2_servers_and_agents_run_the_cis_profile(enterprise: Rendered) -> None:
    [server] = enterprise.documents("nodes/prod/rke2/config.yaml")
    [agent] = enterprise.documents("nodes/prod/rke2/agent-config.yaml")
    assert server["profile"] == agent["profile"] == "cis"
    assert server["pod-security-admission-config-file"] == "/etc/rancher/rke2/stackyard-pss.yaml"
    script = enterprise.files["nodes/prod/rke2/cis-host.sh"]
    assert "useradd -r" in script and " etcd\n" in script
    assert "/etc/sysctl.d/60-rke2-cis.conf" in script
    for setting in ("vm.panic_on_oom = 0", "vm.overcommit_memory = 1", "kernel.panic = 10"):
        assert setting in script


def test_rke2_pod_security_exempts_exactly_the_privileged_namespaces(
    enterprise: Rendered,
) -> None:
    [config] = enterprise.documents("nodes/prod/rke2/stackyard-pss.yaml")
    [plugin] = config["plugins"]
    assert plugin["configuration"]["defaults"]["enforce"] == "restricted"
    exempt = set(plugin["configuration"]["exemptions"]["namespaces"])
    cluster = enterprise.plan.cluster("prod")
    privileged = {
        p.component.namespace for p in cluster.components if p.component.podSecurity == "privileged"
    }
    assert exempt == privileged | {"kube-system"}
    assert {"longhorn-system", "logging", "falco"} <= exempt
    assert not any(
        p.component.namespace in exempt
        for p in cluster.components
        if p.component.podSecurity == "restricted"
    )


def test_rke2_audit_policy_is_installed_where_the_server_reads_it(enterprise: Rendered) -> None:
    [server] = enterprise.documents("nodes/prod/rke2/config.yaml")
    text = enterprise.files["nodes/prod/rke2/audit-policy.yaml"]
    assert f"Install as {server['audit-policy-file']} on every server." in text
    args = flag_map(server["kube-apiserver-arg"])
    assert (args["audit-log-maxage"], args["audit-log-maxbackup"], args["audit-log-maxsize"]) == (
        "30",
        "10",
        "100",
    )


def test_rke2_builtin_encryption_is_rke2s_own_key(enterprise: Rendered) -> None:
    [server] = enterprise.documents("nodes/prod/rke2/config.yaml")
    assert server["secrets-encryption"] is True
    assert "nodes/prod/rke2/encryption-config.yaml" not in enterprise.files
    assert "encryption-provider-config" not in flag_map(server["kube-apiserver-arg"])
    assert "rke2 secrets-encrypt rotate-keys" in enterprise.files["nodes/prod/README.md"]


@pytest.mark.parametrize(("snippet", "name"), [(KMS, "vault"), (AWS_KMS, "aws-kms")])
def test_rke2_kms_v2_reaches_the_plugin_socket(snippet: str, name: str) -> None:
    tree = render_text(spec("aws-enterprise", snippet))
    [server] = tree.documents("nodes/prod/rke2/config.yaml")
    assert server["secrets-encryption"] is False
    args = flag_map(server["kube-apiserver-arg"])
    path = args["encryption-provider-config"]
    [config] = tree.documents("nodes/prod/rke2/encryption-config.yaml")
    assert f"Install as {path} (mode 0600)" in tree.files["nodes/prod/rke2/encryption-config.yaml"]
    [resource] = config["resources"]
    kms, identity = resource["providers"]
    assert identity == {"identity": {}}
    assert kms["kms"]["apiVersion"] == "v2" and kms["kms"]["name"] == name
    socket_dir = kms["kms"]["endpoint"].removeprefix("unix://").rsplit("/", 1)[0]
    mounts = [m.split(":")[0] for m in server["kube-apiserver-extra-mount"]]
    assert socket_dir in mounts and path in mounts


# --- kubeadm --------------------------------------------------------------------------------


# What CIS adds on kubeadm, by control id: (document, where, setting, value).
KUBEADM_CIS = {
    "1.2.3": ("apiServer", "enable-admission-plugins", "NodeRestriction,DenyServiceExternalIPs"),
    "1.2.15": ("apiServer", "profiling", "false"),
    "1.2.30": ("apiServer", "service-account-extend-token-expiration", "false"),
    "1.3.1": ("controllerManager", "terminated-pod-gc-threshold", "1000"),
    "1.3.2": ("controllerManager", "profiling", "false"),
    "1.3.7": ("controllerManager", "bind-address", "127.0.0.1"),
    "1.4.1": ("scheduler", "profiling", "false"),
    "1.4.2": ("scheduler", "bind-address", "127.0.0.1"),
    "2.3": ("etcd", "auto-tls", "false"),
    "2.6": ("etcd", "peer-auto-tls", "false"),
}
KUBELET_CIS = {
    "4.2.1": (("authentication", "anonymous", "enabled"), False),
    "4.2.2": (("authorization", "mode"), "Webhook"),
    "4.2.3": (("authentication", "x509", "clientCAFile"), "/etc/kubernetes/pki/ca.crt"),
    "4.2.4": (("readOnlyPort",), 0),
    "4.2.10": (("rotateCertificates",), True),
    "4.2.13": (("podPidsLimit",), 4096),
}
# After kubeadm, on every node [4.1.1, 4.1.5, 4.1.7, 4.1.9].
NODE_PERMISSIONS = (
    "chmod 600 $(systemctl show -P FragmentPath kubelet) $(systemctl show -P DropInPaths kubelet)",
    "chmod 600 /etc/kubernetes/kubelet.conf",
    "chmod 600 /etc/kubernetes/pki/ca.crt",
    "chmod 600 /var/lib/kubelet/config.yaml",
)


def _component_args(cluster_config: dict[str, Any], where: str) -> dict[str, str]:
    section = cluster_config["etcd"]["local"] if where == "etcd" else cluster_config.get(where, {})
    return kv(section.get("extraArgs", []))


def _kubelet_value(kubelet: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = kubelet
    for key in path:
        value = value[key]
    return value


KUBEADM_EXAMPLES = [("local-multicluster", "mgmt"), ("mesh-local", "app1")]


@pytest.mark.parametrize(("example", "cluster"), KUBEADM_EXAMPLES)
def test_kubeadm_examples_carry_every_cis_setting_with_cis_on(example: str, cluster: str) -> None:
    tree = render_text(spec(example, "hardening: {cis: true}\n"))
    user_data = cloud_init(tree, cluster, first_node(tree, cluster))
    # The cloud-init runs what the rendered init file says.
    _, cluster_config, kubelet = docs(written(user_data)["/etc/kubernetes/kubeadm/config.yaml"])
    assert [cluster_config, kubelet] == tree.documents(f"nodes/{cluster}/kubeadm/init-config.yaml")[
        1:
    ]
    for control, (where, name, value) in KUBEADM_CIS.items():
        assert _component_args(cluster_config, where).get(name) == value, control
    assert (
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
        in kv(cluster_config["apiServer"]["extraArgs"])["tls-cipher-suites"]
    )
    assert kubelet["kind"] == "KubeletConfiguration"
    for control, (path, value) in KUBELET_CIS.items():
        assert _kubelet_value(kubelet, path) == value, control
    assert kubelet["protectKernelDefaults"] is True
    runcmd = user_data["runcmd"]
    kubeadm = next(i for i, c in enumerate(runcmd) if c.startswith("kubeadm "))
    for command in NODE_PERMISSIONS:
        assert command in runcmd[kubeadm + 1 :], command
    assert "chmod 600 /etc/kubernetes/pki/*.crt /etc/kubernetes/pki/etcd/*.crt" in runcmd


@pytest.mark.parametrize(("example", "cluster"), KUBEADM_EXAMPLES)
def test_kubeadm_examples_carry_no_cis_setting_with_cis_off(example: str, cluster: str) -> None:
    tree = render_text(spec(example, "hardening: {cis: false}\n"))
    documents = tree.documents(f"nodes/{cluster}/kubeadm/init-config.yaml")
    assert [d["kind"] for d in documents] == ["InitConfiguration", "ClusterConfiguration"]
    cluster_config = documents[1]
    for control, (where, name, _) in KUBEADM_CIS.items():
        assert name not in _component_args(cluster_config, where), control
    # Audit and encryption stay: they are not CIS settings.
    assert "audit-policy-file" in kv(cluster_config["apiServer"]["extraArgs"])
    runcmd = cloud_init(tree, cluster, first_node(tree, cluster))["runcmd"]
    assert not any(c.startswith("chmod") for c in runcmd)


def test_kubeadm_workers_tighten_their_own_files_but_hold_no_pki(local: Rendered) -> None:
    runcmd = cloud_init(local, "mgmt", "mgmt-worker-0")["runcmd"]
    for command in NODE_PERMISSIONS:
        assert command in runcmd, command
    assert not any("pki/*.crt" in c for c in runcmd)


def test_rke2_cis_adds_what_its_profile_leaves_to_the_operator(enterprise: Rendered) -> None:
    """RKE2's profile sets the rest (its self-assessment); these match kubeadm's values."""
    [server] = enterprise.documents("nodes/prod/rke2/config.yaml")
    [agent] = enterprise.documents("nodes/prod/rke2/agent-config.yaml")
    args = flag_map(server["kube-apiserver-arg"])
    for control in ("1.2.3", "1.2.30"):
        _, name, value = KUBEADM_CIS[control]
        assert args[name] == value, control
    for config in (server, agent):
        kubelet = flag_map(config["kubelet-arg"])
        assert kubelet["pod-max-pids"] == str(KUBELET_CIS["4.2.13"][1])
        assert kubelet["tls-cipher-suites"].split(",") == _kubeadm_kubelet_ciphers()
    off = render_text(spec("aws-enterprise", "hardening: {cis: false}\n"))
    [server] = off.documents("nodes/prod/rke2/config.yaml")
    assert "kubelet-arg" not in server
    assert "enable-admission-plugins" not in flag_map(server["kube-apiserver-arg"])


def _kubeadm_kubelet_ciphers() -> list[str]:
    tree = render_text(spec("local-multicluster", "hardening: {cis: true}\n"))
    kubelet = tree.documents("nodes/mgmt/kubeadm/init-config.yaml")[2]
    ciphers: list[str] = kubelet["tlsCipherSuites"]
    return ciphers


def first_node(tree: Rendered, cluster: str) -> str:
    """The node whose cloud-init runs ``kubeadm init``."""
    prefix = f"nodes/{cluster}/cloud-init/"
    [name] = [
        p[len(prefix) : -len(".yaml")]
        for p, text in tree.files.items()
        if p.startswith(prefix) and "kubeadm init " in text
    ]
    return name


def test_kubeadm_nodes_set_the_kernel_parameters_before_kubeadm(local: Rendered) -> None:
    for node in ("mgmt-cp", "mgmt-worker-0"):
        data = cloud_init(local, "mgmt", node)
        sysctl = written(data)["/etc/sysctl.d/60-kubelet-cis.conf"]
        assert "vm.overcommit_memory = 1" in sysctl
        runcmd = data["runcmd"]
        kubeadm = next(i for i, c in enumerate(runcmd) if c.startswith("kubeadm "))
        assert runcmd.index("sysctl --system") < kubeadm
        assert "chmod 600 /var/lib/kubelet/config.yaml" in runcmd[kubeadm + 1 :]


def test_kubeadm_audit_and_encryption_files_are_where_the_flags_point(local: Rendered) -> None:
    _, cluster_config, _ = local.documents("nodes/mgmt/kubeadm/init-config.yaml")
    api = kv(cluster_config["apiServer"]["extraArgs"])
    files = written(cloud_init(local, "mgmt", "mgmt-cp"))
    [policy] = docs(files[api["audit-policy-file"]])
    assert policy["kind"] == "Policy"
    [encryption] = docs(files[api["encryption-provider-config"]])
    keys = encryption["resources"][0]["providers"][0]["secretbox"]["keys"]
    assert keys == [{"name": "key1", "secret": "${ENCRYPTION_KEY}"}]
    mounted = {v["hostPath"] for v in cluster_config["apiServer"]["extraVolumes"]}
    for flag in ("audit-policy-file", "audit-log-path", "encryption-provider-config"):
        assert api[flag].rsplit("/", 1)[0] in mounted, flag
    readme = local.files["nodes/mgmt/README.md"]
    assert "${ENCRYPTION_KEY}" in readme and "ENCRYPTION_KEY=$(head -c 32" in readme
    # Workers hold no key and no policy.
    worker = written(cloud_init(local, "mgmt", "mgmt-worker-0"))
    assert api["encryption-provider-config"] not in worker


def test_kubeadm_kms_mounts_the_plugin_socket() -> None:
    tree = render_text(spec("local-multicluster", KMS))
    _, cluster_config, *_ = tree.documents("nodes/mgmt/kubeadm/init-config.yaml")
    mounted = {v["hostPath"] for v in cluster_config["apiServer"]["extraVolumes"]}
    assert "/var/run/kmsplugin" in mounted
    assert "ENCRYPTION_KEY" not in tree.files["nodes/mgmt/README.md"]


# --- the audit policy and its journey to Loki ----------------------------------------------


@pytest.mark.parametrize("level", ["None", "Metadata", "Request", "RequestResponse"])
def test_the_audit_policy_is_valid_at_every_level(level: str) -> None:
    tree = render_text(spec("aws-standard", f"hardening: {{audit: {{level: {level}}}}}\n"))
    [policy] = tree.documents("nodes/prod/rke2/audit-policy.yaml")
    assert check_configuration(policy) == []
    assert policy["rules"][-1] == {"level": level}
    if level != "None":
        secrets = next(
            r
            for r in policy["rules"]
            if any("secrets" in g.get("resources", []) for g in r.get("resources", []))
        )
        assert secrets["level"] == "Metadata"  # never a Secret's value in the log


def test_validate_checks_the_audit_policy_against_its_schema() -> None:
    bad = (
        "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n"
        "  - level: Everything\n    verb: [get]\n"
    )
    [document] = load_yaml_documents(bad, "policy.yaml")
    checked, findings = check_object(document, "1.35")
    assert checked
    messages = " ".join(f.message for f in findings)
    assert "level" in messages and "verb" in messages
    assert {f.location.line for f in findings} <= {4, 5}


def test_alloy_ships_the_rke2_audit_log_with_its_job_label(enterprise: Rendered) -> None:
    [server] = enterprise.documents("nodes/prod/rke2/config.yaml")
    values = enterprise.values("prod", "alloy")
    pipeline = values["alloy"]["configMap"]["content"]
    match = re.search(r'"__path__" = "([^"]+)"', pipeline)
    assert match is not None
    path = match.group(1)
    assert path == "/var/lib/rancher/rke2/server/logs/audit.log"
    assert "audit-log-path" not in flag_map(server["kube-apiserver-arg"])  # RKE2's default
    assert '"job"      = "kube-apiserver-audit"' in pipeline
    assert (
        "forward_to = [loki.write.platform.receiver]" in pipeline.split("kube_apiserver_audit")[-1]
    )
    assert pipeline.startswith('discovery.kubernetes "pods"')  # the pod pipeline stays
    [mount] = values["alloy"]["mounts"]["extra"]
    [volume] = values["controller"]["volumes"]["extra"]
    assert path.startswith(mount["mountPath"] + "/") and mount["readOnly"]
    assert volume["hostPath"]["path"] == mount["mountPath"] and volume["name"] == mount["name"]
    assert {"operator": "Exists"} in values["controller"]["tolerations"]


def test_promtail_ships_the_kubeadm_audit_log(local: Rendered) -> None:
    _, cluster_config, _ = local.documents("nodes/app1/kubeadm/init-config.yaml")
    log = kv(cluster_config["apiServer"]["extraArgs"])["audit-log-path"]
    values = local.values("app1", "promtail")
    [job] = yaml.safe_load(values["config"]["snippets"]["extraScrapeConfigs"])
    labels = job["static_configs"][0]["labels"]
    assert labels == {"job": "kube-apiserver-audit", "__path__": log}
    assert log.startswith("/var/log/")  # inside the chart's own /var/log mount


def test_the_audit_dashboard_queries_the_shipped_stream(enterprise: Rendered) -> None:
    [(path, configmap)] = [
        (p, d) for p, d in enterprise.objects() if d["metadata"]["name"] == "dashboard-api-audit"
    ]
    assert path.endswith("/audit-dashboard.yaml")
    board = yaml.safe_load(configmap["data"]["api-audit.json"])
    titles = [p["title"] for p in board["panels"]]
    assert "Who changed what" in titles and "Secrets access" in titles
    assert any("Failed logins" in t for t in titles)
    exprs = [p["targets"][0]["expr"] for p in board["panels"]]
    assert sum('job="kube-apiserver-audit"' in e for e in exprs) == 5
    assert any('responseStatus_code="401"' in e for e in exprs)
    assert any('responseStatus_code="403"' in e for e in exprs)
    # Keycloak runs in this example: its login errors have a panel of their own.
    assert any("LOGIN_ERROR" in e for e in exprs)
    grafana = enterprise.plan.cluster("prod").get("grafana")
    assert grafana is not None and configmap["metadata"]["namespace"] == grafana.component.namespace


def test_the_shipped_examples_carry_their_hardening(rendered: dict[str, Rendered]) -> None:
    [enterprise] = rendered["aws-enterprise"].documents("nodes/prod/rke2/config.yaml")
    assert enterprise["profile"] == "cis" and enterprise["secrets-encryption"] is False
    [standard] = rendered["aws-standard"].documents("nodes/prod/rke2/config.yaml")
    assert "profile" not in standard and standard["secrets-encryption"] is True
    for name in ("aws-enterprise", "aws-standard"):
        assert "nodes/prod/rke2/audit-policy.yaml" in rendered[name].files


def test_no_hardening_renders_no_hardening_file() -> None:
    tree = render_text(spec("aws-enterprise"))
    assert not any("audit" in p or "cis-host" in p or "pss" in p for p in tree.files)


# --- the KMS v2 plugin as a static Pod ------------------------------------------------------


def _plugin_command(pod: dict[str, Any]) -> dict[str, str]:
    [container] = pod["spec"]["containers"]
    flags = [a.lstrip("-") for a in container["command"][1:]]
    return dict(f.split("=", 1) if "=" in f else (f, "") for f in flags)


def _host_paths(pod: dict[str, Any]) -> dict[str, str]:
    return {v["name"]: v["hostPath"]["path"] for v in pod["spec"]["volumes"]}


@pytest.mark.parametrize(
    ("snippet", "socket_flag"), [(KMS, "socket"), (AWS_KMS, "listen")], ids=["vault", "aws"]
)
def test_rke2_runs_the_kms_plugin_where_the_kubelet_reads_static_pods(
    snippet: str, socket_flag: str
) -> None:
    tree = render_text(spec("aws-enterprise", snippet))
    path = "nodes/prod/rke2/agent/pod-manifests/kms-plugin.yaml"
    [pod] = tree.documents(path)
    assert "/var/lib/rancher/rke2/agent/pod-manifests/" in tree.files[path]
    row = (
        "| `rke2/agent/pod-manifests/kms-plugin.yaml` | `"
        + "/var/lib/rancher/rke2/agent/pod-manifests/`"
    )
    assert row in tree.files["nodes/prod/README.md"]
    # The plugin listens on exactly the socket the API server is told to call, in a host
    # folder that is mounted into the API server's pod too.
    [config] = tree.documents("nodes/prod/rke2/encryption-config.yaml")
    endpoint = config["resources"][0]["providers"][0]["kms"]["endpoint"]
    listen = _plugin_command(pod)[socket_flag]
    assert endpoint.removeprefix("unix://") == listen.removeprefix("unix://")
    socket_dir = listen.removeprefix("unix://").rsplit("/", 1)[0]
    [container] = pod["spec"]["containers"]
    mounted = {m["mountPath"] for m in container["volumeMounts"]}
    assert socket_dir in set(_host_paths(pod).values()) and socket_dir in mounted
    [server] = tree.documents("nodes/prod/rke2/config.yaml")
    assert f"{socket_dir}:{socket_dir}" in server["kube-apiserver-extra-mount"]
    spec_ = pod["spec"]
    assert spec_["priorityClassName"] == "system-node-critical" and spec_["hostNetwork"] is True
    assert pod["metadata"]["namespace"] == "kube-system"
    assert (
        container["resources"]["requests"]["cpu"] and container["resources"]["requests"]["memory"]
    )
    assert "livenessProbe" in container and "readinessProbe" in container
    image = container["image"]
    assert re.search(r":v\d+\.\d+\.\d+$", image), image  # pinned by version, never latest


def test_the_kms_plugin_pod_passes_the_kubernetes_schema_and_a_planted_fault_fails() -> None:
    tree = render_text(spec("aws-enterprise", AWS_KMS))
    text = tree.files["nodes/prod/rke2/agent/pod-manifests/kms-plugin.yaml"]
    [document] = load_yaml_documents(text, "kms-plugin.yaml")
    assert check_object(document, "1.35") == (True, [])
    broken = text.replace("priorityClassName:", "priorityClass:")
    [document] = load_yaml_documents(broken, "kms-plugin.yaml")
    checked, findings = check_object(document, "1.35")
    assert checked and findings
    line = broken.splitlines().index("  priorityClass: system-node-critical") + 1
    assert any(f.location.line == line and "priorityClass" in f.message for f in findings)


def test_the_aws_plugin_uses_the_spec_key_and_the_cluster_region() -> None:
    tree = render_text(spec("aws-enterprise", AWS_KMS))
    [pod] = tree.documents("nodes/prod/rke2/agent/pod-manifests/kms-plugin.yaml")
    flags = _plugin_command(pod)
    assert flags["key"] == "alias/k8s"
    assert flags["region"] == "ap-northeast-2"  # the example's aws.region
    assert flags["health-kms-version"] == "v2"
    readme = tree.files["nodes/prod/README.md"]
    assert "aws kms enable-key-rotation" in readme and "kms:Decrypt" in readme


def test_the_vault_plugin_authenticates_with_files_on_the_node_never_a_token() -> None:
    tree = render_text(spec("aws-enterprise", KMS))
    [pod] = tree.documents("nodes/prod/rke2/agent/pod-manifests/kms-plugin.yaml")
    flags = _plugin_command(pod)
    assert flags["auth-method"] == "cert"
    assert flags["transit-key"] == "kubernetes-secrets"
    assert flags["vault-address"] == f"https://vault.{tree.plan.spec.platform.domain}"
    assert "disable-v1" in flags
    assert not any(k in flags for k in ("token", "approle-secret-id", "userpass-password"))
    [container] = pod["spec"]["containers"]
    assert "env" not in container
    credentials = {flags[k].rsplit("/", 1)[0] for k in ("cert-file", "cert-key", "vault-ca-cert")}
    [folder] = credentials
    read_only = {m["mountPath"] for m in container["volumeMounts"] if m["readOnly"]}
    assert folder in read_only and folder in _host_paths(pod).values()
    readme = tree.files["nodes/prod/README.md"]
    assert "vault auth enable cert" in readme
    assert "auto_rotate_period=2160h" in readme  # 90d, in hours Vault reads


def test_kubeadm_writes_the_kms_plugin_into_the_manifests_folder_before_kubeadm() -> None:
    tree = render_text(spec("local-multicluster", KMS))
    control_plane = cloud_init(tree, "app1", "app1-cp")
    files = written(control_plane)
    [pod] = docs(files["/etc/kubernetes/manifests/kms-plugin.yaml"])
    assert pod == tree.documents("nodes/app1/kubeadm/manifests/kms-plugin.yaml")[0]
    init, cluster_config, *_ = tree.documents("nodes/app1/kubeadm/init-config.yaml")
    # kubeadm refuses a non-empty manifests folder unless told otherwise.
    assert init["nodeRegistration"]["ignorePreflightErrors"] == [
        "DirAvailable--etc-kubernetes-manifests"
    ]
    mounted = {v["hostPath"] for v in cluster_config["apiServer"]["extraVolumes"]}
    assert set(_host_paths(pod).values()) & mounted == {"/var/run/kmsplugin"}
    # The credentials are placeholders the provisioning script fills in, base64.
    entries = {f["path"]: f for f in control_plane["write_files"]}
    cert = entries[_plugin_command(pod)["cert-file"]]
    assert (cert["encoding"], cert["content"]) == ("b64", "${VAULT_KMS_CLIENT_CERT}")
    assert "${VAULT_KMS_CLIENT_KEY}" in tree.files["nodes/app1/README.md"].split("envsubst")[1]
    worker = written(cloud_init(tree, "app1", "app1-worker-0"))
    assert "/etc/kubernetes/manifests/kms-plugin.yaml" not in worker
    [join] = tree.documents("nodes/app1/kubeadm/join-config.yaml")
    assert "ignorePreflightErrors" not in join["nodeRegistration"]


def test_builtin_encryption_renders_no_plugin(local: Rendered, enterprise: Rendered) -> None:
    assert not any("kms-plugin" in p for p in [*local.files, *enterprise.files])
    init, *_ = local.documents("nodes/mgmt/kubeadm/init-config.yaml")
    assert "ignorePreflightErrors" not in init["nodeRegistration"]


def test_the_vault_plugin_calls_the_external_vault_the_spec_names() -> None:
    snippet = KMS.replace(
        "keyRotation: 90d", "keyRotation: 90d, vaultAddress: 'https://vault.corp.example:8200/'"
    )
    for example, path in (
        ("aws-enterprise", "nodes/prod/rke2/agent/pod-manifests/kms-plugin.yaml"),
        ("local-multicluster", "nodes/mgmt/kubeadm/manifests/kms-plugin.yaml"),
    ):
        tree = render_text(spec(example, snippet))
        [pod] = tree.documents(path)
        assert _plugin_command(pod)["vault-address"] == "https://vault.corp.example:8200"
        cluster = path.split("/")[1]
        assert "https://vault.corp.example:8200." in " ".join(
            tree.files[f"nodes/{cluster}/README.md"].split()
        )


# --- key rotation, as each cluster's README says it ----------------------------------------


def rotation(tree: Rendered, cluster: str) -> str:
    """The README's key rotation section of ``cluster``."""
    readme = tree.files[f"nodes/{cluster}/README.md"]
    return readme.split("### Rotating the encryption key", 1)[1].split("\n## ", 1)[0]


def test_rke2_rotates_its_own_key_with_rotate_keys_then_restarts_the_servers() -> None:
    tree = render_text(spec("aws-standard", HARDENED))
    text = rotation(tree, "prod")
    assert "rke2 etcd-snapshot save" in text
    assert "rke2 secrets-encrypt rotate-keys" in text
    assert "reencrypt_finished" in text
    assert "secrets-encrypt prepare" not in text and "kubectl replace" not in text
    several = tree.plan.cluster("prod").cluster.control_plane_nodes > 1
    assert ("systemctl restart rke2-server" in text) is several


@pytest.mark.parametrize("version", ["1.29", "1.30.1"])
def test_older_rke2_rotates_in_the_classic_three_steps(version: str) -> None:
    text = spec("aws-standard", HARDENED).replace('version: "1.35"', f'version: "{version}"', 1)
    section = rotation(render_text(text), "prod")
    steps = [
        section.index(f"rke2 secrets-encrypt {step}\n")
        for step in ("prepare", "rotate", "reencrypt")
    ]
    assert steps == sorted(steps)
    assert "systemctl restart rke2-server" in section.split("prepare", 1)[1]
    assert "rke2 secrets-encrypt rotate-keys\n" not in section


def test_rke2_from_1_30_2_uses_rotate_keys() -> None:
    text = spec("aws-standard", HARDENED).replace('version: "1.35"', 'version: "1.30.2"', 1)
    assert "rke2 secrets-encrypt rotate-keys\n" in rotation(render_text(text), "prod")


def test_kubeadm_rotates_a_local_key_add_promote_rewrite_remove(local: Rendered) -> None:
    text = rotation(local, "mgmt")
    order = [
        text.index(needle)
        for needle in (
            "NEW_KEY=$(head -c 32 /dev/urandom | base64)",
            "crictl stop $(crictl ps --name kube-apiserver -q)",
            "Move the new key first",
            "kubectl get secrets -A -o json | kubectl replace -f -",
            "Remove the old key",
        )
    ]
    assert order == sorted(order)
    assert "/etc/kubernetes/encryption/config.yaml" in text
    assert "rke2" not in text


@pytest.mark.parametrize(
    ("example", "cluster"), [("aws-standard", "prod"), ("local-multicluster", "app1")]
)
def test_vault_kms_rotation_is_the_transit_keys_own(example: str, cluster: str) -> None:
    text = rotation(render_text(spec(example, KMS)), cluster)
    assert "vault write transit/keys/kubernetes-secrets/config auto_rotate_period=2160h" in text
    assert "vault write -f transit/keys/kubernetes-secrets/rotate" in text
    assert "secrets-encrypt" not in text and "NEW_KEY" not in text


def test_aws_kms_rotation_resolves_an_alias_and_uses_the_spec_period() -> None:
    text = rotation(render_text(spec("aws-enterprise", AWS_KMS)), "prod")
    assert "aws kms describe-key --key-id alias/k8s --query KeyMetadata.KeyId" in text
    assert "aws kms enable-key-rotation --key-id $KEY_ID --rotation-period-in-days 365" in text
    arn = "arn:aws:kms:ap-northeast-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    by_arn = render_text(spec("aws-enterprise", AWS_KMS.replace("alias/k8s", arn)))
    text = rotation(by_arn, "prod")
    assert "describe-key" not in text
    assert f"aws kms enable-key-rotation --key-id {arn} --rotation-period-in-days 365" in text


def test_the_rotation_procedure_is_there_without_a_schedule_too() -> None:
    text = rotation(render_text(spec("aws-standard", "hardening: {}\n")), "prod")
    assert "No `keyRotation` is set" in text
    assert "rke2 secrets-encrypt rotate-keys" in text


def test_a_single_rke2_server_needs_no_restart_after_rotate_keys() -> None:
    text = spec("community-poc", "hardening: {audit: {level: None}}\n")
    one = text.replace("role: control-plane, count: 3", "role: control-plane, count: 1", 1)
    tree = render_text(
        one.replace("nodeRange: 10.20.0.11-10.20.0.13", "nodeRange: 10.20.0.11-10.20.0.11", 1)
    )
    assert tree.plan.cluster("poc").cluster.control_plane_nodes == 1
    text = rotation(tree, "poc")
    assert "rke2 secrets-encrypt rotate-keys" in text
    assert "systemctl restart rke2-server" not in text

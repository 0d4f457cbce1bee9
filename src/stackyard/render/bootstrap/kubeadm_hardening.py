"""kubeadm settings and node steps for the spec's ``hardening`` (see ``hardening.py``).

kubeadm has no CIS profile, so this writes what RKE2's profile would, where a
configuration file can say it (the CIS Kubernetes Benchmark v1.10 control in brackets;
``docs/hardening.md`` has the full table):

- API server: the audit policy and log with rotation [1.2.16-1.2.19],
  ``encryption-provider-config`` [1.2.27]; the files reach its static pod through
  ``extraVolumes``. Always, not only under CIS: audit and encryption come from their own
  sections of ``hardening``.
- Under CIS, on the API server: ``profiling=false`` [1.2.15], strong TLS ciphers
  [1.2.29], the admission plugins ``NodeRestriction`` and
  ``DenyServiceExternalIPs`` [1.2.14, 1.2.3] and projected service-account tokens that
  expire when they say [1.2.30, CIS 1.11]; controller-manager and scheduler
  ``profiling=false`` [1.3.2, 1.4.1] and ``bind-address=127.0.0.1`` [1.3.7, 1.4.2];
  ``terminated-pod-gc-threshold`` [1.3.1]; etcd ``auto-tls`` and ``peer-auto-tls`` off
  [2.3, 2.6]; the ``KubeletConfiguration`` kubeadm hands every node [4.2.x]; kernel
  parameters for ``protectKernelDefaults``; after ``kubeadm init``/``join``, file
  permissions kubeadm leaves wider than the Benchmark asks or does not promise [1.1.20,
  4.1.1, 4.1.5, 4.1.7, 4.1.9].

Left as kubeadm sets them, on purpose: ``anonymous-auth`` [1.2.1, Manual] stays on,
because ``kubeadm join`` discovers the cluster through an anonymous read of
``kube-public/cluster-info`` and probes use ``/livez``; ``serverTLSBootstrap`` [4.2.11,
Manual] stays off, because kubelet serving certificates then wait for a CSR approver
that the platform does not run, and ``kubectl logs`` and metrics stop until one is
approved; ``AlwaysPullImages`` [1.2.11, Manual] stays off, because air-gapped nodes
rely on their image cache; etcd data ownership ``etcd:etcd`` [1.1.12] needs etcd to run
as that user, which kubeadm's static pod does not; ``kubelet-certificate-authority``
[1.2.5] needs kubelet serving certificates signed by the cluster CA, which is
``serverTLSBootstrap`` again; the ``EventRateLimit`` admission plugin [1.2.9, Manual] has
only an alpha configuration API; ``seccompDefault`` [4.2.14, CIS 1.11, Manual] changes the
syscall filter of every Pod that names none, host agents with capabilities included
(restricted Pods already name ``RuntimeDefault``). RKE2's profile leaves the last three
to the operator too.
"""

from __future__ import annotations

from typing import Any

from stackyard.plan import ClusterPlan
from stackyard.render.auditlog import KUBEADM_AUDIT_LOG
from stackyard.render.bootstrap.base import NodeFile, header, yaml_file
from stackyard.render.bootstrap.hardening import (
    CIS_APISERVER_ARGS,
    KMS_SOCKET_DIR,
    KUBEADM_CA,
    TLS_CIPHER_SUITES,
    audit_log_args,
    audit_policy,
    encryption_configuration,
    hardening,
    kubelet_configuration,
    sysctl_text,
)
from stackyard.render.bootstrap.key_rotation import key_rotation_readme
from stackyard.render.bootstrap.kms_plugin import (
    kms_plugin_files,
    kms_plugin_pod,
    kms_plugin_readme,
    vault_credential_files,
    vault_credential_placeholders,
)
from stackyard.render.context import RenderContext
from stackyard.render.yamlout import dump_documents

CIS_SYSCTL_FILE = "/etc/sysctl.d/60-kubelet-cis.conf"
AUDIT_DIR = "/etc/kubernetes/audit"
AUDIT_POLICY = f"{AUDIT_DIR}/policy.yaml"
AUDIT_LOG = KUBEADM_AUDIT_LOG
AUDIT_LOG_DIR = AUDIT_LOG.rsplit("/", 1)[0]
ENCRYPTION_DIR = "/etc/kubernetes/encryption"
ENCRYPTION_CONFIG = f"{ENCRYPTION_DIR}/config.yaml"
# After kubeadm, files it leaves wider than the Benchmark asks, or whose mode it does not
# promise; on every node, the kubelet's systemd unit and drop-ins [4.1.1] wherever the
# package put them (systemd names them), its kubeconfig [4.1.5], the client CA file its
# configuration names [4.1.7] and that configuration [4.1.9]. On control-plane nodes also
# every PKI certificate [1.1.20], the CA among them.
KUBELET_UNIT_FILES = (
    "chmod 600 $(systemctl show -P FragmentPath kubelet) $(systemctl show -P DropInPaths kubelet)"
)
WORKER_PERMISSIONS = (
    KUBELET_UNIT_FILES,
    "chmod 600 /etc/kubernetes/kubelet.conf",
    f"chmod 600 {KUBEADM_CA}",
    "chmod 600 /var/lib/kubelet/config.yaml",
)
CIS_PERMISSIONS = (
    "chmod 600 /etc/kubernetes/pki/*.crt /etc/kubernetes/pki/etcd/*.crt",
    *WORKER_PERMISSIONS,
)
# kube-controller-manager [1.3.1]: garbage-collect terminated Pods beyond this many, RKE2's
# value; the upstream default of 12500 lets finished Pods pile up in etcd.
TERMINATED_POD_GC_THRESHOLD = 1000
STATIC_PODS = "/etc/kubernetes/manifests"
KMS_PLUGIN = f"{STATIC_PODS}/kms-plugin.yaml"
KMS_PLUGIN_FILE = "kubeadm/manifests/kms-plugin.yaml"
# kubeadm init and join refuse a non-empty manifests folder; the KMS plugin must be there
# first, because the API server kubeadm starts cannot serve Secrets without it.
MANIFESTS_PREFLIGHT = "DirAvailable--etc-kubernetes-manifests"


def _volume(name: str, host: str, read_only: bool, path_type: str) -> dict[str, Any]:
    return {
        "name": name,
        "hostPath": host,
        "mountPath": host,
        "readOnly": read_only,
        "pathType": path_type,
    }


def apiserver_hardening(
    context: RenderContext,
) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """Extra kube-apiserver flags and volumes; none without ``hardening``."""
    spec = hardening(context)
    if spec is None:
        return [], []
    args = [
        ("audit-policy-file", AUDIT_POLICY),
        *audit_log_args(spec.audit, AUDIT_LOG),
        ("encryption-provider-config", ENCRYPTION_CONFIG),
        ("encryption-provider-config-automatic-reload", "true"),
    ]
    volumes = [
        _volume("audit-policy", AUDIT_DIR, True, "DirectoryOrCreate"),
        _volume("audit-log", AUDIT_LOG_DIR, False, "DirectoryOrCreate"),
        _volume("encryption-config", ENCRYPTION_DIR, True, "DirectoryOrCreate"),
    ]
    if spec.encryptionAtRest.provider != "builtin":
        volumes.append(_volume("kms-plugin", KMS_SOCKET_DIR, False, "DirectoryOrCreate"))
    if context.platform.cis:
        args += [
            ("profiling", "false"),  # 1.2.15
            ("tls-cipher-suites", ",".join(TLS_CIPHER_SUITES)),  # 1.2.29
            *CIS_APISERVER_ARGS,  # 1.2.3 + 1.2.14, 1.2.30
        ]
    return args, volumes


def scheduler_args(context: RenderContext) -> list[tuple[str, str]]:
    """kube-scheduler flags under CIS [1.4.1, 1.4.2]."""
    if not context.platform.cis:
        return []
    return [("profiling", "false"), ("bind-address", "127.0.0.1")]


def controller_manager_args(context: RenderContext) -> list[tuple[str, str]]:
    """kube-controller-manager flags under CIS [1.3.2, 1.3.7, 1.3.1]."""
    if not context.platform.cis:
        return []
    threshold = ("terminated-pod-gc-threshold", str(TERMINATED_POD_GC_THRESHOLD))
    return [*scheduler_args(context), threshold]


def etcd_args(context: RenderContext) -> list[tuple[str, str]]:
    """Etcd flags under CIS: no self-signed certificates for clients or peers [2.3, 2.6].

    Both are etcd's default and kubeadm passes its own certificates; stated, so that a
    later change of either default cannot turn them on unseen.
    """
    if not context.platform.cis:
        return []
    return [("auto-tls", "false"), ("peer-auto-tls", "false")]


def kubelet_documents(context: RenderContext) -> list[dict[str, Any]]:
    """The ``KubeletConfiguration`` to add to ``kubeadm init`` under CIS."""
    return [kubelet_configuration()] if context.platform.cis else []


def preflight_ignores(context: RenderContext, cluster: ClusterPlan) -> list[str]:
    """Preflight errors a control-plane node's kubeadm must ignore (the KMS plugin's Pod)."""
    return [MANIFESTS_PREFLIGHT] if kms_plugin_pod(context, cluster) is not None else []


def node_files(
    context: RenderContext, cluster: ClusterPlan, control_plane: bool
) -> list[dict[str, Any]]:
    """cloud-init ``write_files`` entries a node needs for ``hardening``."""
    spec = hardening(context)
    if spec is None:
        return []
    files: list[dict[str, Any]] = []
    if context.platform.cis:
        files.append({"path": CIS_SYSCTL_FILE, "content": sysctl_text()})
    if control_plane:
        files += [
            {
                "path": AUDIT_POLICY,
                "permissions": "0600",
                "content": dump_documents([audit_policy(spec.audit)]),
            },
            {
                "path": ENCRYPTION_CONFIG,
                "permissions": "0600",
                "content": dump_documents([encryption_configuration(spec.encryptionAtRest)]),
            },
        ]
        plugin = kms_plugin_pod(context, cluster)
        if plugin is not None:
            files.append(
                {"path": KMS_PLUGIN, "permissions": "0600", "content": dump_documents([plugin])}
            )
            files += vault_credential_files(context)
    return files


def after_kubeadm(context: RenderContext, control_plane: bool) -> list[str]:
    """cloud-init ``runcmd`` lines after ``kubeadm init``/``join`` under CIS."""
    if not context.platform.cis:
        return []
    return list(CIS_PERMISSIONS if control_plane else WORKER_PERMISSIONS)


def kubeadm_hardening_files(context: RenderContext, cluster: ClusterPlan) -> list[NodeFile]:
    """The audit policy and encryption configuration as files of their own."""
    spec = hardening(context)
    if spec is None:
        return []
    files = [
        yaml_file(
            "kubeadm/audit-policy.yaml",
            [audit_policy(spec.audit)],
            header(cluster, f"Install as {AUDIT_POLICY} on every control-plane node."),
        ),
        yaml_file(
            "kubeadm/encryption-config.yaml",
            [encryption_configuration(spec.encryptionAtRest)],
            header(
                cluster,
                f"Install as {ENCRYPTION_CONFIG} (mode 0600) on every control-plane node."
                + (" ${ENCRYPTION_KEY}: see README.md." if uses_encryption_key(context) else ""),
            ),
        ),
    ]
    install = f"install as {KMS_PLUGIN} (mode 0600) on every control-plane node, before kubeadm"
    return files + kms_plugin_files(context, cluster, KMS_PLUGIN_FILE, install + " init or join.")


def secret_placeholders(context: RenderContext) -> list[str]:
    """Placeholders of ``hardening`` secrets in the node files, besides the join credentials."""
    names = ["ENCRYPTION_KEY"] if uses_encryption_key(context) else []
    return names + vault_credential_placeholders(context)


def uses_encryption_key(context: RenderContext) -> bool:
    """Whether the files carry the ``${ENCRYPTION_KEY}`` placeholder (builtin on kubeadm)."""
    spec = hardening(context)
    return spec is not None and spec.encryptionAtRest.provider == "builtin"


def kubeadm_hardening_readme(context: RenderContext, cluster: ClusterPlan) -> list[str]:
    """README lines: where the files go, the key, rotation."""
    spec = hardening(context)
    if spec is None:
        return []
    local = context.platform.provider == "local"
    encryption = spec.encryptionAtRest
    lines = [
        "",
        "## Hardening",
        "",
        f"- Audit: the policy is `{AUDIT_POLICY}` and the log `{AUDIT_LOG}` on every",
        "  control-plane node; the log agent ships it to Loki (`job=kube-apiserver-audit`).",
        f"- Encryption at rest: `{ENCRYPTION_CONFIG}` on every control-plane node.",
    ]
    if not local:
        lines.append(
            "  Install `kubeadm/audit-policy.yaml` and `kubeadm/encryption-config.yaml` there"
            " (mode 0600) before `kubeadm init` or `join`."
        )
    if encryption.provider == "builtin":
        lines += [
            "  Its `secretbox` key is `${ENCRYPTION_KEY}`: generate it once per cluster with",
            "  `ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64)`, keep it in your secret store",
            "  and substitute it with the other placeholders.",
        ]
    else:
        lines += kms_plugin_readme(context, KMS_PLUGIN_FILE)
        if local and vault_credential_placeholders(context):
            lines.append(
                "  The user-data writes those three files from `"
                + "`, `".join("${" + n + "}" for n in vault_credential_placeholders(context))
                + "`: each the base64 of its file (`base64 -w0 client.crt`)."
            )
        if not local:
            lines.append(
                f"  Install it as `{KMS_PLUGIN}`; kubeadm is told to accept the non-empty folder"
                f" (`{MANIFESTS_PREFLIGHT}`)."
            )
    if context.platform.cis:
        lines += [
            f"- CIS: kernel parameters in `{CIS_SYSCTL_FILE}` on every node (the kubelet's",
            "  `protectKernelDefaults`), then, after kubeadm, `"
            + "`, `".join(CIS_PERMISSIONS)
            + "`.",
        ]
    return lines + key_rotation_readme(context, cluster, ENCRYPTION_CONFIG)

"""kubeadm settings and node steps for the spec's ``hardening`` (see ``hardening.py``).

kubeadm has no CIS profile, so this writes what RKE2's profile would, where a
configuration file can say it (the CIS Kubernetes Benchmark v1.10 control in brackets;
``docs/hardening.md`` has the full table):

- API server: ``profiling=false`` [1.2.15], the audit policy and log with rotation
  [1.2.16-1.2.19], ``encryption-provider-config`` [1.2.27], strong TLS ciphers [1.2.29];
  the files reach its static pod through ``extraVolumes``. Always, not only under CIS:
  audit and encryption come from their own sections of ``hardening``.
- Under CIS: controller-manager and scheduler ``profiling=false`` [1.3.2, 1.4.1] and
  ``bind-address=127.0.0.1`` [1.3.7, 1.4.2]; the ``KubeletConfiguration`` kubeadm
  hands every node [4.2.x]; kernel parameters for ``protectKernelDefaults``; after
  ``kubeadm init``/``join``, file permissions kubeadm leaves wider than the Benchmark
  asks [1.1.20, 4.1.9].

Left as kubeadm sets them, on purpose: ``anonymous-auth`` [1.2.1, Manual] stays on,
because ``kubeadm join`` discovers the cluster through an anonymous read of
``kube-public/cluster-info`` and probes use ``/livez``; ``serverTLSBootstrap`` [4.2.11,
Manual] stays off, because kubelet serving certificates then wait for a CSR approver
that the platform does not run, and ``kubectl logs`` and metrics stop until one is
approved; ``AlwaysPullImages`` [1.2.11, Manual] stays off, because air-gapped nodes
rely on their image cache; etcd data ownership ``etcd:etcd`` [1.1.12] needs etcd to run
as that user, which kubeadm's static pod does not.
"""

from __future__ import annotations

from typing import Any

from stackyard.plan import ClusterPlan
from stackyard.render.auditlog import KUBEADM_AUDIT_LOG
from stackyard.render.bootstrap.base import NodeFile, header, yaml_file
from stackyard.render.bootstrap.hardening import (
    KMS_SOCKET_DIR,
    TLS_CIPHER_SUITES,
    audit_log_args,
    audit_policy,
    encryption_configuration,
    hardening,
    kubelet_configuration,
    sysctl_text,
)
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
# Files kubeadm writes 0644 that the Benchmark wants 0600 [1.1.20, 4.1.9].
CIS_PERMISSIONS = (
    "chmod 600 /etc/kubernetes/pki/*.crt /etc/kubernetes/pki/etcd/*.crt",
    "chmod 600 /var/lib/kubelet/config.yaml",
)
WORKER_PERMISSIONS = ("chmod 600 /var/lib/kubelet/config.yaml",)
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
        args += [("profiling", "false"), ("tls-cipher-suites", ",".join(TLS_CIPHER_SUITES))]
    return args, volumes


def control_plane_args(context: RenderContext) -> list[tuple[str, str]]:
    """Flags the controller-manager and the scheduler share under CIS."""
    if not context.platform.cis:
        return []
    return [("profiling", "false"), ("bind-address", "127.0.0.1")]


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


def kubeadm_hardening_readme(context: RenderContext) -> list[str]:
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
        if encryption.keyRotation is not None:
            lines += [
                f"  Every {encryption.keyRotation}: add a new key second in the file on every",
                "  control-plane node, then move it first (the API servers reload the file),",
                "  rewrite all Secrets",
                "  (`kubectl get secrets -A -o json | kubectl replace -f -`) and remove the old",
                '  key: Kubernetes\' "rotating a decryption key"',
                "  (https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/).",
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
    return lines

"""RKE2 server options and node files for the spec's ``hardening`` (see ``hardening.py``).

RKE2 options (https://docs.rke2.io/reference/server_config):

- ``profile: cis``: RKE2 checks that the ``etcd`` user exists and that the kernel
  parameters match what the kubelet's ``protect-kernel-defaults`` (which the profile
  turns on) insists on, runs etcd as that user, and enforces the restricted Pod Security
  Standard by default (https://docs.rke2.io/security/hardening_guide).
  ``rke2/cis-host.sh`` prepares each host before RKE2 first starts: the user, and
  ``/etc/sysctl.d/60-rke2-cis.conf``. ``pod-security-admission-config-file`` points
  at Stackyard's own configuration: RKE2's restricted defaults plus exemptions for the
  namespaces of the platform's privileged components (``SY953`` lists them).
- ``audit-policy-file``: the rendered policy. RKE2 already writes the log to
  ``/var/lib/rancher/rke2/server/logs/audit.log``; ``kube-apiserver-arg`` sets its
  rotation from the spec.
- ``builtin`` encryption: ``secrets-encryption: true`` (RKE2 generates the AES-CBC key
  on the first server and shares it through its datastore; rotation in
  ``key_rotation.py``, https://docs.rke2.io/security/secrets_encryption). KMS: RKE2's
  own encryption is off and the API server reads the rendered
  ``EncryptionConfiguration`` instead, with the KMS plugin's socket folder mounted into
  its static pod.
"""

from __future__ import annotations

from typing import Any

from stackyard.plan import ClusterPlan
from stackyard.render.auditlog import RKE2_AUDIT_LOG
from stackyard.render.bootstrap.base import NodeFile, header, yaml_file
from stackyard.render.bootstrap.hardening import (
    CIS_APISERVER_ARGS,
    CIS_SYSCTL_FILE,
    ETCD_USER,
    KMS_SOCKET_DIR,
    POD_PIDS_LIMIT,
    TLS_CIPHER_SUITES,
    audit_log_args,
    audit_policy,
    encryption_configuration,
    hardening,
    pod_security_configuration,
    sysctl_text,
)
from stackyard.render.bootstrap.key_rotation import key_rotation_readme
from stackyard.render.bootstrap.kms_plugin import (
    kms_plugin_files,
    kms_plugin_pod,
    kms_plugin_readme,
)
from stackyard.render.context import RenderContext

CONFIG_DIR = "/etc/rancher/rke2"
AUDIT_POLICY = f"{CONFIG_DIR}/audit-policy.yaml"
AUDIT_LOG = RKE2_AUDIT_LOG
ENCRYPTION_CONFIG = f"{CONFIG_DIR}/encryption-config.yaml"
POD_SECURITY_CONFIG = f"{CONFIG_DIR}/stackyard-pss.yaml"
STATIC_PODS = "/var/lib/rancher/rke2/agent/pod-manifests"
KMS_PLUGIN_FILE = "rke2/agent/pod-manifests/kms-plugin.yaml"


def rke2_hardening_options(context: RenderContext) -> tuple[dict[str, Any], list[str]]:
    """Server options and extra ``kube-apiserver-arg`` entries; none without hardening."""
    spec = hardening(context)
    if spec is None:
        return {}, []
    options: dict[str, Any] = {}
    args = [f"{name}={value}" for name, value in audit_log_args(spec.audit, None)]
    if context.platform.cis:
        options["profile"] = "cis"
        options["pod-security-admission-config-file"] = POD_SECURITY_CONFIG
        options["kubelet-arg"] = cis_kubelet_args()
        args += [f"{name}={value}" for name, value in CIS_APISERVER_ARGS]
    options["audit-policy-file"] = AUDIT_POLICY
    if spec.encryptionAtRest.provider == "builtin":
        options["secrets-encryption"] = True
    else:
        options["secrets-encryption"] = False
        args += [
            f"encryption-provider-config={ENCRYPTION_CONFIG}",
            "encryption-provider-config-automatic-reload=true",
        ]
        options["kube-apiserver-extra-mount"] = [
            f"{ENCRYPTION_CONFIG}:{ENCRYPTION_CONFIG}:ro",
            f"{KMS_SOCKET_DIR}:{KMS_SOCKET_DIR}",
        ]
    return options, args


def cis_kubelet_args() -> list[str]:
    """Kubelet flags RKE2's CIS profile leaves to the operator, servers and agents alike.

    Strong TLS ciphers [4.2.12] and a Pod PID limit [4.2.13], the values kubeadm's
    ``KubeletConfiguration`` gets, so both distributions run the same kubelet.
    """
    return [f"tls-cipher-suites={','.join(TLS_CIPHER_SUITES)}", f"pod-max-pids={POD_PIDS_LIMIT}"]


CIS_HOST_SCRIPT = """\
#!/bin/sh
# {header}
#
# Run as root on every node before RKE2 first starts (profile: cis). RKE2 refuses to
# start until the etcd user exists and the kernel parameters are set.
set -eu
getent passwd {user} >/dev/null || useradd -r -c "etcd user" -s /sbin/nologin -M -U {user}
cat > {sysctl} <<'EOF'
{sysctls}EOF
systemctl restart systemd-sysctl
"""


def rke2_hardening_files(context: RenderContext, cluster: ClusterPlan) -> list[NodeFile]:
    """The audit policy, KMS encryption config, Pod Security config and CIS host script."""
    spec = hardening(context)
    if spec is None:
        return []
    files = [
        yaml_file(
            "rke2/audit-policy.yaml",
            [audit_policy(spec.audit)],
            header(cluster, f"Install as {AUDIT_POLICY} on every server."),
        )
    ]
    if spec.encryptionAtRest.provider != "builtin":
        files.append(
            yaml_file(
                "rke2/encryption-config.yaml",
                [encryption_configuration(spec.encryptionAtRest)],
                header(cluster, f"Install as {ENCRYPTION_CONFIG} (mode 0600) on every server."),
            )
        )
    install = f"install in {STATIC_PODS}/ on every server."
    files += kms_plugin_files(context, cluster, KMS_PLUGIN_FILE, install)
    if context.platform.cis:
        files.append(
            yaml_file(
                "rke2/stackyard-pss.yaml",
                [pod_security_configuration(cluster)],
                header(cluster, f"Install as {POD_SECURITY_CONFIG} on every server."),
            )
        )
        note = header(cluster, "CIS host preparation.").replace("\n", "\n# ")
        files.append(
            NodeFile(
                "rke2/cis-host.sh",
                CIS_HOST_SCRIPT.format(
                    header=note, user=ETCD_USER, sysctl=CIS_SYSCTL_FILE, sysctls=sysctl_text()
                ),
            )
        )
    return files


def rke2_hardening_table(context: RenderContext, cluster: ClusterPlan) -> list[str]:
    """README file table rows for the hardening files installed outside ``config.yaml``."""
    if kms_plugin_pod(context, cluster) is None:
        return []
    return [f"| `{KMS_PLUGIN_FILE}` | `{STATIC_PODS}/` | every server |"]


def rke2_hardening_readme(context: RenderContext, cluster: ClusterPlan) -> list[str]:
    """README lines: which files to install, the KMS plugin, key rotation."""
    spec = hardening(context)
    if spec is None:
        return []
    encryption = spec.encryptionAtRest
    lines = [
        "",
        "## Hardening",
        "",
        f"- Audit: install `rke2/audit-policy.yaml` as `{AUDIT_POLICY}` on every server. The",
        f"  log is `{AUDIT_LOG}`; the log agent ships it to Loki",
        "  (`job=kube-apiserver-audit`).",
    ]
    if context.platform.cis:
        lines += [
            "- CIS: run `sh rke2/cis-host.sh` as root on every node before RKE2 first starts,",
            f"  and install `rke2/stackyard-pss.yaml` as `{POD_SECURITY_CONFIG}` on every server.",
        ]
    if encryption.provider == "builtin":
        lines.append("- Secrets are encrypted at rest with RKE2's own key (`secrets-encryption`).")
    else:
        lines += kms_plugin_readme(context, KMS_PLUGIN_FILE)
        lines.append(
            f"  Install `rke2/encryption-config.yaml` as `{ENCRYPTION_CONFIG}` (mode 0600)."
        )
    return lines + key_rotation_readme(context, cluster, ENCRYPTION_CONFIG)

"""Node hardening from the spec's ``hardening`` section: audit, encryption at rest, CIS.

Nothing here applies to a spec without ``hardening``: the distributions' defaults stay.
With it, both distributions get the same three things (``docs/hardening.md`` has the
table of every setting, its CIS Kubernetes Benchmark v1.10 control and its source):

- the API server audit policy (``audit.k8s.io/v1`` ``Policy``) at the spec's level,
  written to a file on the servers, with the log rotated by the spec's limits (CIS
  1.2.16 to 1.2.19). Secrets, ConfigMaps, tokens and access reviews are recorded at
  ``Metadata`` whatever the level, so no secret value is ever written to the log;
  health probes, leases and events (high volume, no actor) are not recorded. The log
  agent ships the file to Loki (``valuebuilders/observability.py``).
- encryption of Secrets at rest (CIS 1.2.27, 1.2.28). ``builtin``: RKE2's own
  ``secrets-encryption`` (an AES-CBC key RKE2 generates on the first server); on kubeadm
  an ``EncryptionConfiguration`` with ``secretbox`` and a key the provisioning script
  generates once (``${ENCRYPTION_KEY}``, like the join token: never rendered).
  ``vault-kms`` / ``aws-kms``: KMS v2 (stable since Kubernetes 1.29,
  https://kubernetes.io/docs/tasks/administer-cluster/kms-provider/) through a plugin
  on every server listening on a Unix socket; the key encryption key never leaves
  Vault's Transit engine or AWS KMS. ``identity`` is the last provider so that Secrets
  written before encryption was on stay readable until they are rewritten.
- CIS (``hardening.cis``): RKE2's ``profile: cis``, which makes RKE2 check the host
  (an ``etcd`` user, the kernel parameters) and enforce the restricted Pod Security
  Standard (https://docs.rke2.io/security/hardening_guide); the platform's privileged
  components are exempt by namespace. On kubeadm, what the profile would set: kubelet,
  API server, controller-manager and scheduler settings plus file permissions.
"""

from __future__ import annotations

from typing import Any

from stackyard.plan import ClusterPlan
from stackyard.plan.checks.hardening import privileged_namespaces
from stackyard.render.context import RenderContext
from stackyard.spec.hardening import Audit, EncryptionAtRest, Hardening

AUDIT_POLICY_API = "audit.k8s.io/v1"
APISERVER_CONFIG_API = "apiserver.config.k8s.io/v1"
KUBELET_API = "kubelet.config.k8s.io/v1beta1"
ENCRYPTION_KEY = "${ENCRYPTION_KEY}"
"""The kubeadm ``builtin`` key: 32 random bytes, base64, generated once per cluster."""
KMS_SOCKET_DIR = "/var/run/kmsplugin"
KMS_SOCKET = f"unix://{KMS_SOCKET_DIR}/socket.sock"
KMS_NAMES = {"vault-kms": "vault", "aws-kms": "aws-kms"}
ETCD_USER = "etcd"
CIS_SYSCTL_FILE = "/etc/sysctl.d/60-rke2-cis.conf"
# The kernel parameters the kubelet's protectKernelDefaults insists on (it exits when they
# differ), as RKE2 ships them in rke2-cis-sysctl.conf.
CIS_SYSCTLS = (
    ("vm.panic_on_oom", "0"),
    ("vm.overcommit_memory", "1"),
    ("kernel.panic", "10"),
    ("kernel.panic_on_oops", "1"),
)
# CIS 1.2.29 / 4.2.12: only strong ciphers (the Benchmark's list, TLS 1.2; TLS 1.3 suites
# are not configurable and all strong).
TLS_CIPHER_SUITES = (
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
)
SYSTEM_NAMESPACES = ("kube-system",)
# API server settings both distributions add under CIS (RKE2's profile leaves them to the
# operator): DenyServiceExternalIPs [1.2.3] refuses new Service externalIPs, the
# CVE-2020-8554 interception path, which no platform component uses; NodeRestriction
# [1.2.14] is the plugin both distributions enable by default, kept because the flag
# replaces their list. Projected service-account tokens expire when they say [1.2.30],
# as RKE2's guide adds for CIS 1.11: client-go and every platform component reload them.
CIS_APISERVER_ARGS = (
    ("enable-admission-plugins", "NodeRestriction,DenyServiceExternalIPs"),
    ("service-account-extend-token-expiration", "false"),
)
POD_PIDS_LIMIT = 4096
"""CIS 4.2.13: at most this many processes per Pod, a fork bomb stays in its Pod."""
KUBEADM_CA = "/etc/kubernetes/pki/ca.crt"


def hardening(context: RenderContext) -> Hardening | None:
    """The spec's hardening section, if it has one."""
    return context.platform.hardening


def audit_policy(audit: Audit) -> dict[str, Any]:
    """The API server's audit ``Policy`` for ``audit.level`` (see module docs)."""
    if audit.level == "None":
        rules: list[dict[str, Any]] = [{"level": "None"}]
    else:
        rules = [
            {
                "level": "None",
                "nonResourceURLs": ["/healthz*", "/livez*", "/readyz*", "/version", "/metrics"],
            },
            {
                "level": "None",
                "resources": [
                    {"group": "", "resources": ["events"]},
                    {"group": "coordination.k8s.io", "resources": ["leases"]},
                ],
            },
            {
                "level": "Metadata",
                "resources": [
                    {"group": "", "resources": ["secrets", "configmaps", "serviceaccounts/token"]},
                    {"group": "authentication.k8s.io", "resources": ["tokenreviews"]},
                    {
                        "group": "authorization.k8s.io",
                        "resources": ["subjectaccessreviews", "selfsubjectaccessreviews"],
                    },
                ],
            },
            {"level": audit.level},
        ]
    return {
        "apiVersion": AUDIT_POLICY_API,
        "kind": "Policy",
        "omitStages": ["RequestReceived"],
        "rules": rules,
    }


def audit_log_args(audit: Audit, log_path: str | None) -> list[tuple[str, str]]:
    """kube-apiserver audit log flags (CIS 1.2.16-1.2.19); ``log_path`` None keeps RKE2's."""
    args = [("audit-log-path", log_path)] if log_path is not None else []
    return [
        *args,
        ("audit-log-maxage", str(audit.maxAge)),
        ("audit-log-maxbackup", str(audit.maxBackups)),
        ("audit-log-maxsize", str(audit.maxSize)),
    ]


def _kms(encryption: EncryptionAtRest) -> dict[str, Any]:
    return {
        "kms": {
            "apiVersion": "v2",
            "name": KMS_NAMES[encryption.provider],
            "endpoint": KMS_SOCKET,
            "timeout": "3s",
        }
    }


def encryption_configuration(encryption: EncryptionAtRest) -> dict[str, Any]:
    """The ``EncryptionConfiguration`` of kubeadm (any provider) or RKE2 (KMS only)."""
    if encryption.provider == "builtin":
        first: dict[str, Any] = {
            "secretbox": {"keys": [{"name": "key1", "secret": ENCRYPTION_KEY}]}
        }
    else:
        first = _kms(encryption)
    return {
        "apiVersion": APISERVER_CONFIG_API,
        "kind": "EncryptionConfiguration",
        "resources": [{"resources": ["secrets"], "providers": [first, {"identity": {}}]}],
    }


def pod_security_configuration(cluster: ClusterPlan) -> dict[str, Any]:
    """RKE2's CIS Pod Security defaults (restricted), the privileged namespaces exempt."""
    exempt = sorted({*SYSTEM_NAMESPACES, *privileged_namespaces(cluster)})
    return {
        "apiVersion": APISERVER_CONFIG_API,
        "kind": "AdmissionConfiguration",
        "plugins": [
            {
                "name": "PodSecurity",
                "configuration": {
                    "apiVersion": "pod-security.admission.config.k8s.io/v1",
                    "kind": "PodSecurityConfiguration",
                    "defaults": {
                        "enforce": "restricted",
                        "enforce-version": "latest",
                        "audit": "restricted",
                        "audit-version": "latest",
                        "warn": "restricted",
                        "warn-version": "latest",
                    },
                    "exemptions": {"usernames": [], "runtimeClasses": [], "namespaces": exempt},
                },
            }
        ],
    }


def sysctl_text() -> str:
    """The kernel parameters file both distributions install under CIS."""
    return "".join(f"{name} = {value}\n" for name, value in CIS_SYSCTLS)


def kubelet_configuration() -> dict[str, Any]:
    """The CIS settings of the kubelet that kubeadm hands every node (section 4.2)."""
    return {
        "apiVersion": KUBELET_API,
        "kind": "KubeletConfiguration",
        "authentication": {
            "anonymous": {"enabled": False},  # 4.2.1
            "x509": {"clientCAFile": KUBEADM_CA},  # 4.2.3, kubeadm's default made explicit
        },
        "authorization": {"mode": "Webhook"},  # 4.2.2
        "readOnlyPort": 0,  # 4.2.4
        "streamingConnectionIdleTimeout": "4h0m0s",  # 4.2.5
        "makeIPTablesUtilChains": True,  # 4.2.6
        "eventRecordQPS": 5,  # 4.2.8
        "rotateCertificates": True,  # 4.2.10
        "tlsCipherSuites": list(TLS_CIPHER_SUITES),  # 4.2.12
        "podPidsLimit": POD_PIDS_LIMIT,  # 4.2.13
        "protectKernelDefaults": True,  # the RKE2 CIS guide; sysctls set before kubeadm
    }

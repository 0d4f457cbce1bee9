"""Node bootstrap settings (RKE2, K3s, kubeadm) wherever they are written.

RKE2's ``/etc/rancher/rke2/config.yaml`` is rarely a file of its own in a
repository: it is written by a Terraform ``user_data`` heredoc, a ``templatefile``
template, a cloud-init ``write_files`` entry or a shell script. The settings that
matter to an assessment (CNI, etcd snapshots, API server OIDC, CIS profile, Pod
Security admission) are therefore found line by line, in any of those texts, by
strict patterns anchored on the setting's own name — so every setting keeps its
exact line in the file that contains it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from stackyard.assess.model import Evidence

# A YAML key (``key: value``), list item (``- key=value``) or flag (``--key=value``).
_LEAD = r"^[\s\"'-]*(?:--)?"


@dataclass(frozen=True)
class NodeSetting:
    """One bootstrap setting and where it is written."""

    key: str
    value: str
    evidence: Evidence


SETTINGS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "cni",
        re.compile(_LEAD + r"cni\s*[:=]\s*[\"'\[]?\s*(canal|cilium|calico|flannel|none|multus)\b"),
    ),
    (
        "etcd-snapshot-schedule-cron",
        re.compile(_LEAD + r"etcd-snapshot-schedule-cron\s*[:=]\s*(\S.*)"),
    ),
    ("etcd-snapshot-retention", re.compile(_LEAD + r"etcd-snapshot-retention\s*[:=]\s*(\S+)")),
    ("etcd-disable-snapshots", re.compile(_LEAD + r"etcd-disable-snapshots\s*[:=]\s*(\S+)")),
    ("etcd-s3", re.compile(_LEAD + r"etcd-s3\s*[:=]\s*(\S+)")),
    ("etcd-s3-bucket", re.compile(_LEAD + r"etcd-s3-bucket\s*[:=]\s*(\S+)")),
    ("oidc-issuer-url", re.compile(r"oidc-issuer-url[\"']?\s*[:=]\s*[\"']?([^\s\"',]+)")),
    ("profile", re.compile(_LEAD + r"profile\s*[:=]\s*[\"']?(cis[-\w.]*)")),
    (
        "pod-security-admission-config-file",
        re.compile(_LEAD + r"pod-security-admission-config-file\s*[:=]\s*(\S+)"),
    ),
    ("secrets-encryption", re.compile(_LEAD + r"secrets-encryption\s*[:=]\s*(\S+)")),
    # The API server's own flags, written as RKE2/K3s keys or kube-apiserver-arg items:
    # an EncryptionConfiguration, the audit policy and where the audit log goes.
    (
        "secrets-encryption",
        re.compile(_LEAD + r"encryption-provider-config\s*[:=]\s*[\"']?([^\s\"']+)"),
    ),
    ("audit-policy", re.compile(_LEAD + r"audit-policy-file\s*[:=]\s*[\"']?([^\s\"']+)")),
    ("audit-log-path", re.compile(_LEAD + r"audit-log-path\s*[:=]\s*[\"']?([^\s\"']+)")),
    (
        "audit-webhook",
        re.compile(_LEAD + r"audit-webhook-config-file\s*[:=]\s*[\"']?([^\s\"']+)"),
    ),
    ("cloud-provider-name", re.compile(_LEAD + r"cloud-provider-name\s*[:=]\s*[\"']?(\w+)")),
    ("etcdctl-snapshot-save", re.compile(r"\betcdctl\b.*\bsnapshot\s+save\b\s*(.*)")),
    ("talosctl-etcd-snapshot", re.compile(r"\btalosctl\b.*\betcd\s+snapshot\b\s*(.*)")),
    (
        "flannel-backend",
        re.compile(_LEAD + r"flannel-backend\s*[:=]\s*[\"']?([\w-]+)"),
    ),
    ("kubeadm", re.compile(r"\bkubeadm\s+(init|join)\b(.*)")),
)
MARKERS = (
    "etcd",
    "cni",
    "oidc-issuer-url",
    "profile",
    "pod-security-admission",
    "secrets-encryption",
    "encryption-provider-config",
    "audit-",
    "cloud-provider-name",
    "kubeadm",
    "flannel-backend",
)


def node_settings(text: str, file: str, first_line: int = 1) -> Iterator[NodeSetting]:
    """Every bootstrap setting written in ``text`` (comments skipped)."""
    if not any(marker in text for marker in MARKERS):
        return
    for i, line in enumerate(text.splitlines()):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "//")):
            continue
        for key, pattern in SETTINGS:
            match = pattern.search(line)
            if match:
                number = first_line + i
                value = match.group(1).strip().strip("\"'")
                yield NodeSetting(key, value, Evidence(file, number, number, stripped[:120]))

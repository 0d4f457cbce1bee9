"""The etcd paths and commands every runbook section shares, per distribution.

Where RKE2 and kubeadm keep etcd's data, certificates and static Pods (their defaults,
which the render never changes), ``etcdctl`` with each distribution's client
certificates, and the commands that reach the snapshot copies in object storage with the
settings the render writes (``render/etcd_copies.py``, RKE2's ``etcd-s3-*`` options).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stackyard.plan import ClusterPlan
from stackyard.render.bootstrap.rke2 import server_config
from stackyard.render.context import RenderContext
from stackyard.render.etcd_copies import SnapshotCopies, etcd_bucket
from stackyard.render.manifests.etcd_backup import HOST_BACKUP_DIR, PKI_DIR

RKE2_DATA_DIR = "/var/lib/rancher/rke2"
"""RKE2's default ``data-dir`` (the render never changes it)."""
RKE2_ETCD_TLS = f"{RKE2_DATA_DIR}/server/tls/etcd"
RKE2_ENV_FILE = "/etc/default/rke2-server"
KUBEADM_MANIFESTS = "/etc/kubernetes/manifests"
"""Where the kubelet reads kubeadm's static Pods (kubeadm's default)."""
KUBEADM_ADMIN = "/etc/kubernetes/admin.conf"
ETCD_PEER_PORT = 2380
RESTORED_SUFFIX = "-restored"
RESTORE_SNAPSHOT = "/root/etcd-restore.db"
"""Where the one snapshot every member restores is copied to on each node."""
ETCD_TOKEN_SUFFIX = "-etcd-restored"
"""The restored cluster's ``--initial-cluster-token``: ``<cluster>-etcd-restored``, not
kubeadm's (etcd's default ``etcd-cluster``), so no old member can join it."""


def rke2_etcd_options(context: RenderContext, cluster: ClusterPlan) -> dict[str, Any]:
    """The ``etcd-*`` options of the cluster's rendered RKE2 server configuration."""
    return {k: v for k, v in server_config(context, cluster).items() if k.startswith("etcd-")}


def kubeadm_s3_download(copies: SnapshotCopies) -> list[str]:
    """List the copies and download the chosen one as the CronJob's first snapshot slot."""
    endpoint = "" if copies.outside_url is None else f" --endpoint-url {copies.outside_url}"
    folder = f"s3://{copies.bucket}/{copies.folder}/"
    return [
        f"aws s3 ls{endpoint} {folder}",
        f"mkdir -p {HOST_BACKUP_DIR}",
        f"aws s3 cp{endpoint} {folder}<NEWEST> {HOST_BACKUP_DIR}/etcd-snapshot-0.db",
    ]


def rke2_s3_restore(
    context: RenderContext, cluster: ClusterPlan, etcd: Mapping[str, Any]
) -> list[str]:
    """``rke2 server --cluster-reset`` from a copy in object storage, by its name."""
    if "etcd-s3-bucket" in etcd:
        # rke2 server reads the etcd-s3-* settings from config.yaml; the keys, when the
        # store has any, come from the service's environment file, which only systemd loads.
        return [
            f"set -a; [ -f {RKE2_ENV_FILE} ] && . {RKE2_ENV_FILE}; set +a",
            f"# <SNAPSHOT-NAME>: the newest object in {etcd['etcd-s3-bucket']}"
            f"/{etcd['etcd-s3-folder']}/",
            "rke2 server --cluster-reset --cluster-reset-restore-path=<SNAPSHOT-NAME>",
        ]
    # MinIO through the Secret: the API server is down, so the settings go on the command
    # line (the node README says the same).
    return [
        "rke2 server --cluster-reset --etcd-s3 \\",
        f"  --etcd-s3-endpoint=minio.{context.platform.domain} \\",
        f"  --etcd-s3-bucket={etcd_bucket(context)} --etcd-s3-folder={cluster.name} \\",
        "  --etcd-s3-access-key=<ACCESS-KEY> --etcd-s3-secret-key=<SECRET-KEY> \\",
        "  --cluster-reset-restore-path=<SNAPSHOT-NAME>",
    ]


def etcdctl_kubeadm(command: str) -> str:
    """``etcdctl command`` on a kubeadm control-plane node, with its health-check client."""
    return (
        f"ETCDCTL_API=3 etcdctl --endpoints https://127.0.0.1:2379 "
        f"--cacert {PKI_DIR}/ca.crt --cert {PKI_DIR}/healthcheck-client.crt "
        f"--key {PKI_DIR}/healthcheck-client.key {command}"
    )


def etcdctl_rke2(command: str) -> str:
    """``etcdctl command`` on an RKE2 server, with RKE2's etcd client certificate."""
    return (
        f"ETCDCTL_API=3 etcdctl --endpoints https://127.0.0.1:2379 "
        f"--cacert {RKE2_ETCD_TLS}/server-ca.crt --cert {RKE2_ETCD_TLS}/server-client.crt "
        f"--key {RKE2_ETCD_TLS}/server-client.key {command}"
    )

"""A runbook page being written: Markdown lines, shell blocks and the sources they cite.

Every command in a runbook follows an upstream procedure; :data:`SOURCES` names each one
once, and a page numbers the sources in the order it first cites them, so the list at the
end of the runbook holds exactly what its sections cite.
"""

from __future__ import annotations

SOURCES: dict[str, tuple[str, str]] = {
    "rke2-restore": (
        "RKE2: Backup and Restore (cluster reset, restoring to existing and new nodes, S3)",
        "https://docs.rke2.io/datastore/backup_restore",
    ),
    "rke2-ha": (
        "RKE2: High Availability (launching additional server nodes)",
        "https://docs.rke2.io/install/ha",
    ),
    "rke2-remove": (
        "RKE2: deleting a server node removes its etcd member (rancher/rke2#3842)",
        "https://github.com/rancher/rke2/issues/3842",
    ),
    "k8s-etcd": (
        "Kubernetes: Operating etcd clusters for Kubernetes (restoring an etcd cluster)",
        "https://kubernetes.io/docs/tasks/administer-cluster/configure-upgrade-etcd/",
    ),
    "etcd-recovery": (
        "etcd: Disaster recovery (snapshot restore with etcdutl)",
        "https://etcd.io/docs/v3.6/op-guide/recovery/",
    ),
    "etcd-members": (
        "etcd: How to add and remove members",
        "https://etcd.io/docs/v3.6/tutorials/how-to-deal-with-membership/",
    ),
    "kubeadm-ha": (
        "kubeadm: Creating highly available clusters (upload-certs, join --control-plane)",
        "https://kubernetes.io/docs/setup/production-environment/tools/kubeadm/high-availability/",
    ),
    "kubeadm-reset": (
        "kubeadm reset",
        "https://kubernetes.io/docs/reference/setup-tools/kubeadm/kubeadm-reset/",
    ),
    "velero-restore": (
        "Velero: Restore Reference (velero restore create, --from-backup, --include-*)",
        "https://velero.io/docs/main/restore-reference/",
    ),
    "velero-disaster": (
        "Velero: Disaster case (read-only backup storage location during a restore)",
        "https://velero.io/docs/main/disaster-case/",
    ),
    "argocd-sync": (
        "Argo CD: argocd app sync",
        "https://argo-cd.readthedocs.io/en/stable/user-guide/commands/argocd_app_sync/",
    ),
    "capi-kcp-remediation": (
        "Cluster API: KubeadmControlPlane remediation (a deleted control-plane Machine is "
        "replaced; its etcd member is removed first)",
        "https://cluster-api.sigs.k8s.io/tasks/control-plane/kubeadm-control-plane",
    ),
    "capi-rke2-controlplane": (
        "Cluster API provider RKE2: the RKE2ControlPlane (control-plane Machines and their "
        "etcd members)",
        "https://github.com/rancher/cluster-api-provider-rke2",
    ),
    "capi-delete": (
        "Cluster API: deleting a cluster (delete the Cluster object, not its parts)",
        "https://cluster-api.sigs.k8s.io/user/quick-start#clean-up",
    ),
}


class Page:
    """Markdown lines, with the sources cited so far."""

    def __init__(self) -> None:
        """An empty page."""
        self.lines: list[str] = []
        self.cited: list[str] = []

    def add(self, *lines: str) -> None:
        """Append Markdown lines."""
        self.lines.extend(lines)

    def cite(self, *keys: str) -> str:
        """``[n]`` references to the :data:`SOURCES` ``keys``, numbered by first citation."""
        for key in keys:
            if key not in self.cited:
                self.cited.append(key)
        return " ".join(f"[{self.cited.index(k) + 1}]" for k in keys)

    def sh(self, *commands: str) -> None:
        """Append a shell block of ``commands``."""
        self.lines += ["", "```sh", *commands, "```", ""]

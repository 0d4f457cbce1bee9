"""etcd snapshots on kubeadm clusters: a CronJob on a control-plane node (backup tier L1).

RKE2 schedules its own snapshots (``etcd-snapshot-schedule-cron`` in the node config);
kubeadm's stacked etcd has no schedule, so this CronJob provides one, from the same rule
(``render/etcd_schedule.py``: the interval never exceeds ``slo.rpo``; the reference
local multi-cluster architecture sets RPO 24 h for this tier).

Where it runs: ``kube-system``, which the platform never claims and which Pod Security
exempts (the Pod Security map); the pod needs ``hostNetwork`` (etcd listens on
``127.0.0.1:2379``) and ``hostPath`` volumes, which only the privileged level allows. A
dedicated namespace would have to be privileged too, for no gain. The pod is pinned to
control-plane nodes and tolerates their taint, mounts ``/etc/kubernetes/pki/etcd``
read-only for the CA and kubeadm's ``healthcheck-client`` certificate (a client of etcd's
CA), runs as root only to read those 0600 keys, with every capability dropped, a
read-only root filesystem and no service-account token.

Those three needs (host network, root, host paths) are declared on the CronJob in the
exemption annotations Polaris reads (``polaris.fairwinds.com/<check>-exempt``), with the
reason in ``stackyard.dev/exemption-reason``, so ``stackyard assess`` and Polaris report
them as accepted rather than as defects (docs/assessment-workloads.md).

Image: ``registry.k8s.io/etcd:3.6.6-0``, the etcd kubeadm v1.35.0 deploys. It ships
``etcdctl`` and a static bash but no coreutils, so retention is a ring of slots instead
of deleting old files: snapshot *n* is written to ``etcd-snapshot-<k>.db`` with
``k = (time / interval) mod retention``, overwriting the oldest one. ``etcdctl`` writes to
``<file>.part`` and renames on success, so a failed run never destroys the snapshot it
would have replaced. The newest snapshot is the most recently modified file in
``/var/lib/etcd-backup`` on the node. With several control-plane nodes, runs land on
whichever one the scheduler picks, each keeping its own ring.

Copies off the node are optional and not rendered: Velero (tier L2) does not back up
etcd files. To ship them, sync ``/var/lib/etcd-backup`` to the object store from the
node (e.g. ``rclone`` on a systemd timer) with credentials from the node's own store.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.plan import ClusterPlan
from stackyard.render.context import LABEL_PREFIX, RenderContext
from stackyard.render.etcd_schedule import HOUR, snapshot_schedule
from stackyard.render.manifests.base import BASE_GROUP, Placed
from stackyard.render.settings import At, BackupDeclared, Path, StoreDeclared
from stackyard.render.tree import Manifest

NAME = "etcd-snapshot"
NAMESPACE = "kube-system"
IMAGE = "registry.k8s.io/etcd:3.6.6-0"
PKI_DIR = "/etc/kubernetes/pki/etcd"
HOST_BACKUP_DIR = "/var/lib/etcd-backup"
BACKUP_DIR = "/backup"
CONTROL_PLANE = "node-role.kubernetes.io/control-plane"
EXEMPTIONS = {
    "polaris.fairwinds.com/hostNetworkSet-exempt": "true",
    "polaris.fairwinds.com/runAsRootAllowed-exempt": "true",
    "polaris.fairwinds.com/hostPathSet-exempt": "true",
    f"{LABEL_PREFIX}/exemption-reason": (
        "etcd listens on the node's 127.0.0.1:2379 only (host network); the snapshot "
        f"authenticates with kubeadm's etcd client key, readable by root only, from {PKI_DIR} "
        f"on the node and is written to {HOST_BACKUP_DIR} on the node (host paths)"
    ),
}

# bash's EPOCHSECONDS and arithmetic only: the image has no date, ls or rm.
SCRIPT = """\
set -eu
slot=$(( EPOCHSECONDS / SNAPSHOT_INTERVAL_SECONDS % SNAPSHOT_RETENTION ))
exec etcdctl snapshot save "$SNAPSHOT_DIR/etcd-snapshot-$slot.db"
"""


def etcd_snapshot_cronjob(context: RenderContext, cluster: ClusterPlan) -> Manifest:
    """The CronJob that snapshots ``cluster``'s etcd (see module docs)."""
    schedule = snapshot_schedule(context.platform.slo.rpo)
    labels = {
        "app.kubernetes.io/name": NAME,
        f"{LABEL_PREFIX}/platform": context.platform.name,
    }
    env = {
        "ETCDCTL_ENDPOINTS": "https://127.0.0.1:2379",
        "ETCDCTL_CACERT": f"{PKI_DIR}/ca.crt",
        "ETCDCTL_CERT": f"{PKI_DIR}/healthcheck-client.crt",
        "ETCDCTL_KEY": f"{PKI_DIR}/healthcheck-client.key",
        "SNAPSHOT_DIR": BACKUP_DIR,
        "SNAPSHOT_INTERVAL_SECONDS": str(schedule.interval),
        "SNAPSHOT_RETENTION": str(schedule.retention),
    }
    container = {
        "name": "snapshot",
        "image": IMAGE,
        "command": ["/bin/sh", "-c", SCRIPT],
        "env": [{"name": key, "value": value} for key, value in env.items()],
        "resources": {
            "requests": {"cpu": "50m", "memory": "64Mi"},
            "limits": {"cpu": "500m", "memory": "256Mi"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [
            {"name": "etcd-pki", "mountPath": PKI_DIR, "readOnly": True},
            {"name": "backup", "mountPath": BACKUP_DIR},
        ],
    }
    pod_spec = {
        "restartPolicy": "Never",
        "hostNetwork": True,
        "automountServiceAccountToken": False,
        "nodeSelector": {CONTROL_PLANE: ""},
        "tolerations": [{"key": CONTROL_PLANE, "operator": "Exists", "effect": "NoSchedule"}],
        "securityContext": {
            "runAsUser": 0,
            "runAsGroup": 0,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": [
            {"name": "etcd-pki", "hostPath": {"path": PKI_DIR, "type": "Directory"}},
            {
                "name": "backup",
                "hostPath": {"path": HOST_BACKUP_DIR, "type": "DirectoryOrCreate"},
            },
        ],
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {
            "name": NAME,
            "namespace": NAMESPACE,
            "labels": labels,
            "annotations": dict(EXEMPTIONS),
        },
        "spec": {
            "schedule": schedule.cron,
            "timeZone": "Etc/UTC",
            "concurrencyPolicy": "Forbid",
            # A run missed by more than this is skipped; the next one comes on schedule.
            "startingDeadlineSeconds": min(schedule.interval, HOUR) // 2,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {
                "spec": {
                    "backoffLimit": 2,
                    "activeDeadlineSeconds": 900,
                    "template": {"metadata": {"labels": dict(labels)}, "spec": pod_spec},
                }
            },
        },
    }


def snapshot_backup(cronjob: Manifest, cluster: ClusterPlan) -> BackupDeclared:
    """What the render records of ``cronjob``: schedule, retention, the node's directory."""
    pod: Path = ("spec", "jobTemplate", "spec", "template", "spec")
    pod_spec = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    env = [e["name"] for e in pod_spec["containers"][0]["env"]]
    volume = [v["name"] for v in pod_spec["volumes"]].index("backup")
    return BackupDeclared(
        "etcd-snapshots",
        "etcdctl snapshot CronJob",
        At(("spec", "schedule")),
        At((*pod, "containers", 0, "env", env.index("SNAPSHOT_RETENTION"), "value")),
        # hostPath: the snapshots stay on the control-plane node that took them.
        (StoreDeclared(At((*pod, "volumes", volume, "hostPath", "path")), cluster.name),),
    )


def etcd_backup_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """The etcd snapshot CronJob on kubeadm clusters (a ``base`` file); nothing elsewhere."""
    if context.platform.kubernetes.distribution != "kubeadm":
        return []
    cronjob = etcd_snapshot_cronjob(context, cluster)
    backup = snapshot_backup(cronjob, cluster)
    return [Placed(BASE_GROUP, "etcd-backup.yaml", [cronjob], (backup,))]

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

Copies off the node: each run also uploads the snapshot it just took to the object store
of :mod:`stackyard.render.etcd_copies`, in RKE2's layout (bucket, folder ``<cluster>/``,
object ``etcd-snapshot-<node>-<unix time>``), so a lost control-plane node does not take
the snapshots with it and ``dr drill etcd --from-s3`` finds them. The snapshot is an init
container, the upload the pod's container, so nothing is uploaded from a failed snapshot.
The uploader is ``amazon/aws-cli`` (AWS's own image, pinned by tag), configured only
through the environment the AWS CLI reads: ``AWS_ENDPOINT_URL`` (none for AWS S3),
``AWS_DEFAULT_REGION``, path-style addressing in a config file written to its scratch
``/tmp``, ``AWS_CA_BUNDLE`` from the Secret ``platform-ca-bundle`` (key ``ca.crt``) in
``kube-system`` when MinIO is reached through another cluster's gateway, and the keys
from the store's credentials Secret (``envFrom``) or, without one, the node's instance
profile (the pod is on the host network, so the instance metadata service is one hop).

Retention in the bucket matches the node's: after uploading, the run deletes this node's
copies beyond the newest ``SNAPSHOT_RETENTION`` (object names sort by time: the unix time
has ten digits until 2286). Deleting, not a lifecycle rule, because a rule counts days,
not copies, and could leave a cluster whose snapshots stopped with none at all; in a
versioned bucket (MinIO's are) the deleted copy stays a noncurrent version until the
store's own expiry removes it. The Secrets are supplied at bootstrap or by External
Secrets and never rendered.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.plan import ClusterPlan
from stackyard.render.addresses import CA_BUNDLE_SECRET, CA_KEY
from stackyard.render.context import LABEL_PREFIX, RenderContext
from stackyard.render.etcd_copies import MINIO, SnapshotCopies, snapshot_copies
from stackyard.render.etcd_schedule import HOUR, snapshot_schedule
from stackyard.render.manifests.base import BASE_GROUP, Placed
from stackyard.render.settings import At, BackupDeclared, Path, StoreDeclared
from stackyard.render.tree import Manifest

NAME = "etcd-snapshot"
NAMESPACE = "kube-system"
IMAGE = "registry.k8s.io/etcd:3.6.6-0"
UPLOAD_IMAGE = "amazon/aws-cli:2.32.8"
SCRATCH_DIR = "/tmp"
CA_DIR = "/etc/platform-ca"
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
        f"on the node and is written to {HOST_BACKUP_DIR} on the node (host paths), from "
        "where it is uploaded to the platform's object store"
    ),
}

# bash's EPOCHSECONDS and arithmetic only: the image has no date, ls or rm.
SCRIPT = """\
set -eu
slot=$(( EPOCHSECONDS / SNAPSHOT_INTERVAL_SECONDS % SNAPSHOT_RETENTION ))
exec etcdctl snapshot save "$SNAPSHOT_DIR/etcd-snapshot-$slot.db"
"""

# The AWS CLI image has bash and coreutils. The newest file is the one the snapshot init
# container just wrote (etcdctl renames it into place only on success).
UPLOAD_SCRIPT = """\
set -eu
if [ "${S3_PATH_STYLE:-}" = true ]; then
  printf '[default]\\ns3 =\\n    addressing_style = path\\n' >"$HOME/aws-config"
  export AWS_CONFIG_FILE="$HOME/aws-config"
fi
cd "$SNAPSHOT_DIR"
newest=$(ls -t -- etcd-snapshot-*.db | head -n 1)
prefix="$SNAPSHOT_FOLDER/etcd-snapshot-$NODE_NAME-"
key="$prefix$(date -u +%s)"
aws s3 cp --only-show-errors "$newest" "s3://$SNAPSHOT_BUCKET/$key"
echo "uploaded $newest to s3://$SNAPSHOT_BUCKET/$key"
# Keep this node's newest SNAPSHOT_RETENTION copies, as on the node.
aws s3api list-objects-v2 --bucket "$SNAPSHOT_BUCKET" --prefix "$prefix" \\
    --query 'Contents[].Key' --output text |
  tr '\\t' '\\n' | grep -E "^$prefix[0-9]+\\$" | sort | head -n "-$SNAPSHOT_RETENTION" |
  while read -r old; do
    aws s3api delete-object --bucket "$SNAPSHOT_BUCKET" --key "$old" >/dev/null
    echo "deleted s3://$SNAPSHOT_BUCKET/$old"
  done
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
    copies = snapshot_copies(context, cluster)
    pod_spec: Manifest = {
        "restartPolicy": "Never",
        "hostNetwork": True,
        # On the host network, only this policy resolves in-cluster Services (MinIO's).
        "dnsPolicy": "ClusterFirstWithHostNet",
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
    if copies is not None:
        upload, volumes = _upload_container(copies, schedule.retention)
        pod_spec["initContainers"] = pod_spec.pop("containers")
        pod_spec["containers"] = [upload]
        pod_spec["volumes"] += volumes
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


def _upload_container(copies: SnapshotCopies, retention: int) -> tuple[Manifest, list[Manifest]]:
    """The container copying the new snapshot to ``copies``, and the volumes it adds."""
    env = {
        "SNAPSHOT_DIR": BACKUP_DIR,
        "SNAPSHOT_BUCKET": copies.bucket,
        "SNAPSHOT_FOLDER": copies.folder,
        "SNAPSHOT_RETENTION": str(retention),
        "AWS_DEFAULT_REGION": copies.region,
        "HOME": SCRATCH_DIR,
    }
    if copies.url is not None:
        env["AWS_ENDPOINT_URL"] = copies.url
    if copies.path_style:
        env["S3_PATH_STYLE"] = "true"
    mounts: list[Manifest] = [
        {"name": "backup", "mountPath": BACKUP_DIR, "readOnly": True},
        {"name": "scratch", "mountPath": SCRATCH_DIR},
    ]
    volumes: list[Manifest] = [{"name": "scratch", "emptyDir": {"sizeLimit": "16Mi"}}]
    if copies.trusts_platform_ca:
        env["AWS_CA_BUNDLE"] = f"{CA_DIR}/{CA_KEY}"
        mounts.append({"name": "platform-ca", "mountPath": CA_DIR, "readOnly": True})
        volumes.append({"name": "platform-ca", "secret": {"secretName": CA_BUNDLE_SECRET}})
    container: Manifest = {
        "name": "upload",
        "image": UPLOAD_IMAGE,
        "command": ["/bin/bash", "-c", UPLOAD_SCRIPT],
        "env": [
            {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
            *({"name": key, "value": value} for key, value in env.items()),
        ],
    }
    if copies.credentials_secret is not None:
        container["envFrom"] = [{"secretRef": {"name": copies.credentials_secret}}]
    container |= {
        "resources": {
            "requests": {"cpu": "50m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "512Mi"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": mounts,
    }
    return container, volumes


def snapshot_container(cronjob: Manifest) -> Manifest:
    """The container of ``cronjob`` that takes the snapshot (an init container with uploads)."""
    pod_spec = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    containers: list[Manifest] = pod_spec.get("initContainers", pod_spec["containers"])
    return containers[0]


def upload_container(cronjob: Manifest) -> Manifest | None:
    """The container of ``cronjob`` that copies the snapshot off the node, if any."""
    pod_spec = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    if "initContainers" not in pod_spec:
        return None
    container: Manifest = pod_spec["containers"][0]
    return container


def snapshot_backup(
    context: RenderContext, cronjob: Manifest, cluster: ClusterPlan
) -> BackupDeclared:
    """What the render records of ``cronjob``: schedule, retention, where copies are kept."""
    pod: Path = ("spec", "jobTemplate", "spec", "template", "spec")
    pod_spec = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    snapshot = "initContainers" if "initContainers" in pod_spec else "containers"
    env = [e["name"] for e in pod_spec[snapshot][0]["env"]]
    volume = [v["name"] for v in pod_spec["volumes"]].index("backup")
    # hostPath: these stay on the control-plane node that took them.
    stores = [StoreDeclared(At((*pod, "volumes", volume, "hostPath", "path")), cluster.name)]
    copies = snapshot_copies(context, cluster)
    if copies is not None and snapshot == "initContainers":
        upload = [e["name"] for e in pod_spec["containers"][0]["env"]]
        field = "AWS_ENDPOINT_URL" if "AWS_ENDPOINT_URL" in upload else "SNAPSHOT_BUCKET"
        at = At((*pod, "containers", 0, "env", upload.index(field), "value"))
        if copies.via == "minio":
            home = context.clusters_running(MINIO)[0].name
            stores.append(StoreDeclared(at, home, MINIO))
        else:
            stores.append(StoreDeclared(at, None))
    return BackupDeclared(
        "etcd-snapshots",
        "etcdctl snapshot CronJob",
        At(("spec", "schedule")),
        At((*pod, snapshot, 0, "env", env.index("SNAPSHOT_RETENTION"), "value")),
        tuple(stores),
    )


def etcd_backup_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """The etcd snapshot CronJob on kubeadm clusters (a ``base`` file); nothing elsewhere."""
    if context.platform.kubernetes.distribution != "kubeadm":
        return []
    cronjob = etcd_snapshot_cronjob(context, cluster)
    backup = snapshot_backup(context, cronjob, cluster)
    return [Placed(BASE_GROUP, "etcd-backup.yaml", [cronjob], (backup,))]

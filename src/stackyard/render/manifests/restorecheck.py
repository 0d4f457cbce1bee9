"""The monthly restore check: Velero restores a canary namespace and Jobs verify it.

A backup that was never restored is not a backup, so every cluster that runs Velero proves
once a month that its backups restore, objects and volume data, without touching anything
real:

- **Canary.** Namespace ``restore-check-canary`` holds one ConfigMap,
  ``stackyard-restore-check``, whose ``cluster`` key names the cluster. Where the cluster
  has a storage provider it also holds the PVC ``restore-check-canary`` (32Mi, the
  default StorageClass) and the one-replica Deployment ``restore-check-canary`` that
  mounts it: on its first start the writer puts the file ``marker`` (cluster, namespace,
  time written) and ``marker.sha256`` (its checksum) on the volume, never rewrites
  them, and sleeps. The pod must keep running: Velero's file-system backup only reads
  volumes of running pods (https://velero.io/docs/main/file-system-backup/#limitations).
  The Schedule ``restore-check-canary`` backs up that namespace alone, daily, to the same
  location as the platform's backups (same bucket, same credentials, same Velero), with
  the same 30-day retention, and copies the volume the way ``platform-volumes`` does
  (:mod:`stackyard.plan.volumebackup`): a CSI snapshot moved to the object store, or
  Kopia's file-system backup. It leaves ``includeClusterResources`` unset, so the
  claim's PersistentVolume comes along.
- **Restore.** A Velero ``Restore`` cannot be scheduled, so the CronJob ``restore-check``
  (in Velero's namespace, on the 1st of each month at 04:00 UTC plus the cluster's
  offset, after the canary's daily backup) creates one: from the newest successful backup
  of the canary Schedule (``scheduleName``), the canary namespace mapped to
  ``restore-check-scratch`` (https://velero.io/docs/main/api-types/restore/), volumes
  included (``restorePVs``).
- **Verify.** The Job waits for the Restore's phase ``Completed`` (a ``Failed`` or
  ``PartiallyFailed`` restore never gets there and the wait times out; the data mover's
  downloads and the file-system restores finish before it, in the phases
  ``WaitingForPluginOperations`` and ``InProgress``), then for the restored ConfigMap in
  the scratch namespace to carry this cluster's name. With a volume it then waits for the
  restored claim to be ``Bound`` and starts the Job ``restore-check-verify`` in the
  scratch namespace, which mounts the restored claim read-only on the node of the
  restored writer (a ReadWriteOnce volume attaches to one node) and checks the checksum,
  the cluster and that the marker was written in the canary namespace: a restore that
  lost the data leaves the restored writer to write a new marker, which names the scratch
  namespace and fails. Last it deletes the scratch namespace. Each step is one
  ``kubectl`` command in its own container, run in order as init containers, so the
  image needs no shell: ``registry.k8s.io/kubectl`` at the cluster's Kubernetes version
  (published from v1.28). The writer and the verifier do need one (``sh``,
  ``sha256sum``): ``busybox``, pinned. The first steps delete the scratch namespace and
  earlier check Restores a failed run may have left, so a wait only ever sees this run's
  Restore.
- **Result.** Any failed step fails the Job (no retries: ``backoffLimit: 0``). The
  result is kube-state-metrics' ``kube_cronjob_status_last_successful_time`` and
  ``kube_cronjob_status_last_schedule_time`` of the CronJob, which the backup alerts
  read (:mod:`stackyard.render.manifests.backupalerts`); the platform runs no
  Pushgateway, and the Kubernetes objects are the record.

Permissions: the ServiceAccount may create, watch and delete Restores in Velero's
namespace only (a Role), and, cluster-wide but by name only (a ClusterRole with
``resourceNames``), read the ConfigMap ``stackyard-restore-check`` and the claim
``restore-check-canary``, and read and delete the Namespace ``restore-check-scratch``.
Creating and watching the verifying Job is granted by the Role and RoleBinding
``restore-check-verify`` in the canary namespace, which Velero restores into the scratch
namespace with everything else (the subject's namespace, Velero's, is not mapped): no
cluster-wide right to create Jobs. Velero itself writes the restored objects. Both check
namespaces are platform namespaces for the workload policies
(:mod:`stackyard.render.manifests.policy`), as Velero's own is: the restored pods carry
Velero's restore helper and the canary pulls an upstream image.
"""

from __future__ import annotations

from stackyard.plan import ClusterPlan
from stackyard.plan.volumebackup import volume_backup
from stackyard.render.context import LABEL_PREFIX, RenderContext
from stackyard.render.tree import Manifest
from stackyard.render.yamlout import dump_yaml

NAME = "restore-check"
CANARY_NAMESPACE = "restore-check-canary"
SCRATCH_NAMESPACE = "restore-check-scratch"
CANARY_CONFIGMAP = "stackyard-restore-check"
CANARY_SCHEDULE = "restore-check-canary"
CANARY_VOLUME = "restore-check-canary"  # the claim and the Deployment writing to it
VERIFY = "restore-check-verify"  # the verifying Job, and the Role that lets the check start it
RESTORE_FILE = "/restore/restore.yaml"
VERIFY_FILE = "/restore/verify.yaml"
KUBECTL_IMAGE = "registry.k8s.io/kubectl"
SHELL_IMAGE = "docker.io/library/busybox:1.37.0"
VOLUME_SIZE = "32Mi"
DATA_DIR = "/data"
MARKER = "marker"
CHECKSUM = "marker.sha256"
USER = 65532
CHECK_HOUR = 4  # UTC, after the canary's daily backup at 02:xx
RESTORE_TIMEOUT = "30m"
VERIFY_TIMEOUT = "2m"
BIND_TIMEOUT = "5m"
DATA_TIMEOUT = "10m"
DELETE_TIMEOUT = "10m"
JOB_DEADLINE_SECONDS = 3600
DATA_DEADLINE_SECONDS = 600
SELECTOR = f"app.kubernetes.io/name={NAME}"
CLUSTER_ROLE = f"stackyard-{NAME}"  # a DNS label, like every rendered name

# Writes the marker once (a restored copy finds it already there) and then idles; the
# marker is replaced only together with its checksum, so a crash never leaves a mismatch.
WRITER_SCRIPT = f"""set -eu
trap 'kill ${{pid:-}} 2>/dev/null || true; exit 0' TERM INT
if [ ! -f {CHECKSUM} ]; then
  printf 'cluster=%s\\nnamespace=%s\\nwritten=%s\\n' "$CLUSTER" "$POD_NAMESPACE" \\
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > {MARKER}.tmp
  mv {MARKER}.tmp {MARKER}
  sha256sum {MARKER} > {CHECKSUM}.tmp
  mv {CHECKSUM}.tmp {CHECKSUM}
fi
cat {MARKER}
while true; do
  sleep 3600 &
  pid=$!
  wait "$pid"
done
"""

# Reads the restored volume: the checksum holds, and the marker is the canary's own.
VERIFY_SCRIPT = f"""set -eu
if [ ! -f {MARKER} ] || [ ! -f {CHECKSUM} ]; then
  echo "the restored volume holds no marker" >&2
  exit 1
fi
sha256sum -c {CHECKSUM}
if ! grep -qx "cluster=$CLUSTER" {MARKER}; then
  echo "the restored marker names another cluster" >&2
  exit 1
fi
if ! grep -qx "namespace=$SOURCE_NAMESPACE" {MARKER}; then
  echo "the marker was written after the restore, not restored" >&2
  exit 1
fi
cat {MARKER}
"""


def _labels(context: RenderContext) -> dict[str, str]:
    return {"app.kubernetes.io/name": NAME, f"{LABEL_PREFIX}/platform": context.platform.name}


def monthly_cron(offset_minute: int) -> str:
    """The check's schedule: the 1st of each month, 04:00 UTC plus the cluster's offset."""
    return f"{offset_minute % 60} {CHECK_HOUR} 1 * *"


def canary_namespaces(cluster: ClusterPlan) -> list[str]:
    """The canary namespace where the check runs (with Velero): data and one idle writer."""
    return [CANARY_NAMESPACE] if cluster.has("velero") else []


def check_namespaces(cluster: ClusterPlan) -> list[str]:
    """The namespaces the check owns on ``cluster``: the canary and its restored copy."""
    return [CANARY_NAMESPACE, SCRATCH_NAMESPACE] if cluster.has("velero") else []


def has_volume(context: RenderContext, cluster: ClusterPlan) -> bool:
    """Whether the canary holds a volume: wherever a storage provider gives one."""
    backup = volume_backup(cluster, context.platform.kubernetes.distribution)
    return backup.method != "none"


def _security_context() -> Manifest:
    # Also what Velero's restore helper copies into a restored pod (its first container's).
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }


def _pod_security_context() -> Manifest:
    return {
        "runAsNonRoot": True,
        "runAsUser": USER,
        "runAsGroup": USER,
        "fsGroup": USER,  # the volume is writable by the non-root user
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _shell(name: str, script: str, env: list[Manifest], read_only: bool) -> Manifest:
    return {
        "name": name,
        "image": SHELL_IMAGE,
        "command": ["sh", "-c", script],
        "workingDir": DATA_DIR,
        "env": env,
        "resources": {
            "requests": {"cpu": "5m", "memory": "8Mi"},
            "limits": {"cpu": "50m", "memory": "32Mi"},
        },
        "securityContext": _security_context(),
        "volumeMounts": [{"name": "data", "mountPath": DATA_DIR, "readOnly": read_only}],
    }


def claim(context: RenderContext) -> Manifest:
    """The canary's volume, from the cluster's default StorageClass."""
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": CANARY_VOLUME,
            "namespace": CANARY_NAMESPACE,
            "labels": _labels(context),
        },
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": VOLUME_SIZE}},
        },
    }


def writer(context: RenderContext, cluster: ClusterPlan) -> Manifest:
    """The Deployment that writes the marker once and keeps the volume mounted."""
    labels = {**_labels(context), "app.kubernetes.io/component": "canary-writer"}
    env: list[Manifest] = [
        {"name": "CLUSTER", "value": cluster.name},
        {
            "name": "POD_NAMESPACE",
            "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}},
        },
    ]
    container = _shell("writer", WRITER_SCRIPT, env, read_only=False)
    container["readinessProbe"] = {
        "exec": {"command": ["sha256sum", "-c", CHECKSUM]},
        "periodSeconds": 60,
    }
    container["livenessProbe"] = {
        "exec": {"command": ["test", "-d", DATA_DIR]},
        "periodSeconds": 60,
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": CANARY_VOLUME, "namespace": CANARY_NAMESPACE, "labels": labels},
        "spec": {
            "replicas": 1,
            "strategy": {"type": "Recreate"},  # one node at a time for a ReadWriteOnce volume
            "selector": {"matchLabels": dict(labels)},  # copies: no YAML aliases
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "automountServiceAccountToken": False,
                    "terminationGracePeriodSeconds": 5,
                    "securityContext": _pod_security_context(),
                    "containers": [container],
                    "volumes": [
                        {"name": "data", "persistentVolumeClaim": {"claimName": CANARY_VOLUME}}
                    ],
                },
            },
        },
    }


def verify_job(context: RenderContext, cluster: ClusterPlan) -> Manifest:
    """The Job that reads the restored volume in the scratch namespace (see module docs)."""
    labels = {**_labels(context), "app.kubernetes.io/component": "verify"}
    writer_labels = writer(context, cluster)["spec"]["selector"]["matchLabels"]
    env: list[Manifest] = [
        {"name": "CLUSTER", "value": cluster.name},
        {"name": "SOURCE_NAMESPACE", "value": CANARY_NAMESPACE},
    ]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": VERIFY, "namespace": SCRATCH_NAMESPACE, "labels": labels},
        "spec": {
            "backoffLimit": 0,
            "activeDeadlineSeconds": DATA_DEADLINE_SECONDS,
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "restartPolicy": "Never",
                    "automountServiceAccountToken": False,
                    "securityContext": _pod_security_context(),
                    # The restored writer has the volume attached: run beside it.
                    "affinity": {
                        "podAffinity": {
                            "requiredDuringSchedulingIgnoredDuringExecution": [
                                {
                                    "labelSelector": {"matchLabels": writer_labels},
                                    "topologyKey": "kubernetes.io/hostname",
                                }
                            ]
                        }
                    },
                    "containers": [_shell("verify", VERIFY_SCRIPT, env, read_only=True)],
                    "volumes": [
                        {
                            "name": "data",
                            "persistentVolumeClaim": {"claimName": CANARY_VOLUME, "readOnly": True},
                        }
                    ],
                },
            },
        },
    }


def _verify_access(context: RenderContext, namespace: str) -> list[Manifest]:
    """Lets the check start and watch the verifying Job where this is restored."""
    labels = _labels(context)
    return [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": VERIFY, "namespace": CANARY_NAMESPACE, "labels": labels},
            "rules": [
                {
                    "apiGroups": ["batch"],
                    "resources": ["jobs"],
                    "verbs": ["create", "get", "list", "watch"],
                }
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": VERIFY, "namespace": CANARY_NAMESPACE, "labels": labels},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": VERIFY},
            "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": namespace}],
        },
    ]


def canary(context: RenderContext, cluster: ClusterPlan) -> list[Manifest]:
    """The canary namespace and what the check expects back: a ConfigMap, and a volume."""
    objects: list[Manifest] = [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": CANARY_NAMESPACE,
                "labels": {
                    **_labels(context),
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": CANARY_CONFIGMAP,
                "namespace": CANARY_NAMESPACE,
                "labels": _labels(context),
            },
            "data": {"platform": context.platform.name, "cluster": cluster.name},
        },
    ]
    if has_volume(context, cluster):
        namespace = context.component("velero").namespace
        objects += [claim(context), writer(context, cluster), *_verify_access(context, namespace)]
    return objects


def restore(namespace: str, with_volume: bool) -> Manifest:
    """The Restore each run creates (``generateName``: one per run)."""
    return {
        "apiVersion": "velero.io/v1",
        "kind": "Restore",
        "metadata": {
            "generateName": f"{NAME}-",
            "namespace": namespace,
            "labels": {"app.kubernetes.io/name": NAME},
        },
        "spec": {
            "scheduleName": CANARY_SCHEDULE,
            "includedNamespaces": [CANARY_NAMESPACE],
            "namespaceMapping": {CANARY_NAMESPACE: SCRATCH_NAMESPACE},
            "restorePVs": with_volume,
        },
    }


def _rbac(context: RenderContext, namespace: str, with_volume: bool) -> list[Manifest]:
    labels = _labels(context)
    cluster_role = CLUSTER_ROLE
    subject = {"kind": "ServiceAccount", "name": NAME, "namespace": namespace}
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": NAME, "namespace": namespace, "labels": labels},
            "automountServiceAccountToken": False,
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": NAME, "namespace": namespace, "labels": labels},
            "rules": [
                {
                    "apiGroups": ["velero.io"],
                    "resources": ["restores"],
                    "verbs": ["create", "get", "list", "watch", "delete"],
                }
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": NAME, "namespace": namespace, "labels": labels},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": NAME},
            "subjects": [subject],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": cluster_role, "labels": labels},
            "rules": [
                {
                    "apiGroups": [""],
                    "resources": ["namespaces"],
                    "resourceNames": [SCRATCH_NAMESPACE],
                    "verbs": ["get", "list", "watch", "delete"],
                },
                {
                    "apiGroups": [""],
                    "resources": ["configmaps"],
                    "resourceNames": [CANARY_CONFIGMAP],
                    "verbs": ["get", "list", "watch"],
                },
                *(
                    [
                        {
                            "apiGroups": [""],
                            "resources": ["persistentvolumeclaims"],
                            "resourceNames": [CANARY_VOLUME],
                            "verbs": ["get", "list", "watch"],
                        }
                    ]
                    if with_volume
                    else []
                ),
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": cluster_role, "labels": labels},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": cluster_role,
            },
            "subjects": [subject],
        },
    ]


def steps(cluster: ClusterPlan, namespace: str, with_volume: bool) -> list[tuple[str, list[str]]]:
    """The check's kubectl commands, in order: ``(container name, arguments)``."""
    delete_scratch = [
        "delete",
        "namespace",
        SCRATCH_NAMESPACE,
        "--ignore-not-found",
        "--wait",
        f"--timeout={DELETE_TIMEOUT}",
    ]
    objects: list[tuple[str, list[str]]] = [
        ("clear-scratch", delete_scratch),
        (
            "clear-restores",
            ["delete", "restores.velero.io", "-n", namespace, "-l", SELECTOR, "--wait"],
        ),
        ("restore", ["create", "-f", RESTORE_FILE]),
        (
            "wait-restore",
            [
                "wait",
                "restores.velero.io",
                "-n",
                namespace,
                "-l",
                SELECTOR,
                "--for=jsonpath={.status.phase}=Completed",
                f"--timeout={RESTORE_TIMEOUT}",
            ],
        ),
        (
            "verify",
            [
                "wait",
                f"configmap/{CANARY_CONFIGMAP}",
                "-n",
                SCRATCH_NAMESPACE,
                f"--for=jsonpath={{.data.cluster}}={cluster.name}",
                f"--timeout={VERIFY_TIMEOUT}",
            ],
        ),
    ]
    if with_volume:
        objects += [
            (
                "wait-volume",
                [
                    "wait",
                    f"persistentvolumeclaim/{CANARY_VOLUME}",
                    "-n",
                    SCRATCH_NAMESPACE,
                    "--for=jsonpath={.status.phase}=Bound",
                    f"--timeout={BIND_TIMEOUT}",
                ],
            ),
            ("verify-data", ["create", "-f", VERIFY_FILE]),
            (
                "wait-verify-data",
                [
                    "wait",
                    f"job/{VERIFY}",
                    "-n",
                    SCRATCH_NAMESPACE,
                    "--for=condition=Complete",
                    f"--timeout={DATA_TIMEOUT}",
                ],
            ),
        ]
    return [*objects, ("clean-up", list(delete_scratch))]  # a copy: no YAML alias


def _container(context: RenderContext, name: str, arguments: list[str]) -> Manifest:
    return {
        "name": name,
        "image": f"{KUBECTL_IMAGE}:v{context.platform.kubernetes.semver}",
        "args": arguments,
        "env": [{"name": "HOME", "value": "/tmp"}],  # kubectl's discovery cache
        "resources": {
            "requests": {"cpu": "10m", "memory": "32Mi"},
            "limits": {"cpu": "100m", "memory": "128Mi"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [
            {"name": "restore", "mountPath": "/restore", "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }


def cronjob(context: RenderContext, cluster: ClusterPlan, namespace: str, minute: int) -> Manifest:
    """The monthly CronJob running :func:`steps`."""
    with_volume = has_volume(context, cluster)
    containers = [_container(context, n, a) for n, a in steps(cluster, namespace, with_volume)]
    pod = {
        "serviceAccountName": NAME,
        "automountServiceAccountToken": True,
        "restartPolicy": "Never",
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": USER,
            "runAsGroup": USER,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "initContainers": containers[:-1],
        "containers": containers[-1:],
        "volumes": [
            {"name": "restore", "configMap": {"name": NAME}},
            {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
        ],
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": NAME, "namespace": namespace, "labels": _labels(context)},
        "spec": {
            "schedule": monthly_cron(minute),
            "timeZone": "Etc/UTC",
            "concurrencyPolicy": "Forbid",
            "successfulJobsHistoryLimit": 1,
            "failedJobsHistoryLimit": 1,
            "jobTemplate": {
                "spec": {
                    "backoffLimit": 0,
                    "activeDeadlineSeconds": JOB_DEADLINE_SECONDS,
                    "template": {"metadata": {"labels": _labels(context)}, "spec": pod},
                }
            },
        },
    }


def restore_check(context: RenderContext, cluster: ClusterPlan, minute: int) -> list[Manifest]:
    """Everything but the canary's Schedule, which the backup module writes."""
    namespace = context.component("velero").namespace
    with_volume = has_volume(context, cluster)
    files = {"restore.yaml": dump_yaml(restore(namespace, with_volume))}
    if with_volume:
        files["verify.yaml"] = dump_yaml(verify_job(context, cluster))
    restore_config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": NAME, "namespace": namespace, "labels": _labels(context)},
        "data": files,
    }
    return [
        *canary(context, cluster),
        *_rbac(context, namespace, with_volume),
        restore_config,
        cronjob(context, cluster, namespace, minute),
    ]

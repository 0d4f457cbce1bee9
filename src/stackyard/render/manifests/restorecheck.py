"""The monthly restore check: Velero restores a canary namespace and a Job verifies it.

A backup that was never restored is not a backup, so every cluster that runs Velero proves
once a month that its backups restore, without touching anything real:

- **Canary.** Namespace ``restore-check-canary`` holds one ConfigMap,
  ``stackyard-restore-check``, whose ``cluster`` key names the cluster. The Schedule
  ``restore-check-canary`` backs up that namespace alone, daily, to the same location as
  the platform's backups (same bucket, same credentials, same Velero), with the same
  30-day retention.
- **Restore.** A Velero ``Restore`` cannot be scheduled, so the CronJob ``restore-check``
  (in Velero's namespace, on the 1st of each month at 04:00 UTC plus the cluster's
  offset, after the canary's daily backup) creates one: from the newest successful backup
  of the canary Schedule (``scheduleName``), the canary namespace mapped to
  ``restore-check-scratch``
  (https://velero.io/docs/main/api-types/restore/).
- **Verify.** The Job waits for the Restore's phase ``Completed`` (a ``Failed`` or
  ``PartiallyFailed`` restore never gets there and the wait times out), then for the
  restored ConfigMap in the scratch namespace to carry this cluster's name, and deletes
  the scratch namespace. Each step is one ``kubectl`` command in its own container, run
  in order as init containers, so the image needs no shell: ``registry.k8s.io/kubectl``
  at the cluster's Kubernetes version (published from v1.28). The first steps delete the
  scratch namespace and earlier check Restores a failed run may have left, so a wait
  only ever sees this run's Restore.
- **Result.** Any failed step fails the Job (no retries: ``backoffLimit: 0``). The
  result is kube-state-metrics' ``kube_cronjob_status_last_successful_time`` and
  ``kube_cronjob_status_last_schedule_time`` of the CronJob, which the backup alerts
  read (:mod:`stackyard.render.manifests.backupalerts`); the platform runs no
  Pushgateway, and the Kubernetes objects are the record.

Permissions: the ServiceAccount may create, watch and delete Restores in Velero's
namespace only (a Role), and, cluster-wide but by name only (a ClusterRole with
``resourceNames``), read the ConfigMap ``stackyard-restore-check`` and read and delete
the Namespace ``restore-check-scratch``. Velero itself writes the restored objects.
"""

from __future__ import annotations

from stackyard.plan import ClusterPlan
from stackyard.render.context import LABEL_PREFIX, RenderContext
from stackyard.render.tree import Manifest
from stackyard.render.yamlout import dump_yaml

NAME = "restore-check"
CANARY_NAMESPACE = "restore-check-canary"
SCRATCH_NAMESPACE = "restore-check-scratch"
CANARY_CONFIGMAP = "stackyard-restore-check"
CANARY_SCHEDULE = "restore-check-canary"
RESTORE_FILE = "/restore/restore.yaml"
KUBECTL_IMAGE = "registry.k8s.io/kubectl"
CHECK_HOUR = 4  # UTC, after the canary's daily backup at 02:xx
RESTORE_TIMEOUT = "30m"
VERIFY_TIMEOUT = "2m"
DELETE_TIMEOUT = "10m"
JOB_DEADLINE_SECONDS = 3600
SELECTOR = f"app.kubernetes.io/name={NAME}"
CLUSTER_ROLE = f"stackyard-{NAME}"  # a DNS label, like every rendered name


def _labels(context: RenderContext) -> dict[str, str]:
    return {"app.kubernetes.io/name": NAME, f"{LABEL_PREFIX}/platform": context.platform.name}


def monthly_cron(offset_minute: int) -> str:
    """The check's schedule: the 1st of each month, 04:00 UTC plus the cluster's offset."""
    return f"{offset_minute % 60} {CHECK_HOUR} 1 * *"


def canary_namespaces(cluster: ClusterPlan) -> list[str]:
    """The canary namespace where the check runs (with Velero): it holds data, no pods."""
    return [CANARY_NAMESPACE] if cluster.has("velero") else []


def canary(context: RenderContext, cluster: ClusterPlan) -> list[Manifest]:
    """The canary namespace and the ConfigMap the check expects back."""
    return [
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


def restore(namespace: str) -> Manifest:
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
            "restorePVs": False,
        },
    }


def _rbac(context: RenderContext, namespace: str) -> list[Manifest]:
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


def steps(cluster: ClusterPlan, namespace: str) -> list[tuple[str, list[str]]]:
    """The check's kubectl commands, in order: ``(container name, arguments)``."""
    delete_scratch = [
        "delete",
        "namespace",
        SCRATCH_NAMESPACE,
        "--ignore-not-found",
        "--wait",
        f"--timeout={DELETE_TIMEOUT}",
    ]
    return [
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
        ("clean-up", delete_scratch),
    ]


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
    containers = [_container(context, n, a) for n, a in steps(cluster, namespace)]
    pod = {
        "serviceAccountName": NAME,
        "automountServiceAccountToken": True,
        "restartPolicy": "Never",
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65532,
            "runAsGroup": 65532,
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
    restore_config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": NAME, "namespace": namespace, "labels": _labels(context)},
        "data": {"restore.yaml": dump_yaml(restore(namespace))},
    }
    return [
        *canary(context, cluster),
        *_rbac(context, namespace),
        restore_config,
        cronjob(context, cluster, namespace, minute),
    ]

"""Where the platform keeps its data: volumes, buckets and object stores; Longhorn and MinIO.

Policy, shared by every builder that stores something:

- Volume sizes come from the catalog entry's ``storage``, not from values files. On
  provider local, Vault and MinIO use the Retain class (as in the reference local
  multi-cluster architecture), so their volumes outlive their claims.
- A bucket is ``<platform>-<purpose>`` on S3 and MinIO alike. The spec's external object
  store (``objectStorage``, :mod:`stackyard.render.objectstore`) comes first, with its own
  bucket names; without one, a store on AWS writes to S3; elsewhere to the MinIO on its
  own cluster, or to its own volume when there is none (Loki always does on provider
  local).
- MinIO creates the buckets its consumers use: Velero's, and those of the stores beside it,
  all versioned: backup tier L3, so an overwritten or deleted object can be
  restored up to the last write. Noncurrent versions are kept until an ILM rule expires
  them (``mc ilm rule add --noncurrent-expire-days``), which the chart cannot set.
- Velero copies volume data the way the plan chose (:mod:`stackyard.plan.volumebackup`).
  Where that is CSI snapshots, its server runs with the ``EnableCSI`` feature (chart
  ``configuration.features``, passed as ``--features``; built into Velero since 1.14,
  https://velero.io/docs/main/csi/), moves snapshot data to the object store by default
  (``configuration.defaultSnapshotMoveData``) and backs up no volume file by file unless
  asked (``configuration.defaultVolumesToFsBackup: false``; the values file's ``true``
  stays for file-system backup). ``snapshotsEnabled`` stays false: it only makes the chart
  write a VolumeSnapshotLocation for a cloud snapshot plugin
  (``templates/volumesnapshotlocation.yaml``), which CSI snapshots do not use. Where
  Prometheus or its agent runs, the chart's ServiceMonitor
  (``metrics.serviceMonitor.enabled``) has Velero's metrics scraped for the backup alerts;
  its ``autodetect`` looks for the API only when Helm itself renders against the cluster.
"""

from __future__ import annotations

from stackyard.plan import ClusterPlan
from stackyard.plan.stores import Store, component_store
from stackyard.plan.stores import object_store as plan_object_store
from stackyard.plan.volumebackup import volume_backup
from stackyard.render.context import RenderContext
from stackyard.render.etcd_copies import etcd_bucket
from stackyard.render.objectstore import bucket_name, external_store
from stackyard.render.valuebuilders.provider import aws_region
from stackyard.render.values import ValueBuilder, Values

SCRAPERS = {"metrics", "metrics-agent"}
"""Capabilities of the components that scrape ServiceMonitors (Prometheus, its agent)."""
RETAIN_STORAGE_CLASS = "local-path-retain"
"""The Retain class of provider local, for Vault and MinIO (the reference local architecture)."""


def storage_size(context: RenderContext, component: str) -> str:
    """The volume size the catalog gives ``component``."""
    storage = context.component(component).storage
    if storage is None:  # a catalog invariant for the components that ask
        raise ValueError(f"catalog entry {component} has no storage size")
    return storage


def retain_class(context: RenderContext) -> dict[str, str]:
    """Values selecting the Retain storage class on provider local, else none."""
    return {"storageClass": RETAIN_STORAGE_CLASS} if context.platform.provider == "local" else {}


def object_store(context: RenderContext, cluster: ClusterPlan) -> Store:
    """Where a store on ``cluster`` keeps objects: the plan's decision.

    ``external`` (the spec's ``objectStorage``), ``s3`` (AWS), ``minio`` (beside it) or
    ``filesystem`` (:func:`stackyard.plan.stores.object_store`).
    """
    return plan_object_store(context.platform, _running(cluster))


def loki_store(context: RenderContext, cluster: ClusterPlan) -> Store:
    """Loki's chunk store: the decision the plan sized Loki's replicas with.

    Its own volume on provider local without an external store (the catalog's
    ``localVolume``), else objects (:func:`stackyard.plan.stores.component_store`).
    """
    return component_store(context.platform, context.component("loki"), _running(cluster))


def _running(cluster: ClusterPlan) -> frozenset[str]:
    return frozenset(planned.name for planned in cluster.components)


def minio_endpoint(context: RenderContext) -> str:
    """The in-cluster S3 endpoint of MinIO, for stores that keep objects in it."""
    return f"minio.{context.component('minio').namespace}.svc:9000"


def _longhorn(context: RenderContext, cluster: ClusterPlan) -> Values:
    values: Values = {
        "persistence": {"defaultClassReplicaCount": min(3, cluster.cluster.node_count)}
    }
    region = aws_region(context, cluster)
    if context.platform.provider == "aws" and region:
        # No credential Secret: S3 is reached with the node's IAM role, as Loki and Mimir do.
        target = f"s3://{bucket_name(context, 'longhorn-backups')}@{region}/"
        values["defaultBackupStore"] = {"backupTarget": target}
    return values


def minio_buckets(context: RenderContext, cluster: ClusterPlan) -> list[str]:
    """Buckets the platform's consumers use in the MinIO on ``cluster``."""
    if not cluster.has("minio") or external_store(context) is not None:
        return []
    # Every cluster's Velero writes to <platform>-velero (manifests/backup.py).
    buckets = [bucket_name(context, "velero")]
    for store in ("thanos", "mimir"):
        if cluster.has(store):
            buckets.append(bucket_name(context, store))
    if cluster.has("loki") and loki_store(context, cluster) == "minio":
        buckets.append(bucket_name(context, "loki"))
    if context.platform.kubernetes.distribution == "kubeadm":
        # The etcd snapshot CronJobs copy there (render/etcd_copies.py); RKE2's copies are
        # configured, bucket included, in the etcd-s3-secret the operator creates.
        buckets.append(etcd_bucket(context))
    return buckets


def _minio(context: RenderContext, cluster: ClusterPlan) -> Values:
    persistence: Values = {"size": storage_size(context, "minio"), **retain_class(context)}
    buckets = [
        {"name": name, "policy": "none", "purge": False, "versioning": True}
        for name in minio_buckets(context, cluster)
    ]
    return {"persistence": persistence, "buckets": buckets}


def _velero(context: RenderContext, cluster: ClusterPlan) -> Values:
    values: Values = {}
    backup = volume_backup(cluster, context.platform.kubernetes.distribution)
    if backup.method == "csi":
        values["configuration"] = {
            "features": "EnableCSI",
            "defaultSnapshotMoveData": True,
            "defaultVolumesToFsBackup": False,
        }
    if any(SCRAPERS.intersection(p.component.provides) for p in cluster.components):
        values["metrics"] = {"serviceMonitor": {"enabled": True}}
    return values


BUILDERS: dict[str, ValueBuilder] = {
    "longhorn": _longhorn,
    "minio": _minio,
    "velero": _velero,
}

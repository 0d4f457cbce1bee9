"""Velero backup location and schedules per cluster (backup tier L2, roadmap item E1).

Location: one ``default`` BackupStorageLocation through the AWS plugin. With an external
object store in the spec (``objectStorage``) it is that store: its endpoint as ``s3Url``
(none for AWS S3 itself), its region and addressing, its ``velero`` bucket, and its
credentials Secret (key ``cloud``) or, without one, the nodes' role or IRSA. Otherwise,
with MinIO in the plan (local, on premises) it is MinIO's in-cluster Service on the
cluster that runs it and ``https://minio.<domain>`` elsewhere, path-style addressing; on
AWS it is S3 in the cluster's region. Without either, the plan stops at check SY701, so
no endpoint is ever invented. Every cluster writes to the bucket ``<platform>-velero``
(or the external store's) under the prefix ``<cluster>``. The MinIO credential
is the Secret ``velero-credentials`` (key ``cloud``, an AWS credentials file) in Velero's
namespace, referenced by name only and supplied at bootstrap or by External Secrets; on
AWS there is none, Velero uses the nodes' instance profile (as its chart values say), since
a reference to a Secret that never exists would fail the location's validation. A
cluster reaching MinIO through another cluster's gateway trusts the Secret
``platform-ca-bundle`` (key ``ca.crt``) in Velero's namespace, also supplied at bootstrap.

Schedules, cron from ``slo.rpo`` (the interval between two backups never exceeds it):

- RPO under an hour: every *m* minutes, *m* the largest divisor of 60 not above the RPO;
- RPO from one hour to under a day: every *h* hours, *h* the largest divisor of 24 not
  above the RPO in hours (1h gives hourly);
- RPO of a day or more: daily.

Clusters start at different minutes (ten apart, by spec order) so they do not all hit the
object store at once. Backups live 30 days (``720h``), enough for a monthly restore drill.
``platform-resources`` backs up every namespace's objects and the cluster-scoped ones;
only Events are left out. Where the cluster has a storage provider, ``platform-volumes``
copies persistent-volume data; it holds only Pods, PVCs and PVs, so restore the resources
backup first, then the volumes one. How it copies is the plan's choice
(:mod:`stackyard.plan.volumebackup`):

- CSI snapshots (Longhorn on RKE2): one VolumeSnapshotClass per CSI driver, labelled
  ``velero.io/csi-volumesnapshot-class: "true"`` so Velero picks it for that driver
  (https://velero.io/docs/main/csi/), with the parameters the catalog entry gives and
  ``deletionPolicy: Delete`` (the data mover's copy is the backup, the in-cluster
  snapshot only its source). The schedule snapshots volumes and moves the data
  (``snapshotMoveData``) to the object store, with no file-system backup; Velero's values
  turn its CSI support on (:mod:`stackyard.render.valuebuilders.storage`).
- File-system backup (local-path, or no snapshot controller): the node agent copies each
  volume's files with Kopia, which works on any volume.

The monthly restore check (:mod:`stackyard.render.manifests.restorecheck`) has its own
daily Schedule of a canary namespace, in ``restore-check.yaml``, copying the canary's
volume by the same method; it is not a backup of the platform, so it is not declared as
one. etcd snapshots (tier L1) are node bootstrap's, not
Velero's.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.plan import ClusterPlan, Edge
from stackyard.plan.volumebackup import VolumeBackup, volume_backup
from stackyard.render.addresses import CA_BUNDLE_SECRET, CA_KEY
from stackyard.render.context import RenderContext
from stackyard.render.manifests.base import AFTER_CHART, Placed, in_wave
from stackyard.render.manifests.restorecheck import CANARY_NAMESPACE, CANARY_SCHEDULE, restore_check
from stackyard.render.objectstore import (
    VELERO_CREDENTIALS_KEY,
    ExternalStore,
    bucket_name,
    external_store,
    object_store_url,
)
from stackyard.render.settings import At, BackupDeclared, StoreDeclared
from stackyard.render.tree import Manifest, RenderError
from stackyard.spec.units import parse_duration

LOCATION = "default"
CREDENTIAL_SECRET = "velero-credentials"
CREDENTIAL_KEY = "cloud"
TTL = "720h0m0s"
DAILY_HOUR = 2  # UTC, outside office hours in most places
MINUTE_STEP = 10
EXCLUDED_RESOURCES = ["events", "events.events.k8s.io"]
VOLUME_RESOURCES = ["persistentvolumeclaims", "persistentvolumes", "pods"]
SNAPSHOT_CLASS_LABEL = "velero.io/csi-volumesnapshot-class"
RESOURCES_SCHEDULE = "platform-resources"
VOLUMES_SCHEDULE = "platform-volumes"
PLATFORM_SCHEDULES = (RESOURCES_SCHEDULE, VOLUMES_SCHEDULE)
HOUR = 3600
DAY = 24 * HOUR


def _largest_divisor_at_most(total: int, limit: int) -> int:
    return max(d for d in range(1, total + 1) if total % d == 0 and d <= max(limit, 1))


def backup_cron(rpo_seconds: float, offset_minute: int = 0) -> str:
    """A cron schedule whose interval never exceeds ``rpo_seconds`` (see module docs)."""
    minute = offset_minute % 60
    if rpo_seconds < HOUR:
        step = _largest_divisor_at_most(60, int(rpo_seconds // 60))
        return "* * * * *" if step == 1 else f"*/{step} * * * *"
    if rpo_seconds < DAY:
        step = _largest_divisor_at_most(24, int(rpo_seconds // HOUR))
        return f"{minute} * * * *" if step == 1 else f"{minute} */{step} * * *"
    return f"{minute} {DAILY_HOUR} * * *"


def backup_interval(rpo_seconds: float) -> int:
    """Seconds between two runs of :func:`backup_cron` for ``rpo_seconds``."""
    if rpo_seconds < HOUR:
        return 60 * _largest_divisor_at_most(60, int(rpo_seconds // 60))
    if rpo_seconds < DAY:
        return HOUR * _largest_divisor_at_most(24, int(rpo_seconds // HOUR))
    return DAY


def bucket(context: RenderContext) -> str:
    """The bucket every cluster of the platform backs up to."""
    external = external_store(context)
    return external.bucket("velero") if external else bucket_name(context, "velero")


def _external_config(external: ExternalStore, spec: Manifest) -> dict[str, str]:
    # Config keys of the AWS plugin's BackupStorageLocation:
    # https://github.com/vmware-tanzu/velero-plugin-for-aws/blob/main/backupstoragelocation.md
    config = {"region": external.region}
    if external.url is not None:
        config["s3Url"] = external.url
    if external.path_style:
        config["s3ForcePathStyle"] = "true"
    if external.credentials_secret is not None:
        spec["credential"] = {"name": external.credentials_secret, "key": VELERO_CREDENTIALS_KEY}
    return config


def _velero_stores(context: RenderContext) -> dict[str, Edge]:
    """Cluster → the first edge of its Velero to object storage (one pass over the fleet)."""
    stores: dict[str, Edge] = {}
    for edge in context.plan.edges:
        if edge.consumer == "velero" and edge.capability == "object-storage":
            stores.setdefault(edge.cluster, edge)
    return stores


def _object_store_provider(context: RenderContext, cluster: ClusterPlan) -> Edge | None:
    return context.derived(_velero_stores).get(cluster.name)


def storage_location(context: RenderContext, cluster: ClusterPlan) -> Manifest:
    """The default BackupStorageLocation of ``cluster``."""
    platform = context.platform
    edge = _object_store_provider(context, cluster)
    provider = edge.provider if edge else None
    object_storage: Manifest = {"bucket": bucket(context), "prefix": cluster.name}
    spec: Manifest = {
        "provider": "aws",
        "default": True,
        "accessMode": "ReadWrite",
        "objectStorage": object_storage,
    }
    config: dict[str, str]
    external = external_store(context)
    if external is not None:
        config = _external_config(external, spec)
    elif provider is not None:
        url = object_store_url(context, cluster, provider)
        config = {"region": "minio", "s3ForcePathStyle": "true", "s3Url": url}
        if url.startswith("https://"):
            # MinIO behind another cluster's gateway: trust the platform CA bundle.
            object_storage["caCertRef"] = {"name": CA_BUNDLE_SECRET, "key": CA_KEY}
    elif platform.provider == "aws":
        aws = cluster.cluster.aws
        region = (aws.region if aws else None) or (platform.aws.region if platform.aws else "")
        config = {"region": region}
    else:
        # Plan check SY701 refuses this spec; never invent an endpoint for it.
        raise RenderError(
            f"cluster {cluster.name}: Velero has no object store "
            "(run MinIO or declare objectStorage)"
        )
    spec["config"] = config
    if external is None and provider is not None:
        spec["credential"] = {"name": CREDENTIAL_SECRET, "key": CREDENTIAL_KEY}
    return {
        "apiVersion": "velero.io/v1",
        "kind": "BackupStorageLocation",
        "metadata": {"name": LOCATION, "namespace": context.component("velero").namespace},
        "spec": spec,
    }


def schedule(context: RenderContext, name: str, cron: str, template: Manifest) -> Manifest:
    """A Velero Schedule writing to the default location."""
    return {
        "apiVersion": "velero.io/v1",
        "kind": "Schedule",
        "metadata": {"name": name, "namespace": context.component("velero").namespace},
        "spec": {
            "schedule": cron,
            "useOwnerReferencesInBackup": False,  # backups outlive a deleted Schedule
            "template": {"storageLocation": LOCATION, "ttl": TTL, **template},
        },
    }


def volumes(context: RenderContext, cluster: ClusterPlan) -> VolumeBackup:
    """How Velero copies ``cluster``'s volume data (the plan's decision)."""
    return volume_backup(cluster, context.platform.kubernetes.distribution)


def snapshot_classes(backup: VolumeBackup) -> list[Manifest]:
    """One VolumeSnapshotClass per CSI driver Velero snapshots through (see module docs)."""
    return [
        {
            "apiVersion": "snapshot.storage.k8s.io/v1",
            "kind": "VolumeSnapshotClass",
            "metadata": {
                "name": f"velero-{driver.component}",
                "labels": {SNAPSHOT_CLASS_LABEL: "true"},
            },
            "driver": driver.driver,
            "deletionPolicy": "Delete",
            **({"parameters": dict(driver.parameters)} if driver.parameters else {}),
        }
        for driver in backup.drivers
    ]


def volume_settings(backup: VolumeBackup) -> Manifest:
    """A backup template's fields that copy volume data by ``backup``'s method."""
    if backup.method == "csi":
        return {
            "snapshotVolumes": True,
            "snapshotMoveData": True,
            "defaultVolumesToFsBackup": False,
        }
    if backup.method == "filesystem":
        return {"snapshotVolumes": False, "defaultVolumesToFsBackup": True}
    return {"snapshotVolumes": False, "defaultVolumesToFsBackup": False}


def _volume_template(backup: VolumeBackup) -> Manifest:
    return {
        "includedNamespaces": ["*"],
        "includedResources": list(VOLUME_RESOURCES),
        **volume_settings(backup),
    }


def schedules(context: RenderContext, cluster: ClusterPlan) -> list[Manifest]:
    """The resources schedule, and the volume-data one where volumes can exist."""
    cron = backup_cron(parse_duration(context.platform.slo.rpo), cluster.index * MINUTE_STEP)
    objects = [
        schedule(
            context,
            RESOURCES_SCHEDULE,
            cron,
            {
                "includedNamespaces": ["*"],
                "includeClusterResources": True,
                "excludedResources": list(EXCLUDED_RESOURCES),
                "snapshotVolumes": False,
                "defaultVolumesToFsBackup": False,
            },
        )
    ]
    backup = volumes(context, cluster)
    if backup.method != "none":
        objects.append(schedule(context, VOLUMES_SCHEDULE, cron, _volume_template(backup)))
    return objects


def location_store(
    context: RenderContext, cluster: ClusterPlan, location: Manifest
) -> StoreDeclared:
    """Where the backups written to ``location`` (document 0) are kept, and whose it is."""
    spec = location["spec"]
    named = (
        ("spec", "config", "s3Url")
        if "s3Url" in spec["config"]
        else ("spec", "objectStorage", "bucket")
    )
    edge = _object_store_provider(context, cluster)
    if external_store(context) is None and edge is not None:
        return StoreDeclared(At(named), edge.provider_cluster, edge.provider)
    return StoreDeclared(At(named), None)  # the spec's external store, or S3 on AWS


def backup_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """Velero's location and schedules where Velero runs."""
    if not cluster.has("velero"):
        return
    location = storage_location(context, cluster)
    objects = [location, *schedules(context, cluster)]
    store = location_store(context, cluster, location)
    declared = tuple(
        BackupDeclared(
            "volume-backups",
            f"Velero Schedule {o['metadata']['name']}",
            At(("spec", "schedule"), index),
            At(("spec", "template", "ttl"), index),
            (store,),
        )
        for index, o in enumerate(objects)
        if o["kind"] == "Schedule"
    )
    yield Placed("velero", "backups.yaml", [in_wave(o, AFTER_CHART) for o in objects], declared)
    classes = snapshot_classes(volumes(context, cluster))
    if classes:
        yield Placed("velero", "snapshot-classes.yaml", [in_wave(o, AFTER_CHART) for o in classes])
    minute = cluster.index * MINUTE_STEP
    check = [canary_schedule(context, cluster, minute), *restore_check(context, cluster, minute)]
    yield Placed("velero", "restore-check.yaml", [in_wave(o, AFTER_CHART) for o in check])


def canary_schedule(context: RenderContext, cluster: ClusterPlan, offset_minute: int) -> Manifest:
    """The daily backup of the restore check's canary namespace alone.

    Its volume is copied as ``platform-volumes`` copies every other one, so the check
    restores data the way a real recovery would. With a volume, ``includeClusterResources``
    stays unset: ``false`` would leave out the claim's PersistentVolume too.
    """
    backup = volumes(context, cluster)
    template: Manifest = {"includedNamespaces": [CANARY_NAMESPACE]}
    if backup.method == "none":
        template["includeClusterResources"] = False
    template.update(volume_settings(backup))
    return schedule(context, CANARY_SCHEDULE, backup_cron(DAY, offset_minute), template)

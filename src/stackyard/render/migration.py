"""The Velero objects and the runbook of one migration, for ``migrations/<name>/``.

Given a :class:`~stackyard.plan.migration.MigrationPlan`, this module writes what an
operator applies, in order, to move the namespaces:

- ``source-backup.yaml`` (source cluster): a Velero ``Backup`` of the namespaces to the
  source's default BackupStorageLocation, kept 30 days like the scheduled backups.
  Volumes move as the plan chose: file by file (``defaultVolumesToFsBackup: true``) or
  as CSI snapshots whose data the data mover copies to the store
  (``snapshotMoveData: true``).
- ``target-location.yaml`` (target cluster): a ``BackupStorageLocation`` with
  ``accessMode: ReadOnly`` on the source's bucket and prefix, so the target's Velero
  syncs the backup in and can never write to, or garbage-collect, the source's backups
  (https://velero.io/docs/main/migration-case/). Within one platform it reaches the
  store as the target's own location does (same endpoint, credentials and CA); a target
  of another platform reaches the source platform's store through its public endpoint.
- ``target-restore.yaml`` (target cluster): where storage classes change, the
  ``change-storage-class`` plugin's ConfigMap (labels ``velero.io/plugin-config`` and
  ``velero.io/change-storage-class: RestoreItemAction``,
  https://velero.io/docs/main/restore-reference/#changing-pvpvc-storage-classes), and
  the ``Restore`` with its ``namespaceMapping``.
- ``README.md``: the ordered runbook, with the commands for both clusters.

None of this is platform state: the root Application syncs only ``apps/`` and every
component Application a folder under ``manifests/``, so Argo CD never applies
``migrations/``; the operator does, once, and deletes the objects afterwards.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from stackyard.plan.migration import MigrationPlan
from stackyard.render.addresses import CA_BUNDLE_SECRET, CA_KEY
from stackyard.render.context import LABEL_PREFIX, RenderContext
from stackyard.render.manifests.backup import LOCATION, TTL, storage_location
from stackyard.render.manifests.endpoints import public_url
from stackyard.render.tree import Manifest
from stackyard.render.yamlout import dump_documents

MIGRATIONS_DIR = "migrations"
SOURCE_BACKUP = "source-backup.yaml"
TARGET_LOCATION = "target-location.yaml"
TARGET_RESTORE = "target-restore.yaml"
RUNBOOK = "README.md"
STORAGE_CLASS_CONFIG = "change-storage-class-config"
MAX_NAME = 63  # Velero writes the backup's name into a label value
HEADER = (
    "Migration {name}, written by stackyard migrate plan. Applied once by hand on the "
    "{side} cluster ({cluster}),\nin the order README.md gives; Argo CD never syncs "
    "migrations/."
)


@dataclass(frozen=True)
class Step:
    """One step of the runbook: where it runs, what to do, and the commands."""

    title: str
    cluster: str | None
    """The cluster the commands run against; none for a step outside Kubernetes."""
    detail: str
    commands: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        """JSON shape."""
        return {
            "title": self.title,
            "cluster": self.cluster,
            "detail": self.detail,
            "commands": list(self.commands),
        }


@dataclass(frozen=True)
class MigrationFiles:
    """The files of one migration, relative to the tree (``migrations/<name>/…``)."""

    folder: str
    files: tuple[tuple[str, str], ...]
    """(path relative to the tree, text), in the order they are applied."""
    steps: tuple[Step, ...]
    objects: tuple[Manifest, ...]
    """Every object of the files, in the order they are applied."""


def object_name(migration: MigrationPlan) -> str:
    """The Backup's and Restore's name: ``migrate-<name>``, shortened with a hash if long."""
    name = f"migrate-{migration.name}"
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_NAME - 9].rstrip('-')}-{digest}"


def location_name(migration: MigrationPlan) -> str:
    """The target's read-only location of the source's backups."""
    source = migration.source
    name = (
        f"from-{source.platform}-{source.cluster}"
        if migration.cross_platform
        else f"from-{source.cluster}"
    )
    return name[:MAX_NAME].rstrip("-")


def _labels(migration: MigrationPlan) -> dict[str, str]:
    return {
        "app.kubernetes.io/managed-by": "stackyard",
        f"{LABEL_PREFIX}/migration": object_name(migration),
    }


def backup(migration: MigrationPlan) -> Manifest:
    """The source's Backup of the namespaces (see module docs)."""
    spec: Manifest = {
        "includedNamespaces": [old for old, _ in migration.namespaces],
        "storageLocation": LOCATION,
        "ttl": TTL,
    }
    if migration.file_system_backup:
        spec.update({"snapshotVolumes": False, "defaultVolumesToFsBackup": True})
    else:
        spec.update(
            {"snapshotVolumes": True, "snapshotMoveData": True, "defaultVolumesToFsBackup": False}
        )
    return {
        "apiVersion": "velero.io/v1",
        "kind": "Backup",
        "metadata": {
            "name": object_name(migration),
            "namespace": migration.source.velero_namespace,
            "labels": _labels(migration),
        },
        "spec": spec,
    }


def read_only_location(
    migration: MigrationPlan, source: RenderContext, target: RenderContext
) -> Manifest:
    """The target's read-only location on the source's bucket and prefix."""
    source_cluster = source.plan.cluster(migration.source.cluster)
    if migration.cross_platform:
        location = storage_location(source, source_cluster)
        _reach_from_outside(source, migration, location)
    else:
        # The target reaches the shared store as its own location does.
        location = storage_location(target, target.plan.cluster(migration.target.cluster))
        location["spec"]["objectStorage"]["bucket"] = storage_location(source, source_cluster)[
            "spec"
        ]["objectStorage"]["bucket"]
    spec = location["spec"]
    spec["objectStorage"]["prefix"] = migration.source.cluster
    spec["default"] = False
    spec["accessMode"] = "ReadOnly"
    location["metadata"] = {
        "name": location_name(migration),
        "namespace": migration.target.velero_namespace,
        "labels": _labels(migration),
    }
    return location


def _reach_from_outside(
    source: RenderContext, migration: MigrationPlan, location: Manifest
) -> None:
    """Point a location at the source's MinIO through its gateway, not its Service."""
    config = location["spec"]["config"]
    url = config.get("s3Url", "")
    if not url.startswith("http://"):
        return  # already a public endpoint: S3, the external store, or MinIO's gateway
    provider = next(
        e.provider
        for e in source.plan.edges
        if e.cluster == migration.source.cluster
        and e.consumer == "velero"
        and e.capability == "object-storage"
    )
    config["s3Url"] = public_url(source, provider)
    location["spec"]["objectStorage"]["caCertRef"] = {"name": CA_BUNDLE_SECRET, "key": CA_KEY}


def storage_class_config(migration: MigrationPlan) -> Manifest:
    """Velero's change-storage-class plugin configuration on the target."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": STORAGE_CLASS_CONFIG,
            "namespace": migration.target.velero_namespace,
            "labels": {
                "velero.io/plugin-config": "",
                "velero.io/change-storage-class": "RestoreItemAction",
                **_labels(migration),
            },
        },
        "data": dict(migration.storage_classes),
    }


def restore(migration: MigrationPlan) -> Manifest:
    """The target's Restore of the backup, with the namespaces renamed as planned."""
    spec: Manifest = {
        "backupName": object_name(migration),
        "includedNamespaces": [old for old, _ in migration.namespaces],
    }
    renamed = {old: new for old, new in migration.namespaces if old != new}
    if renamed:
        spec["namespaceMapping"] = renamed
    spec.update({"restorePVs": True, "existingResourcePolicy": "none"})
    return {
        "apiVersion": "velero.io/v1",
        "kind": "Restore",
        "metadata": {
            "name": object_name(migration),
            "namespace": migration.target.velero_namespace,
            "labels": _labels(migration),
        },
        "spec": spec,
    }


def migration_files(
    migration: MigrationPlan, source: RenderContext, target: RenderContext
) -> MigrationFiles:
    """Every file of ``migrations/<name>/`` (see module docs)."""
    folder = f"{MIGRATIONS_DIR}/{migration.name}"
    name = migration.name
    src, dst = migration.source.cluster, migration.target.cluster
    restore_objects = [restore(migration)]
    if migration.storage_classes:
        restore_objects.insert(0, storage_class_config(migration))
    location = read_only_location(migration, source, target)
    files = [
        (
            f"{folder}/{SOURCE_BACKUP}",
            dump_documents(
                [backup(migration)], HEADER.format(name=name, side="source", cluster=src)
            ),
        ),
        (
            f"{folder}/{TARGET_LOCATION}",
            dump_documents([location], HEADER.format(name=name, side="target", cluster=dst)),
        ),
        (
            f"{folder}/{TARGET_RESTORE}",
            dump_documents(restore_objects, HEADER.format(name=name, side="target", cluster=dst)),
        ),
    ]
    steps = tuple(runbook_steps(migration))
    files.append((f"{folder}/{RUNBOOK}", runbook(migration, steps)))
    objects = (backup(migration), location, *restore_objects)
    return MigrationFiles(folder, tuple(files), steps, objects)


def runbook_steps(migration: MigrationPlan) -> Iterable[Step]:
    """The ordered steps of the migration."""
    src, dst = migration.source.cluster, migration.target.cluster
    velero_src = migration.source.velero_namespace
    velero_dst = migration.target.velero_namespace
    name = object_name(migration)
    namespaces = [old for old, _ in migration.namespaces]
    targets = [new for _, new in migration.namespaces]
    phase = "-o jsonpath='{.status.phase}'"
    volumes = (
        "Velero's node agent reads each volume through the pod that mounts it, so keep the "
        "pods running: stop the writers instead (maintenance or read-only mode, or scale "
        "the clients down)."
        if migration.file_system_backup
        else "Volumes are snapshotted, so the pods may be stopped once writes have ceased."
    )
    yield Step(
        "Freeze writes",
        src,
        f"Stop writes to {', '.join(namespaces)} so the backup is consistent. {volumes}",
    )
    yield Step(
        "Back up the namespaces",
        src,
        "Create the Backup on the source cluster.",
        (f"kubectl --context {src} apply -f {SOURCE_BACKUP}",),
    )
    yield Step(
        "Wait until the backup is Completed",
        src,
        "Any other phase (PartiallyFailed, Failed) stops the migration: read the backup's "
        "errors and logs, fix the cause, delete the Backup and back up again.",
        (
            f"kubectl --context {src} -n {velero_src} get backups.velero.io {name} {phase}",
            f"velero --kubecontext {src} -n {velero_src} backup describe {name} --details",
        ),
    )
    yield Step(
        "Sync the backup to the target",
        dst,
        "Create the read-only location on the target; Velero syncs the source's backups "
        "from it (every minute by default) and never writes to it. Wait until the "
        "location is Available and the Backup appears on the target.",
        (
            f"kubectl --context {dst} apply -f {TARGET_LOCATION}",
            f"kubectl --context {dst} -n {velero_dst} get backupstoragelocations.velero.io "
            f"{location_name(migration)} {phase}",
            f"kubectl --context {dst} -n {velero_dst} get backups.velero.io {name}",
        ),
    )
    mapping = (
        " Storage classes change on the way: "
        + ", ".join(f"{old} → {new}" for old, new in migration.storage_classes)
        + f" (the ConfigMap {STORAGE_CLASS_CONFIG} applies to every restore on the target "
        "while it exists)."
        if migration.storage_classes
        else ""
    )
    renamed = [f"{old} → {new}" for old, new in migration.namespaces if old != new]
    rename = f" Namespaces are renamed: {', '.join(renamed)}." if renamed else ""
    yield Step(
        "Restore on the target",
        dst,
        "Create the Restore; objects that already exist on the target are left as they "
        f"are.{rename}{mapping} Wait until its phase is Completed.",
        (
            f"kubectl --context {dst} apply -f {TARGET_RESTORE}",
            f"kubectl --context {dst} -n {velero_dst} get restores.velero.io {name} {phase}",
            f"velero --kubecontext {dst} -n {velero_dst} restore describe {name} --details",
        ),
    )
    yield Step(
        "Verify",
        dst,
        "Every pod is Ready, every claim Bound, and the application's own checks pass "
        "against the restored data.",
        tuple(f"kubectl --context {dst} -n {ns} get pods,persistentvolumeclaims" for ns in targets),
    )
    yield Step(
        "Cut traffic over",
        None,
        f"Point DNS names and clients at {dst}; lower DNS TTLs beforehand so the switch "
        "takes effect quickly. Keep the source frozen until the target serves.",
    )
    yield Step(
        "Decommission",
        None,
        f"Once the target has served for the agreed time: delete the namespaces on {src} "
        f"(and remove {src} from the tenants' clusters in the spec), and delete the "
        "migration's objects on the target. The Backup expires with its TTL (30 days).",
        (
            f"kubectl --context {dst} delete -f {TARGET_RESTORE} -f {TARGET_LOCATION}",
            *(f"kubectl --context {src} delete namespace {ns}" for ns in namespaces),
        ),
    )


def runbook(migration: MigrationPlan, steps: Iterable[Step]) -> str:
    """The README of ``migrations/<name>/``: what moves, the findings, the steps."""
    source, target = migration.source, migration.target
    lines = [
        f"# Migration {migration.name}",
        "",
        f"Moves {', '.join(f'`{old}`' for old, _ in migration.namespaces)} from cluster "
        f"`{source.cluster}` (platform {source.platform}, Kubernetes {source.kubernetes}) "
        f"to cluster `{target.cluster}` (platform {target.platform}, Kubernetes "
        f"{target.kubernetes}) with Velero.",
        "",
        "Written by `stackyard migrate plan`. Argo CD does not sync this folder: the root "
        "Application syncs `apps/` and each component Application a folder under "
        "`manifests/`. A migration is a one-off: apply the files by hand, in the order "
        "below, each on the cluster its header names (the commands use the cluster's name "
        "as the kubeconfig context).",
        "",
        "| what | source | target |",
        "|---|---|---|",
    ]
    lines += [f"| `{old}` | namespace | `{new}` |" for old, new in migration.namespaces]
    lines += [f"| `{old}` | storage class | `{new}` |" for old, new in migration.storage_classes]
    volumes = (
        "file-system backup (Kopia, through the node agent)"
        if migration.file_system_backup
        else "CSI snapshots, moved to the object store by the data mover"
    )
    lines += ["", f"Volumes move by {volumes}.", ""]
    if migration.findings:
        lines += ["## Pre-flight findings", ""]
        lines += [
            f"- **{f.severity}** {f.check}: {f.message} ({f.hint})" for f in migration.findings
        ]
        lines.append("")
    lines += ["## Steps", ""]
    for number, step in enumerate(steps, 1):
        where = f" (on `{step.cluster}`)" if step.cluster else ""
        lines += [f"### {number}. {step.title}{where}", "", step.detail, ""]
        if step.commands:
            lines += ["```sh", *step.commands, "```", ""]
    return "\n".join(lines).rstrip() + "\n"

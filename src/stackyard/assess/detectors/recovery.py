"""Disaster recovery: volume backups, etcd snapshots off the node, Velero, alerts, drills.

Restores are rehearsed when the repository holds Velero Restore objects or scripted
restores, or an etcd restore drill record (``stackyard dr drill etcd --record dr/drills
--cluster NAME``) that passed within :data:`DRILL_INTERVAL`; an older one is reported as
stale, with its file and line, and does not count.

Volume backups off the cluster are read from every tool that writes them: Longhorn's
backup target, Velero's node agent (kopia uploader), VolSync's kopia/restic/rclone
movers, Kasten K10 policies that export, CloudNativePG's Barman object store. Kasten K10
backup policies cover the Kubernetes objects of the applications they select, as Velero
schedules do.

etcd snapshots are read from RKE2/K3s settings wherever they are written (Terraform
``user_data`` included), from ``etcdctl snapshot save`` and ``talosctl etcd snapshot``
in scripts, CI and CronJobs, and from Talos' talos-backup image, which takes a snapshot
through the Talos API and uploads it to S3-compatible storage
(https://github.com/siderolabs/talos-backup; the machine configuration must allow the
``os:etcd:backup`` role).
RKE2 takes local snapshots by default, on the server nodes themselves: that does not
survive losing the nodes, so an assessment asks for a schedule *and* an off-node
(S3) target, as the gap analysis recommends (hourly to S3, RPO 1 h).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import PurePosixPath

from stackyard.assess.detectors.base import (
    Detector,
    DetectorResult,
    FunctionDetector,
    achieved,
    component,
    first_set,
    in_terms,
    missing,
    partial,
    truthy,
)
from stackyard.assess.inputs import RepositoryIndex
from stackyard.assess.inputs.located import Located
from stackyard.assess.model import Evidence, noted

# VolSync movers that copy a volume into a backup repository (rsync and syncthing
# replicate to a live peer instead).
VOLSYNC_BACKUP_MOVERS = ("kopia", "restic", "rclone")
TALOS_BACKUP_IMAGE = "siderolabs/talos-backup"
_TALOSCTL_SNAPSHOT = re.compile(r"\btalosctl\b.*\betcd\s+snapshot\b")
_OFFSITE = re.compile(r"\b(aws\s+s3\s+cp|mc\s+cp|rclone|gsutil|az\s+storage)\b")
_BACKUP_EXPR = re.compile(r"velero_backup|etcd.*snapshot|longhorn_backup|backup_(last|failure)")
DRILL_INTERVAL = datetime.timedelta(days=31)
"""How recent a restore drill must be to count: monthly, the practice the DR-RESTORE-DRILL
control names (maturity.yaml: "a monthly restore drill"); 31 days, the longest month, so a
drill on the same date every month is never late."""
_RESTORE = re.compile(
    r"\bvelero\s+restore\s+create\b|\betcd-snapshot\s+restore\b|cluster-reset-restore-path"
)


def _volume_backups(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = [
        h.evidence
        for h in first_set(
            index.values("longhorn"),
            ("defaultSettings", "backupTarget"),
            ("defaultBackupStore", "backupTarget"),
        )
        if h.value
    ]
    found += [
        o.evidence() for o in index.of_kind("BackupTarget", "RecurringJob", group="longhorn.io")
    ]
    found += [o.evidence() for o in index.of_kind("VolumeSnapshotClass")]
    velero = [
        h.evidence
        for h in first_set(index.values("velero"), ("deployNodeAgent",), ("snapshotsEnabled",))
        if truthy(h.value)
    ]
    if velero:  # the uploader is cited too (kopia: the chart says `velero server` defaults to it)
        velero += [
            h.evidence
            for h in first_set(index.values("velero"), ("configuration", "uploaderType"))
            if str(h.value).lower() in ("kopia", "restic")
        ]
    found += velero
    found += kopia_movers(index) + kasten_exports(index) + database_backups(index)
    return (
        achieved(found, "persistent volumes are backed up off the cluster")
        if found
        else missing(looks_for)
    )


def _etcd_snapshots(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    looks_for = in_terms(
        index,
        looks_for,
        kubeadm="etcdctl snapshot save on a schedule (a CronJob, a systemd timer, a script) "
        "with each snapshot uploaded to object storage",
        rke2="etcd-snapshot-schedule-cron and etcd-s3 in the RKE2 config",
        k3s="etcd-snapshot-schedule-cron and etcd-s3 in the K3s config",
        talos="talosctl etcd snapshot on a schedule (a talos-backup CronJob, a CI job) "
        "with each snapshot uploaded to object storage",
    )
    disabled = [s for s in index.settings("etcd-disable-snapshots") if truthy(s.value)]
    if disabled:
        return missing(
            looks_for, "etcd snapshots are disabled", gaps=[s.evidence for s in disabled]
        )
    schedule = index.settings("etcd-snapshot-schedule-cron")
    offsite = [s for s in index.settings("etcd-s3") if truthy(s.value)] + index.settings(
        "etcd-s3-bucket"
    )
    talos_backup = _talos_backup(index)
    if talos_backup:
        roles = [s.evidence for s in index.settings("talos-etcd-backup-role")]
        return achieved(
            talos_backup + roles,
            "talos-backup snapshots etcd on a schedule and uploads it to object storage",
        )
    scripted = [s.evidence for s in index.settings("etcdctl-snapshot-save")]
    scripted += [s.evidence for s in index.settings("talosctl-etcd-snapshot")]
    scripted += index.text_hits(_TALOSCTL_SNAPSHOT, ("ci",))
    scripted += _cronjob_snapshots(index)
    scripted_offsite = index.text_hits(_OFFSITE, ("script", "user-data"))
    evidence = [s.evidence for s in [*schedule, *offsite]] + scripted
    if (schedule and offsite) or (scripted and scripted_offsite):
        return achieved(
            evidence + (scripted_offsite if scripted else []),
            "scheduled etcd snapshots copied off the nodes (S3)",
        )
    if schedule or scripted:
        return partial(
            evidence, "etcd snapshots are scheduled but stay on the server nodes", looks_for
        )
    if offsite:
        return partial(evidence, "etcd snapshots go to S3 on the default schedule", looks_for)
    distributions = index.distributions()
    rancher = [d for d in distributions if d in ("rke2", "k3s")]
    if not distributions and (
        index.settings("cni", "profile", "cloud-provider-name")
        or index.of_kind("HelmChart", "HelmChartConfig")
    ):
        rancher = ["rke2"]
    if rancher:
        name = " and ".join("RKE2" if d == "rke2" else "K3s" for d in rancher)
        return missing(
            looks_for,
            f"no snapshot schedule or S3 target configured "
            f"({name} keeps only local snapshots on the server nodes)",
        )
    return missing(looks_for)


def kopia_movers(index: RepositoryIndex) -> list[Evidence]:
    """VolSync ReplicationSources that copy a volume to a backup repository.

    The kopia, restic and rclone movers write to a repository named by a Secret (object
    storage); a kopia ``repositoryPVC`` keeps the copy inside the cluster and does not count
    (https://volsync.readthedocs.io/en/stable/usage/kopia/backup-configuration.html).
    """
    found = []
    for source in index.of_kind("ReplicationSource", group="volsync.backube"):
        for mover in VOLSYNC_BACKUP_MOVERS:
            settings = source.get("spec", mover)
            if isinstance(settings, Mapping) and not settings.get("repositoryPVC"):
                # Quoted as written (``kopia:``); the object it belongs to is a note.
                written = source.evidence("spec", mover)
                found.append(
                    replace(written, text=noted(f"{mover}:", f"ReplicationSource {source.name}"))
                )
    return found


def kasten_policies(index: RepositoryIndex, action: str) -> list[Evidence]:
    """Kasten K10 Policies with ``action`` (``backup``; ``export`` copies it off the cluster).

    https://docs.kasten.io/latest/api/policies
    """
    found = []
    for policy in index.of_kind("Policy", group="config.kio.kasten.io"):
        for i, item in enumerate(policy.get("spec", "actions") or []):
            if isinstance(item, Mapping) and item.get("action") == action:
                found.append(
                    policy.evidence(
                        "spec",
                        "actions",
                        i,
                        text=noted(f"action: {action}", f"K10 Policy {policy.name}"),
                    )
                )
    return found


def kasten_exports(index: RepositoryIndex) -> list[Evidence]:
    """K10 Policies that export their backups to a location profile (off the cluster)."""
    return kasten_policies(index, "export")


def database_backups(index: RepositoryIndex) -> list[Evidence]:
    """CloudNativePG clusters that back up to object storage (Barman), and their plugin stores.

    https://cloudnative-pg.io/documentation/current/backup/
    """
    found = []
    for cluster in index.of_kind("Cluster", group="postgresql.cnpg.io"):
        if isinstance(cluster.get("spec", "backup", "barmanObjectStore"), Mapping):
            found.append(cluster.evidence("spec", "backup", "barmanObjectStore"))
        for i, plugin in enumerate(cluster.get("spec", "plugins") or []):
            if isinstance(plugin, Mapping) and "barman" in str(plugin.get("name", "")):
                found.append(cluster.evidence("spec", "plugins", i))
    found += [
        o.evidence(text=f"ObjectStore {o.name}")
        for o in index.of_kind("ObjectStore", group="barmancloud.cnpg.io")
    ]
    return found


def _velero(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    schedules = [
        o.evidence(text=f"Schedule {o.name}") for o in index.of_kind("Schedule", group="velero.io")
    ]
    schedules += [h.evidence for h in first_set(index.values("velero"), ("schedules",)) if h.value]
    kasten = kasten_policies(index, "backup")
    if schedules or kasten:
        counts = [f"{len(schedules)} Velero backup schedules"] if schedules else []
        counts += [f"{len(kasten)} Kasten K10 backup policies"] if kasten else []
        return achieved(schedules + kasten, ", ".join(counts))
    installed = component(
        index, charts=("velero",), groups=("velero.io",), images=("velero/velero",)
    )
    installed += component(index, charts=("k10",), groups=("config.kio.kasten.io",))
    if installed:
        return partial(
            installed,
            "Velero or Kasten K10 is installed but no backup Schedule or Policy is defined",
            looks_for,
        )
    return missing(
        looks_for, "no Velero: Kubernetes objects (Deployments, Secrets, CRDs) are not backed up"
    )


def _backup_alerts(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = []
    for rule in index.of_kind("PrometheusRule"):
        for i, group in enumerate(rule.get("spec", "groups") or []):
            for j, item in enumerate(
                group.get("rules") or [] if isinstance(group, Mapping) else []
            ):
                if isinstance(item, Mapping) and _BACKUP_EXPR.search(str(item.get("expr", ""))):
                    found.append(rule.evidence("spec", "groups", i, "rules", j))
    return achieved(found, f"{len(found)} backup alert rules") if found else missing(looks_for)


def _restore_drill(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = [
        o.evidence(text=f"Restore {o.name}") for o in index.of_kind("Restore", group="velero.io")
    ]
    found += index.text_hits(_RESTORE, ("ci", "script", "user-data"))
    drills, gaps, words = drill_evidence(index, _now())
    if found or drills:
        detail = ", ".join([*(["restores are rehearsed as code"] if found else []), *words])
        return achieved(found + drills, detail, gaps=gaps)
    if gaps:
        return missing(looks_for, "; ".join(words), gaps=gaps)
    return missing(looks_for)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def drill_evidence(
    index: RepositoryIndex, now: datetime.datetime
) -> tuple[list[Evidence], list[Evidence], list[str]]:
    """The etcd restore drill records of the repository, judged at ``now``.

    Records are the ``etcd-drill`` JSON documents ``stackyard dr drill etcd --record``
    keeps (``dr/drills/<cluster>/<time>-etcd.json``; the folder names the cluster). Per
    cluster only the newest counts: evidence when it passed within :data:`DRILL_INTERVAL`
    of ``now``; otherwise a gap, cited with the age and the verdict: a stale record is
    reported, not counted. Returns the evidence, the gaps, and one phrase per cluster.
    """
    newest: dict[str, tuple[datetime.datetime, Located]] = {}
    unreadable: list[Evidence] = []
    for record in index.drill_records:
        started = _started(record.get("started"))
        if started is None:
            unreadable.append(record.evidence("started", text="started: not an ISO 8601 time"))
            continue
        cluster = PurePosixPath(record.file).parent.name or "."
        if cluster not in newest or (started, record.file) > (
            newest[cluster][0],
            newest[cluster][1].file,
        ):
            newest[cluster] = (started, record)
    evidence: list[Evidence] = []
    gaps: list[Evidence] = list(unreadable)
    fresh: list[str] = []
    stale: list[str] = []
    limit = DRILL_INTERVAL.days
    for cluster, (started, record) in sorted(newest.items()):
        days = (now - started).days
        verdict = str(record.get("verdict"))
        note = f"etcd drill {cluster}: {verdict}, {days} days old"
        if days > limit:
            gaps.append(
                record.evidence(
                    "started",
                    text=noted(
                        f"started: {record.get('started')}",
                        f"{note}; stale (interval {limit} days)",
                    ),
                )
            )
            stale.append(f"{cluster} ({days} days)")
        elif verdict != "passed" or days < -1:
            gaps.append(record.evidence("verdict", text=noted(f"verdict: {verdict}", note)))
            stale.append(f"{cluster} (the newest drill {verdict})")
        else:
            evidence.append(
                record.evidence("started", text=noted(f"started: {record.get('started')}", note))
            )
            fresh.append(cluster)
    words = []
    if fresh:
        words.append(f"etcd restore drills passed within {limit} days on {', '.join(fresh)}")
    if stale:
        words.append(f"no passing etcd restore drill within {limit} days on {', '.join(stale)}")
    if unreadable:
        words.append(f"{len(unreadable)} drill records without a readable start time")
    return evidence, gaps, words


def _started(value: object) -> datetime.datetime | None:
    try:
        started = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return started if started.tzinfo is not None else None


def _cronjob_snapshots(index: RepositoryIndex) -> list[Evidence]:
    found = []
    for job in index.of_kind("CronJob"):
        spec = str(job.get("spec"))
        for tool in ("etcdctl", "talosctl"):
            if tool in spec and "snapshot" in spec and TALOS_BACKUP_IMAGE not in spec:
                found.append(job.evidence(text=f"CronJob {job.name} ({tool} snapshot)"))
    return found


def _talos_backup(index: RepositoryIndex) -> list[Evidence]:
    """Where talos-backup runs: a workload's image, or an image named in release values."""
    found = [
        c.image_evidence
        for w in index.workloads
        for c in w.containers
        if TALOS_BACKUP_IMAGE in c.image
    ]
    found += [
        image.evidence
        for summary in index.summaries()
        for image in summary.images
        if TALOS_BACKUP_IMAGE in image.evidence.text
    ]
    return found


DETECTORS: tuple[Detector, ...] = (
    FunctionDetector(
        "volume-backups",
        "Longhorn backupTarget, Longhorn RecurringJobs, VolumeSnapshotClasses, Velero node agent "
        "(kopia), VolSync kopia/restic ReplicationSources, Kasten K10 export policies, "
        "CloudNativePG Barman object-store backups",
        _volume_backups,
    ),
    FunctionDetector(
        "etcd-snapshots",
        "scheduled etcd snapshots (etcd-snapshot-schedule-cron, etcdctl snapshot save, "
        "talosctl etcd snapshot) copied to object storage (etcd-s3, an upload of the snapshot)",
        _etcd_snapshots,
    ),
    FunctionDetector(
        "velero-schedules",
        "Velero Schedule objects, velero values schedules or Kasten K10 backup Policies",
        _velero,
    ),
    FunctionDetector(
        "backup-alerts",
        "PrometheusRule expressions on velero_backup / etcd snapshot / longhorn_backup metrics",
        _backup_alerts,
    ),
    FunctionDetector(
        "restore-drill",
        "Velero Restore objects or scripted restores (velero restore create...)",
        _restore_drill,
    ),
)

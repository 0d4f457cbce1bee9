"""RPO and RTO check: backup tiers and recovery scenarios vs the SLOs.

The tiers come from what the render recorded as it wrote each backup
(``stackyard.render.settings``): schedule, retention and where the copies go, each with
its value, file and line; no rendered file is read again.

Tiers: L1 etcd snapshots (RKE2 ``etcd-snapshot-schedule-cron`` or the kubeadm snapshot
CronJob), L2 volumes (Velero Schedules), L3 the object store (MinIO bucket versioning),
L4 configuration (the Git remote Argo CD syncs from). A tier's worst-case RPO is the
longest gap between two backups its schedule allows (computed from the cron expression
over a year of firings), or zero for a tier that keeps every write.

Where the copies are kept decides what a loss takes with it: a recovery scenario that
loses a cluster (or a node) also loses the copies kept there, so a cluster whose backups
live only on itself (MinIO on mgmt holding mgmt's own backups, snapshots on the only
control-plane node) has nothing to restore from; copies in an external store survive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Literal

from cronsim import CronSim, CronSimError
from pydantic import BaseModel, ConfigDict

from stackyard.plan.recoverytime import RecoverySource, RecoveryTime
from stackyard.render.settings import BackupSchedule, BackupStore, Bucket, Written
from stackyard.simulate.functions import load_packaged_data
from stackyard.simulate.model import RuntimeModel
from stackyard.simulate.settings import Evidence
from stackyard.spec.units import Duration, format_duration, parse_duration

Tier = Literal["L1", "L2", "L3", "L4"]
Verdict = Literal["meets", "exceeds", "missing"]
TIER_TITLES: dict[Tier, str] = {
    "L1": "cluster state (etcd)",
    "L2": "workload state (volumes)",
    "L3": "platform state (object store)",
    "L4": "configuration (Git)",
}
_CRON_START = datetime(2026, 1, 5, tzinfo=UTC)
_CRON_FIRINGS = 2000
_CRON_SPAN_DAYS = 400


@dataclass(frozen=True)
class TierCheck:
    """One tier on one cluster (or platform-wide): how often it is backed up, and the verdict."""

    tier: Tier
    cluster: str | None
    method: str
    rpo_seconds: float | None
    retention: str
    evidence: Evidence | None
    verdict: Verdict
    note: str = ""
    retention_evidence: Evidence | None = None
    stores: tuple[BackupStore, ...] = ()
    """Where the copies are kept, as rendered."""
    places: tuple[str, ...] = ()
    """Each store in words (``MinIO on mgmt``), in the order of ``stores``."""

    @property
    def kept_on(self) -> frozenset[str | None]:
        """The clusters holding the copies (``None``: outside the platform)."""
        return frozenset(store.cluster for store in self.stores)

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "tier": self.tier,
            "title": TIER_TITLES[self.tier],
            "cluster": self.cluster,
            "method": self.method,
            "worstCaseRpo": None if self.rpo_seconds is None else format_duration(self.rpo_seconds),
            "worstCaseRpoSeconds": self.rpo_seconds,
            "retention": self.retention,
            "source": str(self.evidence) if self.evidence else None,
            "retentionSource": str(self.retention_evidence) if self.retention_evidence else None,
            "keptIn": [
                {
                    "where": place,
                    "cluster": store.cluster,
                    "component": store.component,
                    "source": str(_evidence(store.written)) if store.written else None,
                }
                for store, place in zip(self.stores, self.places, strict=True)
            ],
            "verdict": self.verdict,
            "note": self.note,
        }


@dataclass(frozen=True)
class ClusterEstimate:
    """A scenario's recovery time on one cluster: measured by a drill, or documented."""

    cluster: str
    time: RecoveryTime

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {"cluster": self.cluster, **self.time.as_dict()}


@dataclass(frozen=True)
class ScenarioCheck:
    """A recovery scenario's RTO estimate against the SLO."""

    id: str
    title: str
    method: str
    tier: Tier
    estimate_seconds: float
    source: str
    verdict: Verdict
    """``missing`` when the loss takes the only copies of some cluster with it."""
    data_loss: str
    unrecoverable: tuple[str, ...] = ()
    """Clusters this loss leaves without a copy to restore from (kept on what was lost)."""
    clusters: tuple[ClusterEstimate, ...] = ()
    """Per cluster, when drill records were given for a scenario a drill measures."""

    @property
    def estimate_source(self) -> RecoverySource:
        """Whether the estimate was measured by a drill or is the documented one."""
        worst = self.worst
        return worst.time.source if worst is not None else "documented"

    @property
    def worst(self) -> ClusterEstimate | None:
        """The cluster whose recovery takes longest (None without drill records)."""
        if not self.clusters:
            return None
        return max(self.clusters, key=lambda c: c.time.seconds)

    def as_dict(self) -> dict[str, Any]:
        """JSON shape; ``estimateSource`` and ``clusters`` only when drill records were given."""
        shape: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "method": self.method,
            "tier": self.tier,
            "estimate": format_duration(self.estimate_seconds),
            "source": self.source,
            "verdict": self.verdict,
            "dataLoss": self.data_loss,
            "unrecoverable": list(self.unrecoverable),
        }
        if self.clusters:
            shape["estimateSource"] = self.estimate_source
            shape["clusters"] = [c.as_dict() for c in self.clusters]
        return shape


@dataclass(frozen=True)
class DisasterRecovery:
    """Every tier and scenario, with the SLOs they are held to."""

    rpo_seconds: float
    rto_seconds: float
    tiers: tuple[TierCheck, ...]
    scenarios: tuple[ScenarioCheck, ...]

    def tier_rpo(self, tier: Tier, cluster: str | None) -> float | None:
        """Worst-case RPO of ``tier`` on ``cluster`` (platform-wide tiers match any)."""
        values = [
            t.rpo_seconds
            for t in self.tiers
            if t.tier == tier and t.cluster in (cluster, None) and t.rpo_seconds is not None
        ]
        return max(values) if values else None

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "slo": {
                "rpo": format_duration(self.rpo_seconds),
                "rto": format_duration(self.rto_seconds),
            },
            "tiers": [t.as_dict() for t in self.tiers],
            "scenarios": [s.as_dict() for s in self.scenarios],
        }


class RecoveryScenario(BaseModel):
    """One recovery scenario of ``recovery.yaml``: how it is recovered, and how long it takes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    method: str
    tier: Tier
    estimate: Duration
    loses: Literal["nothing", "node", "cluster"] = "nothing"
    """What the loss takes with it: backup copies kept there are gone too."""
    measured_by: Literal["etcd-drill"] | None = None
    """The restore drill that measures this recovery on a cluster, replacing the estimate."""


class _RecoveryData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    scenarios: tuple[RecoveryScenario, ...]


@cache
def _recovery_data() -> _RecoveryData:
    return load_packaged_data("recovery.yaml", _RecoveryData)


def recovery_scenarios() -> tuple[RecoveryScenario, ...]:
    """The documented recovery scenarios, in order."""
    return _recovery_data().scenarios


def estimates_by_cluster(
    scenario: RecoveryScenario,
    clusters: Sequence[str],
    measured: Mapping[str, RecoveryTime],
) -> tuple[ClusterEstimate, ...]:
    """The scenario's time on each cluster: its drill's measurement, else the estimate.

    ``measured``: by cluster, the time its newest drill measured.
    """
    documented = RecoveryTime.documented(parse_duration(scenario.estimate))
    drilled = measured if scenario.measured_by else {}
    return tuple(ClusterEstimate(c, drilled.get(c, documented)) for c in clusters)


@cache
def cron_worst_gap(expression: str) -> float:
    """The longest time between two firings of a cron ``expression`` over a year (UTC).

    Raises:
        ValueError: not a cron expression.
    """
    try:
        firings = CronSim(expression, _CRON_START)
    except CronSimError as e:
        raise ValueError(f"{expression!r} is not a cron expression: {e}") from None
    previous = next(firings)
    worst = 0.0
    for _ in range(_CRON_FIRINGS):
        current = next(firings)
        worst = max(worst, (current - previous).total_seconds())
        previous = current
        if (current - _CRON_START).days > _CRON_SPAN_DAYS:
            break
    return worst


def check_disaster_recovery(
    model: RuntimeModel, measured: Mapping[str, RecoveryTime] | None = None
) -> DisasterRecovery:
    """Every backup tier of every cluster and every recovery scenario against the SLOs.

    ``measured``: the recovery time drills measured, by cluster (``simulate --drills``).
    With it, a scenario a drill measures (``measured_by`` in recovery.yaml) is estimated
    per cluster, each by its newest drill or, without one, by the documented estimate,
    and the scenario takes the longest of them; the JSON says which (``estimateSource``,
    ``clusters``). Without it, the documented estimate, as before.
    """
    platform = model.plan.spec.platform
    rpo = parse_duration(platform.slo.rpo)
    rto = parse_duration(platform.slo.rto)
    tiers: list[TierCheck] = []
    for cluster in model.plan.clusters:
        tiers.append(_etcd_tier(model, cluster.name, rpo))
        tiers.append(_volume_tier(model, cluster.name, rpo))
    tiers.append(_object_tier(model, rpo))
    tiers.append(_git_tier(model))
    recovery = _recovery_data()
    scenarios = []
    for scenario in recovery.scenarios:
        estimate = parse_duration(scenario.estimate)
        source = recovery.source
        per_cluster: tuple[ClusterEstimate, ...] = ()
        if measured is not None and scenario.measured_by is not None:
            names = [c.name for c in model.plan.clusters]
            per_cluster = estimates_by_cluster(scenario, names, measured)
            slowest = max(per_cluster, key=lambda c: c.time.seconds)
            estimate = slowest.time.seconds
            if slowest.time.source == "measured":
                source = f"measured on {slowest.cluster} by the drill of {slowest.time.date}"
        worst = [
            t.rpo_seconds for t in tiers if t.tier == scenario.tier and t.rpo_seconds is not None
        ]
        loss = (
            f"up to {format_duration(max(worst))}"
            if worst
            else "unknown: the tier is not backed up"
        )
        lost = _lost_with(model, scenario, [t for t in tiers if t.tier == scenario.tier])
        if lost:
            loss += "; " + "; ".join(text for _, text in lost)
        scenarios.append(
            ScenarioCheck(
                scenario.id,
                scenario.title,
                scenario.method,
                scenario.tier,
                estimate,
                source,
                "missing" if lost else "meets" if estimate <= rto else "exceeds",
                loss,
                tuple(cluster for cluster, _ in lost),
                per_cluster,
            )
        )
    return DisasterRecovery(rpo, rto, tuple(tiers), tuple(scenarios))


def _lost_with(
    model: RuntimeModel, scenario: RecoveryScenario, tiers: list[TierCheck]
) -> list[tuple[str, str]]:
    """The clusters whose copies of the scenario's tier go with what the scenario loses."""
    lost: list[tuple[str, str]] = []
    for tier in tiers:
        cluster = tier.cluster
        if cluster is None or not tier.stores or tier.kept_on != {cluster}:
            continue
        if scenario.loses == "cluster":
            others = sorted(
                t.cluster
                for t in tiers
                if t.cluster not in (None, cluster) and t.kept_on == {cluster}
            )
            also = f" (and those of {', '.join(others)})" if others else ""
            lost.append(
                (cluster, f"{cluster} has no backup left: its copies{also} are kept on {cluster}")
            )
        elif (
            scenario.loses == "node"
            and all(s.component is None for s in tier.stores)
            and model.plan.cluster(cluster).cluster.control_plane_nodes == 1
        ):
            lost.append(
                (
                    cluster,
                    f"{cluster} has no snapshot left: they are on its only control-plane node",
                )
            )
    return lost


def _verdict(seconds: float | None, rpo: float) -> Verdict:
    if seconds is None:
        return "missing"
    return "meets" if seconds <= rpo else "exceeds"


def _evidence(written: Written) -> Evidence:
    return Evidence(written.value, written.field, f"{written.file}:{written.line}")


def _title(model: RuntimeModel, component: str) -> str:
    """The catalog title of ``component`` (``MinIO``), as the plan runs it."""
    for cluster in model.plan.clusters:
        for planned in cluster.components:
            if planned.name == component:
                return planned.component.title
    return component


def _place(model: RuntimeModel, store: BackupStore) -> str:
    if store.outside:
        where = store.written.value if store.written else "the spec's object store"
        return f"the object store outside the platform ({where})"
    if store.component is not None:
        return f"{_title(model, store.component)} on {store.cluster}"
    if store.written is not None:
        return f"{store.written.value} on the control-plane node that took them"
    return store.default


def _kept(model: RuntimeModel, backup: BackupSchedule) -> tuple[tuple[str, ...], str]:
    """Where the copies of ``backup`` are kept, and a note when its cluster alone keeps them."""
    places = tuple(_place(model, s) for s in backup.stores)
    own = [s for s in backup.stores if s.cluster == backup.cluster]
    if backup.stores and len(own) == len(backup.stores):
        return places, f"copies kept only on {backup.cluster}: losing the cluster loses them"
    return places, ""


def _etcd_tier(model: RuntimeModel, cluster: str, rpo: float) -> TierCheck:
    found = model.settings.recorded.backups(cluster, "etcd-snapshots")
    if not found:
        return TierCheck("L1", cluster, "none rendered", None, "", None, "missing")
    backup = max(found, key=lambda b: _worst_gap(b.schedule))
    gap = _worst_gap(backup.schedule)
    retention = backup.retention
    kept = f"{retention.value} snapshots" if retention else "unknown"
    places, note = _kept(model, backup)
    return TierCheck(
        "L1", cluster, f"{backup.method}, kept in {' and '.join(places)}", gap, kept,
        _evidence(backup.schedule), _verdict(gap, rpo), note,
        _evidence(retention) if retention else None, backup.stores, places,
    )  # fmt: skip


def _worst_gap(schedule: Written) -> float:
    return cron_worst_gap(schedule.value)


def _volume_tier(model: RuntimeModel, cluster: str, rpo: float) -> TierCheck:
    found = model.settings.recorded.backups(cluster, "volume-backups")
    if not found:
        return TierCheck("L2", cluster, "no Velero Schedule rendered", None, "", None, "missing")
    backup = max(found, key=lambda b: _worst_gap(b.schedule))
    gap = _worst_gap(backup.schedule)
    ttl = backup.retention
    notes = []
    if ttl is not None and parse_duration(ttl.value) < gap:
        notes.append(f"backups expire ({ttl.value}) before the next one runs")
    places, kept_note = _kept(model, backup)
    if kept_note:
        notes.append(kept_note)
    return TierCheck(
        "L2", cluster, f"Velero Schedules (file-system backup) to {' and '.join(places)}", gap,
        f"ttl {ttl.value}" if ttl else "unknown", _evidence(backup.schedule),
        _verdict(gap, rpo), "; ".join(notes), _evidence(ttl) if ttl else None, backup.stores,
        places,
    )  # fmt: skip


def _object_tier(model: RuntimeModel, rpo: float) -> TierCheck:
    recorded = model.settings.recorded
    by_store: dict[tuple[str, str], list[Bucket]] = {}
    for bucket in recorded.buckets:
        by_store.setdefault((bucket.cluster, bucket.store), []).append(bucket)
    for (cluster, store), buckets in sorted(by_store.items()):
        unversioned = [b for b in buckets if not b.versioned]
        if unversioned:
            return TierCheck(
                "L3", cluster, f"{_title(model, store)} without versioning on every bucket",
                None, "",
                _evidence(unversioned[0].written), "missing",
                f"not versioned: {', '.join(b.name for b in unversioned)}",
            )  # fmt: skip
        return TierCheck(
            "L3", cluster, f"{_title(model, store)} bucket versioning", 0.0,
            "noncurrent versions until an ILM rule expires them",
            _evidence(buckets[0].written), "meets",
        )  # fmt: skip
    outside = next(
        (
            store
            for c in model.plan.clusters
            for kind in ("volume-backups", "etcd-snapshots")
            for backup in recorded.backups(c.name, kind)
            for store in backup.stores
            if store.outside and store.written is not None
        ),
        None,
    )
    return TierCheck(
        "L3", None, "object storage outside the platform", None, "",
        _evidence(outside.written) if outside and outside.written else None, "missing",
        "the object store's own versioning or replication is not in the repository",
    )  # fmt: skip


def _git_tier(model: RuntimeModel) -> TierCheck:
    platform = model.plan.spec.platform
    where = model.plan.spec.document.locate(("gitops", "repoURL"))
    evidence = Evidence(platform.gitops.repoURL, "gitops.repoURL", str(where))
    return TierCheck(
        "L4", None, "every commit in the Git remote; Argo CD syncs it", 0.0, "Git history",
        evidence, "meets",
    )  # fmt: skip

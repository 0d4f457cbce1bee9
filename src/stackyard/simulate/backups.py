"""RPO and RTO check: backup tiers and recovery scenarios vs the SLOs.

The tiers are read from the rendered repository.

Tiers: L1 etcd snapshots (RKE2 ``etcd-snapshot-schedule-cron`` or the kubeadm snapshot
CronJob), L2 volumes (Velero Schedules), L3 the object store (MinIO bucket versioning),
L4 configuration (the Git remote Argo CD syncs from). A tier's worst-case RPO is the
longest gap between two backups its schedule allows (computed from the cron expression
over a year of firings), or zero for a tier that keeps every write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Literal

from cronsim import CronSim, CronSimError
from pydantic import BaseModel, ConfigDict

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
            "verdict": self.verdict,
            "note": self.note,
        }


@dataclass(frozen=True)
class ScenarioCheck:
    """A recovery scenario's RTO estimate against the SLO."""

    id: str
    title: str
    method: str
    tier: Tier
    estimate_seconds: float
    source: str
    verdict: Literal["meets", "exceeds"]
    data_loss: str

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "id": self.id,
            "title": self.title,
            "method": self.method,
            "tier": self.tier,
            "estimate": format_duration(self.estimate_seconds),
            "source": self.source,
            "verdict": self.verdict,
            "dataLoss": self.data_loss,
        }


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


class _RecoveryScenario(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    method: str
    tier: Tier
    estimate: Duration


class _RecoveryData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    scenarios: tuple[_RecoveryScenario, ...]


@cache
def _recovery_data() -> _RecoveryData:
    return load_packaged_data("recovery.yaml", _RecoveryData)


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


def check_disaster_recovery(model: RuntimeModel) -> DisasterRecovery:
    """Every backup tier of every cluster and every recovery scenario against the SLOs."""
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
        worst = [
            t.rpo_seconds for t in tiers if t.tier == scenario.tier and t.rpo_seconds is not None
        ]
        loss = (
            f"up to {format_duration(max(worst))}"
            if worst
            else "unknown: the tier is not backed up"
        )
        scenarios.append(
            ScenarioCheck(
                scenario.id,
                scenario.title,
                scenario.method,
                scenario.tier,
                estimate,
                recovery.source,
                "meets" if estimate <= rto else "exceeds",
                loss,
            )
        )
    return DisasterRecovery(rpo, rto, tuple(tiers), tuple(scenarios))


def _verdict(seconds: float | None, rpo: float) -> Verdict:
    if seconds is None:
        return "missing"
    return "meets" if seconds <= rpo else "exceeds"


def _etcd_tier(model: RuntimeModel, cluster: str, rpo: float) -> TierCheck:
    settings = model.settings
    rke2 = f"nodes/{cluster}/rke2/config.yaml"
    found = settings.find(rke2, ("etcd-snapshot-schedule-cron",))
    retention = settings.find(rke2, ("etcd-snapshot-retention",))
    method = "RKE2 etcd snapshots"
    if found is None:
        path = f"manifests/{cluster}/base/etcd-backup.yaml"
        found = settings.find(path, ("spec", "schedule"), kind="CronJob")
        retention = _cronjob_env(model, path, "SNAPSHOT_RETENTION")
        method = "etcdctl snapshot CronJob"
    if found is None:
        return TierCheck("L1", cluster, "none rendered", None, "", None, "missing")
    gap = cron_worst_gap(str(found.value))
    kept = f"{retention.value} snapshots" if retention else "unknown"
    return TierCheck("L1", cluster, method, gap, kept, found.evidence, _verdict(gap, rpo))


def _cronjob_env(model: RuntimeModel, path: str, name: str) -> Any:
    for _, data in model.settings.find_all(path, "CronJob"):
        spec = data["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        for c_index, container in enumerate(spec.get("containers", [])):
            for e_index, env in enumerate(container.get("env", [])):
                if env.get("name") == name:
                    field = (
                        "spec", "jobTemplate", "spec", "template", "spec",
                        "containers", c_index, "env", e_index, "value",
                    )  # fmt: skip
                    return model.settings.find(path, field, kind="CronJob")
    return None


def _volume_tier(model: RuntimeModel, cluster: str, rpo: float) -> TierCheck:
    path = f"manifests/{cluster}/velero/backups.yaml"
    worst: tuple[float, Evidence, str] | None = None
    for _, data in model.settings.find_all(path, "Schedule"):
        name = data["metadata"]["name"]
        found = model.settings.find(path, ("spec", "schedule"), kind="Schedule", name=name)
        if found is None:
            continue
        gap = cron_worst_gap(str(found.value))
        ttl = str(data["spec"].get("template", {}).get("ttl", "720h0m0s"))
        if worst is None or gap > worst[0]:
            worst = (gap, found.evidence, ttl)
    if worst is None:
        return TierCheck("L2", cluster, "no Velero Schedule rendered", None, "", None, "missing")
    gap, evidence, ttl = worst
    note = ""
    if parse_duration(ttl) < gap:
        note = f"backups expire ({ttl}) before the next one runs"
    return TierCheck(
        "L2", cluster, "Velero Schedules (file-system backup)", gap, f"ttl {ttl}", evidence,
        _verdict(gap, rpo), note,
    )  # fmt: skip


def _object_tier(model: RuntimeModel, rpo: float) -> TierCheck:
    for cluster in model.plan.clusters:
        path = f"values/clusters/{cluster.name}/minio.yaml"
        buckets = model.settings.find(path, ("buckets",))
        if buckets is None or not isinstance(buckets.value, list):
            continue
        versioned = [b for b in buckets.value if isinstance(b, dict) and b.get("versioning")]
        if not versioned or len(versioned) != len(buckets.value):
            return TierCheck(
                "L3", cluster.name, "MinIO without versioning on every bucket", None, "",
                buckets.evidence, "missing",
            )  # fmt: skip
        found = model.settings.find(path, ("buckets", 0, "versioning"))
        return TierCheck(
            "L3", cluster.name, "MinIO bucket versioning", 0.0,
            "noncurrent versions until an ILM rule expires them",
            found.evidence if found else buckets.evidence, "meets",
        )  # fmt: skip
    return TierCheck(
        "L3", None, "object storage outside the platform", None, "", None, "missing",
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

"""Resource management: requests and limits everywhere, quotas, autoscaling, disruption budgets.

Coverage is counted in the units a platform team reads: each release (an Argo CD
Application or ApplicationSet, a HelmRelease...) whose values set ``resources``
requests/limits anywhere, and each workload written as a manifest (or rendered with
``--charts``) whose every container sets them — "13 of 13 applications".
"""

from __future__ import annotations

from dataclasses import dataclass

from stackyard.assess.detectors.base import (
    Detector,
    DetectorResult,
    FunctionDetector,
    achieved,
    count_phrase,
    missing,
    partial,
)
from stackyard.assess.inputs import RepositoryIndex
from stackyard.assess.inputs.charts import runs_workloads
from stackyard.assess.model import Evidence


@dataclass(frozen=True)
class Coverage:
    """How many units set a resource field, out of how many, with evidence both ways."""

    releases_done: int
    releases: int
    workloads_done: int
    workloads: int
    evidence: tuple[Evidence, ...]
    gaps: tuple[Evidence, ...]

    @property
    def done(self) -> int:
        """Units that set it."""
        return self.releases_done + self.workloads_done

    @property
    def total(self) -> int:
        """Units looked at."""
        return self.releases + self.workloads

    def phrase(self, field: str) -> str:
        """``requests on 13 of 13 applications and 2 of 2 workloads``."""
        parts = []
        if self.releases:
            parts.append(count_phrase(self.releases_done, self.releases, "applications"))
        if self.workloads:
            parts.append(count_phrase(self.workloads_done, self.workloads, "workloads"))
        return f"{field} on " + " and ".join(parts)


def coverage(index: RepositoryIndex, field: str) -> Coverage:
    """Units (releases with chart values, workload manifests) that set ``field``."""
    evidence: list[Evidence] = []
    gaps: list[Evidence] = []
    releases = [r for r in index.child_releases() if any(runs_workloads(c) for c in r.charts)]
    releases_done = 0
    for release in releases:
        hit = release.summary.requests if field == "requests" else release.summary.limits
        if hit is not None:
            releases_done += 1
            evidence.append(hit)
        else:
            gaps.append(release.evidence)
    workloads_done = 0
    for workload in index.workloads:
        if getattr(workload, field):
            workloads_done += 1
            evidence.append(workload.evidence)
        else:
            gaps.append(workload.evidence)
    return Coverage(
        releases_done,
        len(releases),
        workloads_done,
        len(index.workloads),
        tuple(evidence),
        tuple(gaps),
    )


def _coverage_result(index: RepositoryIndex, field: str, looks_for: str) -> DetectorResult:
    result = coverage(index, field)
    if not result.total:
        return missing(looks_for, "no applications or workloads found")
    detail = result.phrase(field)
    if result.done == result.total:
        return achieved(result.evidence, detail)
    if result.done:
        return partial(list(result.gaps) + list(result.evidence), detail, looks_for)
    return missing(looks_for, detail, result.gaps)


def _requests(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    return _coverage_result(index, "requests", looks_for)


def _limits(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    return _coverage_result(index, "limits", looks_for)


def _quotas(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    quotas = index.of_kind("ResourceQuota")
    ranges = index.of_kind("LimitRange")
    evidence = [o.evidence(text=f"{o.kind} {o.namespace}/{o.name}") for o in quotas + ranges]
    detail = f"{len(quotas)} ResourceQuotas, {len(ranges)} LimitRanges"
    if quotas and ranges:
        return achieved(evidence, detail)
    if quotas or ranges:
        return partial(evidence, detail, looks_for)
    return missing(looks_for)


def _autoscaling(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = index.sighted("HorizontalPodAutoscaler", "ScaledObject", "VerticalPodAutoscaler")
    found += [e for summary in index.summaries() for e in summary.autoscaling]
    return achieved(found, f"{len(found)} autoscalers") if found else missing(looks_for)


def _pdbs(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = index.sighted("PodDisruptionBudget")
    found += [e for summary in index.summaries() for e in summary.budgets]
    return achieved(found, f"{len(found)} disruption budgets") if found else missing(looks_for)


DETECTORS: tuple[Detector, ...] = (
    FunctionDetector(
        "resource-requests",
        "resources.requests in every application's values and every workload's containers",
        _requests,
    ),
    FunctionDetector(
        "resource-limits",
        "resources.limits in every application's values and every workload's containers",
        _limits,
    ),
    FunctionDetector("quotas-limitranges", "ResourceQuota and LimitRange objects", _quotas),
    FunctionDetector(
        "autoscaling",
        "HorizontalPodAutoscaler/ScaledObject/VPA objects or autoscaling.enabled values",
        _autoscaling,
    ),
    FunctionDetector(
        "disruption-budgets",
        "PodDisruptionBudget objects or podDisruptionBudget/pdb values",
        _pdbs,
    ),
)

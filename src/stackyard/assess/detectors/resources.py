"""Resource management: requests and limits everywhere, quotas, autoscaling, disruption budgets.

Coverage is counted in the units a platform team reads: each release (an Argo CD
Application or ApplicationSet, a HelmRelease...) whose values set ``resources``
requests/limits anywhere, and each workload written as a manifest (or rendered with
``--charts``) whose every container sets them — "13 of 13 applications". A release
``--charts`` rendered is counted through its rendered workloads only, never also by its
values, so one application is never two units. Each application an ApplicationSet
generates is a unit with its own value files; one whose chart or values file is known
only at run time is not counted (nothing shows it sets them) and is named as unknown,
so unknowns never inflate a count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from stackyard.assess.detectors.base import (
    NAMES_SHOWN,
    Detector,
    DetectorResult,
    FunctionDetector,
    achieved,
    by_units,
    distinct_things,
    missing,
    partial,
    unit,
    units_phrase,
)
from stackyard.assess.inputs import RepositoryIndex
from stackyard.assess.inputs.charts import runs_workloads
from stackyard.assess.inputs.located import Located
from stackyard.assess.inputs.releases import Release
from stackyard.assess.model import Unit, noted
from stackyard.wording import first_few


@dataclass(frozen=True)
class Coverage:
    """The units (releases, workloads) looked at, each counted when it sets the field."""

    releases: tuple[Unit, ...]
    workloads: tuple[Unit, ...]
    unknown: tuple[str, ...] = ()  # applications whose chart or values file is not known

    @property
    def units(self) -> tuple[Unit, ...]:
        """Every unit, releases first."""
        return self.releases + self.workloads

    def phrase(self, field: str) -> str:
        """``requests on 13 of 13 applications and 2 of 2 workloads``."""
        parts = []
        if self.releases:
            parts.append(units_phrase(self.releases, "applications"))
        if self.workloads:
            parts.append(units_phrase(self.workloads, "workloads"))
        phrase = f"{field} on " + " and ".join(parts)
        if self.unknown:
            names = first_few(self.unknown, NAMES_SHOWN)
            phrase += (
                f" ({len(self.unknown)} of them unknown: chart or values file known "
                f"only at run time: {names})"
            )
        return phrase


def coverage(index: RepositoryIndex, field: str) -> Coverage:
    """Units (releases with chart values, workload manifests) that set ``field``."""
    releases = [
        r
        for r in index.child_releases()
        if (any(runs_workloads(c) for c in r.charts) or r.values_unknown)
        and not _rendered(index, r)
    ]
    release_units = []
    unknown = []
    for release in releases:
        hit = release.summary.requests if field == "requests" else release.summary.limits
        if hit is not None:
            release_units.append(unit(release.name, True, hit))
        elif release.values_unknown:
            # Not a hit, and not known to be a gap: counted as not set, and said unknown.
            unknown.append(release.name)
            release_units.append(unit(release.name, False, release.evidence, *release.elements))
        else:
            # Cited where it is declared (a generated application: its ApplicationSet and
            # generator element) and at each values file it reads, where the setting is not.
            files = {
                layer.file: layer.evidence(
                    text=noted(_first_key(layer), f"no {field} counted from these values")
                )
                for layer in release.file_layers
                if isinstance(layer.data, Mapping) and layer.data
            }
            release_units.append(
                unit(release.name, False, release.evidence, *release.elements, *files.values())
            )
    workload_units = [unit(w.ref, bool(getattr(w, field)), w.evidence) for w in index.workloads]
    return Coverage(tuple(release_units), tuple(workload_units), tuple(unknown))


def _rendered(index: RepositoryIndex, release: Release) -> bool:
    """Whether ``--charts`` rendered every chart of ``release`` that runs workloads.

    Hydration is the ground truth: such a release is counted through its rendered
    workloads, which are units of their own, and counting its values too would count
    one application twice. A release with a chart left unrendered keeps its values unit.
    """
    running = [c for c in release.charts if runs_workloads(c)] or list(release.charts)
    return bool(running) and all((release.key, c) in index.hydrated for c in running)


def _first_key(layer: Located) -> str:
    """``app-template:``, the first key of a values document (what its first line shows)."""
    return f"{next(iter(layer.data))}:"


def _coverage_result(index: RepositoryIndex, field: str, looks_for: str) -> DetectorResult:
    result = coverage(index, field)
    if not result.units:
        return missing(looks_for, "no applications or workloads found")
    return by_units(result.units, result.phrase(field), looks_for)


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
    objects = index.sighted("HorizontalPodAutoscaler", "ScaledObject", "VerticalPodAutoscaler")
    switches = [e for summary in index.summaries() for e in summary.autoscaling]
    count = distinct_things(objects, switches)
    found = objects + switches
    return achieved(found, f"{count} autoscalers") if found else missing(looks_for)


def _pdbs(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    objects = index.sighted("PodDisruptionBudget")
    switches = [e for summary in index.summaries() for e in summary.budgets]
    count = distinct_things(objects, switches)
    found = objects + switches
    return achieved(found, f"{count} disruption budgets") if found else missing(looks_for)


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

"""The fleet: many platform repositories read as one, and each one's assessment history.

A platform of the fleet is a Git repository holding its spec and its rendered tree (the
folder Argo CD reads). The store (:mod:`stackyard.store`) only says which repositories
form the fleet and remembers what was found at which commit; everything else is read
from the repository each time, through the same use cases the command line runs
(plan, render's check, assess, simulate), so the service and the CLI cannot disagree.

Reading a platform is cached per repository state (HEAD and the work tree's changes to
the spec and the rendered folder): a fleet page over many platforms re-plans only those
that changed. Whenever a clean rendered folder shows a commit the history lacks, that
commit is assessed and recorded, so every rendered commit the service sees is in the
history.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from stackyard.app.assessment import assess
from stackyard.app.planning import PlanResult, plan
from stackyard.app.rendering import check_render
from stackyard.app.repositories import (
    CommitRef,
    last_commit_touching,
    repository_head,
    repository_top,
    uncommitted_changes,
)
from stackyard.app.results import Describes
from stackyard.app.simulation import FailureMatrixResult, SimulateRequest, simulate
from stackyard.assess import Assessment
from stackyard.errors import InputError, Location, Problem, StackyardError
from stackyard.findings import Finding
from stackyard.plan import Plan
from stackyard.store import (
    AssessmentRecord,
    ClusterRecord,
    PlatformRecord,
    Store,
    default_data_dir,
    open_store,
    sqlite_url,
)
from stackyard.versioning import schema_id

LIFECYCLE_CHECK = "SY506"
"""The plan check that names deprecated and retired upstream components."""
INCIDENT_WINDOW = "1h"
"""How long each single failure lasts in a platform's incident matrix."""
ANONYMOUS = "anonymous"


class UnknownPlatformError(StackyardError):
    """The fleet has no platform of that name."""

    def __init__(self, name: str) -> None:
        """Name the platform asked for."""
        self.name = name
        super().__init__(f"the fleet has no platform named {name!r}")


@dataclass(frozen=True)
class Fleet:
    """The fleet's store, open; every use case of this module takes it first."""

    store: Store
    url: str

    def close(self) -> None:
        """Close the store's connections."""
        self.store.engine.dispose()


def open_fleet(database_url: str | None = None, data_dir: Path | None = None) -> Fleet:
    """Open (and migrate) the fleet's store: ``database_url``, else SQLite in ``data_dir``.

    Without either, the store is SQLite in the user's data directory.

    Raises:
        StoreError: the URL is not usable or the database does not answer.
    """
    url = database_url or sqlite_url(data_dir or default_data_dir())
    return Fleet(Store(open_store(url)), url)


@dataclass(frozen=True)
class PlatformSummary:
    """One platform as the fleet page shows it."""

    name: str
    repository: str
    remote: str | None
    edition: str
    provider: str
    distribution: str
    kubernetes_version: str
    clusters: tuple[str, ...]
    head: str | None
    rendered_commit: str | None
    rendered_at: datetime.datetime | None
    drift: tuple[str, ...] | None
    """Rendered files that differ from a render of the spec now; None when unknown."""
    level: str | None
    """The maturity level of the rendered tree's assessment; None before one."""
    errors: int
    warnings: tuple[str, ...]
    """Deprecated or retired upstream components in use, and what else needs a look."""
    problem: str = ""
    """Why the platform could not be read ('' when it could)."""

    def as_dict(self) -> dict[str, Any]:
        """JSON shape of one platform in the fleet."""
        return {
            "name": self.name,
            "repository": self.repository,
            "remote": self.remote,
            "edition": self.edition,
            "provider": self.provider,
            "kubernetes": {"distribution": self.distribution, "version": self.kubernetes_version},
            "clusters": list(self.clusters),
            "head": self.head,
            "rendered": {
                "commit": self.rendered_commit,
                "at": self.rendered_at.isoformat() if self.rendered_at else None,
            },
            "drift": None if self.drift is None else list(self.drift),
            "level": self.level,
            "errors": self.errors,
            "warnings": list(self.warnings),
            "problem": self.problem,
        }


@dataclass(frozen=True)
class FleetResult(Describes):
    """Every platform of the fleet, by name."""

    platforms: tuple[PlatformSummary, ...]

    def as_dict(self) -> dict[str, Any]:
        """The versioned JSON document (``fleet``)."""
        return {"schema": schema_id("fleet"), "platforms": [p.as_dict() for p in self.platforms]}


@dataclass(frozen=True)
class ComponentView:
    """A component on a cluster: where it installs, when, and why it is there."""

    name: str
    namespace: str
    wave: int
    pods: int
    reason: str
    lifecycle: str


@dataclass(frozen=True)
class ClusterView:
    """A cluster of a platform's plan, its components, and the findings about it."""

    name: str
    role: str
    components: tuple[ComponentView, ...]
    excluded: tuple[tuple[str, str], ...]
    findings: tuple[Finding, ...]
    policy: dict[str, Any]
    """The policy template the cluster carries and what it enforces (as the plan's JSON)."""

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "name": self.name,
            "role": self.role,
            "components": [c.__dict__ for c in self.components],
            "excluded": [{"name": n, "reason": r} for n, r in self.excluded],
            "findings": [f.as_dict() for f in self.findings],
            "policy": self.policy,
        }


@dataclass(frozen=True)
class HistoryPoint:
    """The assessment of one rendered commit."""

    commit: str
    level: str
    areas: dict[str, int]
    findings: int
    at: datetime.datetime

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "commit": self.commit,
            "level": self.level,
            "areas": dict(self.areas),
            "findings": self.findings,
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True)
class AreaRating:
    """One assessment area's rating (1-5) in the newest assessment."""

    area: str
    title: str
    rating: int


@dataclass(frozen=True)
class PlatformDetail(Describes):
    """One platform: its summary, clusters, findings, newest ratings and history."""

    summary: PlatformSummary
    clusters: tuple[ClusterView, ...]
    findings: tuple[Finding, ...]
    areas: tuple[AreaRating, ...]
    history: tuple[HistoryPoint, ...]

    def cluster(self, name: str) -> ClusterView:
        """The cluster named ``name``.

        Raises:
            UnknownPlatformError: no cluster of that name (named ``platform/cluster``).
        """
        for cluster in self.clusters:
            if cluster.name == name:
                return cluster
        raise UnknownPlatformError(f"{self.summary.name}/{name}")

    def as_dict(self) -> dict[str, Any]:
        """The versioned JSON document (``fleet-platform``)."""
        return {
            "schema": schema_id("fleet-platform"),
            **self.summary.as_dict(),
            "clusters": [c.as_dict() for c in self.clusters],
            "findings": [f.as_dict() for f in self.findings],
            "areas": [a.__dict__ for a in self.areas],
            "history": [h.as_dict() for h in self.history],
        }


@dataclass(frozen=True)
class _Reading:
    """What one state of a platform repository says (cached per state)."""

    plan: Plan | None
    problem: str
    drift: tuple[str, ...] | None
    assessment: Assessment | None
    rendered: CommitRef | None
    rendered_clean: bool
    head: str | None


def _spec(record: PlatformRecord) -> Path:
    return Path(record.repository) / record.spec_path


def _rendered(record: PlatformRecord) -> Path:
    return Path(record.repository) / record.rendered


def _read(record: PlatformRecord) -> _Reading:
    repository = Path(record.repository)
    state = uncommitted_changes(repository, record.spec_path, record.rendered)
    return _read_state(record, repository_head(repository), state)


@functools.lru_cache(maxsize=512)
def _read_state(record: PlatformRecord, commit: str | None, state: str) -> _Reading:
    """Plan, drift and assessment of ``record`` (the arguments after it key the cache)."""
    rendered_dir = _rendered(record)
    rendered = last_commit_touching(Path(record.repository), record.rendered)
    clean = not state.strip()
    assessment = assess(rendered_dir).assessment if rendered_dir.is_dir() else None
    try:
        planned = plan(_spec(record)).plan
    except InputError as e:
        return _Reading(None, str(e), None, assessment, rendered, clean, commit)
    drift: tuple[str, ...] | None = None
    if not planned.errors and rendered_dir.is_dir():
        try:
            check = check_render(_spec(record), rendered_dir)
        except InputError:
            drift = None
        else:
            drift = tuple(d.path for d in check.differences)
    return _Reading(planned, "", drift, assessment, rendered, clean, commit)


def _open_findings(assessment: Assessment) -> int:
    return sum(not f.excepted for f in assessment.workload_findings)


def _remember(fleet: Fleet, record: PlatformRecord, reading: _Reading) -> None:
    """Record a clean rendered commit the history lacks: its render and its assessment."""
    rendered = reading.rendered
    if rendered is None or not reading.rendered_clean:
        return
    store = fleet.store
    last = store.last_render(record.name)
    if reading.plan is not None and (last is None or last.commit != rendered.sha):
        spec_bytes = _spec(record).read_bytes() if _spec(record).is_file() else b""
        store.record_render(
            record.name,
            rendered.sha,
            spec_digest=hashlib.sha256(spec_bytes).hexdigest(),
            files=sum(1 for p in _rendered(record).rglob("*") if p.is_file()),
            clusters=[
                ClusterRecord(c.name, c.cluster.role, len(c.components), rendered.sha)
                for c in reading.plan.clusters
            ],
        )
    assessment = reading.assessment
    if assessment is not None and all(a.commit != rendered.sha for a in _history(fleet, record)):
        _record(fleet, record.name, rendered.sha, assessment)


def _record(fleet: Fleet, name: str, commit: str, assessment: Assessment) -> AssessmentRecord:
    return fleet.store.record_assessment(
        name,
        commit,
        level=str(assessment.level),
        areas={a.area: a.rating for a in assessment.areas},
        findings=_open_findings(assessment),
    )


def _history(fleet: Fleet, record: PlatformRecord) -> list[AssessmentRecord]:
    return fleet.store.assessments(record.name)


def _summary(fleet: Fleet, record: PlatformRecord, reading: _Reading) -> PlatformSummary:
    history = _history(fleet, record)
    level = str(reading.assessment.level) if reading.assessment else None
    if level is None and history:
        level = history[-1].level
    rendered = reading.rendered
    planned = reading.plan
    unread = PlatformSummary(
        name=record.name,
        repository=record.repository,
        remote=record.remote,
        edition="",
        provider="",
        distribution="",
        kubernetes_version="",
        clusters=(),
        head=reading.head,
        rendered_commit=rendered.sha if rendered else None,
        rendered_at=rendered.at if rendered else None,
        drift=reading.drift,
        level=level,
        errors=0,
        warnings=(),
        problem=reading.problem,
    )
    if planned is None:
        return unread
    platform = planned.spec.platform
    # The finding's first clause and its hint; the upstream note behind the colon is
    # for the platform page's findings, too long for a line of the fleet page.
    warnings = [
        f"{f.message.split(': ', 1)[0]} ({f.hint})" if f.hint else f.message.split(": ", 1)[0]
        for f in planned.findings
        if f.check == LIFECYCLE_CHECK
    ]
    if reading.drift:
        warnings.append(f"{len(reading.drift)} rendered files differ from the spec: render again")
    if rendered is None:
        warnings.append(f"nothing rendered in {record.rendered}/ yet")
    return replace(
        unread,
        edition=str(platform.edition),
        provider=str(platform.provider),
        distribution=str(platform.kubernetes.distribution),
        kubernetes_version=str(platform.kubernetes.version),
        clusters=tuple(c.name for c in planned.clusters),
        errors=len(planned.errors),
        warnings=tuple(warnings),
    )


def platform_record(fleet: Fleet, name: str) -> PlatformRecord:
    """The fleet's record of platform ``name``.

    Raises:
        UnknownPlatformError: the fleet has no platform of that name.
    """
    record = fleet.store.platform(name)
    if record is None:
        raise UnknownPlatformError(name)
    return record


def _look(fleet: Fleet, record: PlatformRecord) -> tuple[PlatformSummary, _Reading]:
    reading = _read(record)
    _remember(fleet, record, reading)
    return _summary(fleet, record, reading), reading


def add_platform(
    fleet: Fleet,
    repository: Path,
    *,
    name: str | None = None,
    remote: str | None = None,
    spec_path: str = "platform.yaml",
    rendered: str = "rendered",
    actor: str = ANONYMOUS,
) -> PlatformSummary:
    """Add the platform repository at ``repository`` to the fleet; its summary.

    Its name is the spec's ``platform.name`` unless ``name`` is given. The rendered
    commit it has, if any, is assessed and recorded at once.

    Raises:
        InputError: not the top of a Git work tree, no readable spec at ``spec_path``, or
            a spec or rendered path outside the repository.
        PlatformExistsError: the fleet has a platform of that name already.
    """
    top = repository_top(repository.resolve())
    for field, relative in (("spec", spec_path), ("rendered", rendered)):
        inside = (top / relative).resolve()
        if Path(relative).is_absolute() or not inside.is_relative_to(top):
            raise InputError(
                [Problem(Location(str(top)), field, f"{relative!r} is outside the repository")]
            )
    name = name or plan(top / spec_path).plan.spec.platform.name
    record = fleet.store.add_platform(
        name, str(top), remote=remote, spec_path=spec_path, rendered=rendered
    )
    fleet.store.audit(actor, "platform.add", platform=name, detail=str(top))
    return _look(fleet, record)[0]


def list_fleet(fleet: Fleet) -> FleetResult:
    """Every platform of the fleet with its edition, clusters, render, drift and level."""
    return FleetResult(tuple(_look(fleet, record)[0] for record in fleet.store.platforms()))


def _cluster_views(planned: Plan) -> tuple[ClusterView, ...]:
    return tuple(
        ClusterView(
            name=c.name,
            role=str(c.cluster.role),
            components=tuple(
                ComponentView(
                    p.name,
                    p.component.namespace,
                    p.wave,
                    p.pods,
                    p.decision.reason,
                    str(p.component.upstream.lifecycle),
                )
                for p in c.components
            ),
            excluded=tuple((d.component, d.reason) for d in c.excluded),
            findings=tuple(f for f in planned.findings if f.cluster == c.name),
            policy=c.policy.as_dict(),
        )
        for c in planned.clusters
    )


def read_platform(fleet: Fleet, name: str) -> PlatformDetail:
    """One platform: summary, clusters with their components, findings, ratings, history.

    Raises:
        UnknownPlatformError: the fleet has no platform of that name.
    """
    record = platform_record(fleet, name)
    summary, reading = _look(fleet, record)
    areas: tuple[AreaRating, ...] = ()
    if reading.assessment is not None:
        areas = tuple(AreaRating(a.area, a.title, a.rating) for a in reading.assessment.areas)
    planned = reading.plan
    return PlatformDetail(
        summary=summary,
        clusters=_cluster_views(planned) if planned else (),
        findings=planned.findings if planned else (),
        areas=areas,
        history=platform_history(fleet, name),
    )


def platform_spec(fleet: Fleet, name: str) -> str:
    """The text of the platform's spec as its repository's work tree has it.

    Raises:
        UnknownPlatformError: the fleet has no platform of that name.
        InputError: the spec cannot be read.
    """
    spec = _spec(platform_record(fleet, name))
    try:
        return spec.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError([Problem(Location(str(spec)), "", f"cannot read the spec: {e}")]) from e


def platform_plan(fleet: Fleet, name: str) -> PlanResult:
    """The plan of the platform's spec (:func:`stackyard.app.plan`).

    Raises:
        UnknownPlatformError: the fleet has no platform of that name.
        InputError: the spec cannot be read or does not match the model.
    """
    return plan(_spec(platform_record(fleet, name)))


def platform_history(fleet: Fleet, name: str) -> tuple[HistoryPoint, ...]:
    """Every recorded assessment of the platform, oldest first.

    Raises:
        UnknownPlatformError: the fleet has no platform of that name.
    """
    return tuple(
        HistoryPoint(a.commit, a.level, a.areas, a.findings, a.at)
        for a in _history(fleet, platform_record(fleet, name))
    )


def incident_matrix(fleet: Fleet, name: str, window: str = INCIDENT_WINDOW) -> FailureMatrixResult:
    """Every single cluster and service failure of the platform, each lasting ``window``.

    Raises:
        UnknownPlatformError: the fleet has no platform of that name.
        InputError: the spec cannot be read, or ``window`` is not a duration.
        PlanRefusedError: the plan has error findings.
    """
    request = SimulateRequest(all_single_failures=True, duration=window)
    result = simulate(_spec(platform_record(fleet, name)), request)
    assert isinstance(result, FailureMatrixResult)  # what all_single_failures returns
    return result


def assess_platform(fleet: Fleet, name: str, *, actor: str = ANONYMOUS) -> HistoryPoint:
    """Assess the platform's rendered tree now and record it under its rendered commit.

    Raises:
        UnknownPlatformError: the fleet has no platform of that name.
        InputError: nothing is rendered, or the rendered folder has changes Git has not
            committed (an assessment is recorded under a commit, so it must be that commit).
    """
    record = platform_record(fleet, name)
    reading = _read(record)
    where = Location(str(_rendered(record)))
    if reading.rendered is None or reading.assessment is None:
        raise InputError([Problem(where, "rendered", "nothing is rendered and committed here")])
    if not reading.rendered_clean:
        raise InputError(
            [
                Problem(
                    where,
                    "rendered",
                    "has changes that are not committed",
                    "commit the render (stackyard render SPEC DIR --commit) and assess again",
                )
            ]
        )
    saved = _record(fleet, name, reading.rendered.sha, reading.assessment)
    fleet.store.audit(actor, "platform.assess", platform=name, commit=saved.commit)
    return HistoryPoint(saved.commit, saved.level, saved.areas, saved.findings, saved.at)

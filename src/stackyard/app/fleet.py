"""The fleet: many platform repositories read as one, and each one's assessment history.

A platform of the fleet is a Git repository holding its spec and its rendered tree (the
folder Argo CD reads). The store (:mod:`stackyard.store`) says which repositories form the
fleet and remembers what was found at which commit; everything else is read from the
repository, through the same use cases the command line runs (plan, render's check,
assess, simulate), so the service and the CLI cannot disagree.

Planning a platform takes far longer than a request of the fleet page may, so each state
of a repository is planned once. A state is the commit HEAD points at and the Git blob id
of the spec, both cheap to check (:func:`~stackyard.app.repositories.current_head` stats
the ref files; the spec is hashed). The summary of a clean state (spec and rendered folder
as committed) is saved in the store under that key, for every replica, and the plan, drift
and assessment behind it are kept in this process; a request checks the keys and reuses
what it finds. A new commit or an edited spec is a new key: planned at once, never
stale. Edits to rendered files that are neither committed nor come with a spec change are
not a new key; they show with the next commit.

Whenever a clean rendered folder shows a commit the history lacks, that commit is
assessed and recorded, so every rendered commit the service sees is in the history.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import gc
import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Generic, TypeVar

from stackyard.app.assessment import assess
from stackyard.app.coalescing import Coalesced
from stackyard.app.planning import PlanResult, plan
from stackyard.app.rendering import check_render
from stackyard.app.repositories import (
    CommitRef,
    current_head,
    file_blob_id,
    last_commit_touching,
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
CACHED_STATES = 512
"""How many platform states one process keeps planned (a few per platform of the fleet)."""


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
    records: Coalesced[dict[str, PlatformRecord]] = dataclasses.field(
        init=False, repr=False, compare=False
    )
    """The store's platform records by name, read once for this process's concurrent
    callers of :func:`fleet_version` and :func:`platform_version` alike."""

    def __post_init__(self) -> None:
        # Frozen: set once, here, as the computation needs the store.
        object.__setattr__(self, "records", Coalesced(self._read_records))

    def _read_records(self) -> dict[str, PlatformRecord]:
        return {r.name: r for r in self.store.platforms()}

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

    @classmethod
    def saved(cls, record: PlatformRecord, document: dict[str, Any]) -> PlatformSummary:
        """The summary the store saved for ``record`` (:meth:`as_dict`'s shape)."""
        at = document["rendered"]["at"]
        drift = document["drift"]
        return cls(
            name=record.name,
            repository=record.repository,
            remote=record.remote,
            edition=document["edition"],
            provider=document["provider"],
            distribution=document["kubernetes"]["distribution"],
            kubernetes_version=document["kubernetes"]["version"],
            clusters=tuple(document["clusters"]),
            head=document["head"],
            rendered_commit=document["rendered"]["commit"],
            rendered_at=datetime.datetime.fromisoformat(at) if at else None,
            drift=None if drift is None else tuple(drift),
            level=document["level"],
            errors=document["errors"],
            warnings=tuple(document["warnings"]),
            problem=document["problem"],
        )


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
    clusters: tuple[ClusterView, ...] = ()


def _spec(record: PlatformRecord) -> Path:
    return Path(record.repository) / record.spec_path


def _rendered(record: PlatformRecord) -> Path:
    return Path(record.repository) / record.rendered


_State = tuple[str, str]
"""A platform repository's state: the commit HEAD points at, and the spec's blob id."""
_Key = TypeVar("_Key", bound=Hashable)
_Value = TypeVar("_Value")


class _StateCache(Generic[_Key, _Value]):
    """The newest ``CACHED_STATES`` values computed per state, shared by the service's threads."""

    def __init__(self) -> None:
        self._values: OrderedDict[_Key, _Value] = OrderedDict()
        self._flights: dict[_Key, threading.Lock] = {}
        self._lock = threading.Lock()

    def peek(self, key: _Key) -> _Value | None:
        """The value kept under ``key``, or None."""
        with self._lock:
            return self._values.get(key)

    def get(self, key: _Key, compute: Callable[[], _Value], still: Callable[[], bool]) -> _Value:
        """The value kept under ``key``, else ``compute()``'s, kept if ``still()`` holds.

        ``still`` says whether the state is still the key's after computing: a spec saved
        while it was read gives a value that belongs to no key, so it is not kept. One
        thread computes a key at a time; the others asking for it wait and take its
        value (a hundred readers of a platform just committed plan it once, not a
        hundred times at once).
        """
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:
            with self._lock:
                if key in self._values:
                    return self._values[key]
            value = compute()
            keep = still()
            with self._lock:
                if keep:
                    self._values[key] = value
                    while len(self._values) > CACHED_STATES:
                        self._values.popitem(last=False)
                self._flights.pop(key, None)
        if keep and _settling.is_set():
            _settle_kept_objects()
        return value


_collecting = threading.Lock()
_settling = threading.Event()


def settle_collections(on: bool = True) -> None:
    """Whether each new state kept is followed by one full collection and a freeze.

    For a long-running service (``stackyard serve`` turns it on): see
    :func:`_settle_kept_objects`. Off by default, as a short command or a test run keeps
    few states and gains nothing from paying a collection for each.
    """
    if on:
        _settling.set()
    else:
        _settling.clear()


def _settle_kept_objects() -> None:
    """Collect once now, then keep every object alive so far out of later collections.

    The kept readings are hundreds of thousands of long-lived objects (plans, findings,
    assessments). Python's full collection walks them all, some 0.3 s with every thread
    stopped, at a moment of its choosing: a stall of every request in flight (seen in
    benchmarks/service.py as p99 outliers). A new state has just cost a plan and more,
    so the collection is paid here instead, once per new state: what was dropped (old
    states pushed out) is collected, and what is alive is frozen, so the automatic
    collections only walk what came since. Concurrent readers of new states freeze once.
    """
    if not _collecting.acquire(blocking=False):
        return
    try:
        gc.unfreeze()
        gc.collect()
        gc.freeze()
    finally:
        _collecting.release()


_Where = tuple[str, str, str | None, str, str]
"""A platform as a read sees it: name, repository, remote, spec and rendered folder."""
_readings: _StateCache[tuple[_Where, _State], _Reading] = _StateCache()
_summaries_seen: _StateCache[tuple[_Where, _State], PlatformSummary] = _StateCache()
_matrices: _StateCache[tuple[_Where, str, str], FailureMatrixResult] = _StateCache()


def _where(record: PlatformRecord) -> _Where:
    return record.name, record.repository, record.remote, record.spec_path, record.rendered


def _state(record: PlatformRecord) -> _State:
    """The repository's state, cheaply: no process unless a ref file changed."""
    spec = file_blob_id(os.path.join(record.repository, record.spec_path)) or ""
    return current_head(Path(record.repository)) or "", spec


def _reading(record: PlatformRecord, state: _State) -> _Reading:
    """What the repository says in ``state``, computed once per process."""
    return _readings.get(
        (_where(record), state), lambda: _read_state(record), lambda: _state(record) == state
    )


def _read_state(record: PlatformRecord) -> _Reading:
    """Plan, drift and assessment of the repository as it is now."""
    repository = Path(record.repository)
    head = current_head(repository)
    clean = not uncommitted_changes(repository, record.spec_path, record.rendered).strip()
    rendered_dir = _rendered(record)
    rendered = last_commit_touching(repository, record.rendered)
    assessment = assess(rendered_dir).assessment if rendered_dir.is_dir() else None
    try:
        planned = plan(_spec(record)).plan
    except InputError as e:
        return _Reading(None, str(e), None, assessment, rendered, clean, head)
    drift: tuple[str, ...] | None = None
    if not planned.errors and rendered_dir.is_dir():
        try:
            check = check_render(_spec(record), rendered_dir)
        except InputError:
            drift = None
        else:
            drift = tuple(d.path for d in check.differences)
    return _Reading(planned, "", drift, assessment, rendered, clean, head, _cluster_views(planned))


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


def _fresh(fleet: Fleet, record: PlatformRecord, state: _State) -> PlatformSummary:
    """Read the platform in ``state``, record what its history lacks, save its summary."""
    reading = _reading(record, state)
    _remember(fleet, record, reading)
    summary = _summary(fleet, record, reading)
    # Only a clean state is saved: a spec or render being changed (a registration half
    # way through) is not a state anyone should be shown again once it is gone.
    if reading.rendered_clean and _state(record) == state:
        fleet.store.save_reading(record.name, *state, summary.as_dict())
    return summary


def _summaries(
    fleet: Fleet, records: Sequence[PlatformRecord], states: dict[str, _State]
) -> tuple[PlatformSummary, ...]:
    """Each platform's summary in its state: known here, saved in the store, or read now.

    Only the platforms this process has not seen in their state cost a query (one for all).
    """
    known = {r.name: _summaries_seen.peek((_where(r), states[r.name])) for r in records}
    saved = fleet.store.readings({n: states[n] for n, summary in known.items() if not summary})
    found: list[PlatformSummary] = []
    for record in records:
        summary = known[record.name]
        if summary is None:
            state = states[record.name]
            document = saved.get(record.name)
            # One thread per process reads a new state; the others asking wait for it.
            summary = _summaries_seen.get(
                (_where(record), state),
                functools.partial(_saved_or_fresh, fleet, record, state, document),
                functools.partial(_still, record, state),
            )
        found.append(summary)
    return tuple(found)


def _saved_or_fresh(
    fleet: Fleet, record: PlatformRecord, state: _State, document: dict[str, Any] | None
) -> PlatformSummary:
    if document is not None:
        return PlatformSummary.saved(record, document)
    return _fresh(fleet, record, state)


def _still(record: PlatformRecord, state: _State) -> bool:
    """Whether the repository is still in ``state`` (not a state that passed while read)."""
    return _state(record) == state


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
    return _fresh(fleet, record, _state(record))


def list_fleet(fleet: Fleet) -> FleetResult:
    """Every platform of the fleet with its edition, clusters, render, drift and level."""
    records = fleet.store.platforms()
    return FleetResult(_summaries(fleet, records, {r.name: _state(r) for r in records}))


def fleet_version(fleet: Fleet) -> str:
    """A tag that changes whenever :func:`list_fleet`'s answer can: the platforms and states.

    Cheap (one query for the whole fleet, a few stats per platform, no process and no
    parse), so a shell can keep an answer per version and check it on every request (the
    service's answer cache and ETags) instead of building the answer again. Concurrent
    callers share the query, run once after they asked (:mod:`~stackyard.app.coalescing`).
    """
    return _tag([_version_facts(r) for r in fleet.records.get().values()])


def platform_version(fleet: Fleet, name: str) -> str:
    """A tag that changes whenever the platform's answers can: where it is, its state, its history.

    Its answers are :func:`read_platform`, its incident matrix and its policy choices.
    The history is told by the platform's revision, which each write of it moves; the
    query is the one :func:`fleet_version` makes, shared with it.

    Raises:
        UnknownPlatformError: the fleet has no platform of that name.
    """
    record = fleet.records.get().get(name)
    if record is None:
        raise UnknownPlatformError(name)
    return _tag(_version_facts(record))


def _version_facts(record: PlatformRecord) -> tuple[_Where, int, _State]:
    return _where(record), record.revision, _state(record)


def _tag(facts: object) -> str:
    return hashlib.blake2b(repr(facts).encode(), digest_size=16).hexdigest()


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
    state = _state(record)
    (summary,) = _summaries(fleet, [record], {name: state})
    reading = _reading(record, state)
    areas: tuple[AreaRating, ...] = ()
    if reading.assessment is not None:
        areas = tuple(AreaRating(a.area, a.title, a.rating) for a in reading.assessment.areas)
    planned = reading.plan
    return PlatformDetail(
        summary=summary,
        clusters=reading.clusters,
        findings=planned.findings if planned else (),
        areas=areas,
        history=_points(_history(fleet, record)),
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
    return _points(_history(fleet, platform_record(fleet, name)))


def _points(history: list[AssessmentRecord]) -> tuple[HistoryPoint, ...]:
    return tuple(HistoryPoint(a.commit, a.level, a.areas, a.findings, a.at) for a in history)


def incident_matrix(fleet: Fleet, name: str, window: str = INCIDENT_WINDOW) -> FailureMatrixResult:
    """Every single cluster and service failure of the platform, each lasting ``window``.

    Raises:
        UnknownPlatformError: the fleet has no platform of that name.
        InputError: the spec cannot be read, or ``window`` is not a duration.
        PlanRefusedError: the plan has error findings.
    """
    record = platform_record(fleet, name)
    spec = _state(record)[1]

    def matrix() -> FailureMatrixResult:
        request = SimulateRequest(all_single_failures=True, duration=window)
        result = simulate(_spec(record), request)
        assert isinstance(result, FailureMatrixResult)  # what all_single_failures returns
        return result

    # The matrix depends on the spec alone; a refused plan raises and is not kept.
    return _matrices.get((_where(record), spec, window), matrix, lambda: _state(record)[1] == spec)


def assess_platform(fleet: Fleet, name: str, *, actor: str = ANONYMOUS) -> HistoryPoint:
    """Assess the platform's rendered tree now and record it under its rendered commit.

    Raises:
        UnknownPlatformError: the fleet has no platform of that name.
        InputError: nothing is rendered, or the rendered folder has changes Git has not
            committed (an assessment is recorded under a commit, so it must be that commit).
    """
    record = platform_record(fleet, name)
    reading = _read_state(record)  # read afresh: the record must be of the tree as it is
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

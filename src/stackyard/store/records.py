"""Read and write the fleet's records: typed values in, frozen values out.

Callers (the application layer) never hold an ORM object past a session: every read
returns a frozen record, so nothing lazy-loads after its session closed and nothing
changes a row by accident. One short transaction per call; a change that must not
interleave with another on the same platform runs inside :meth:`Store.locked`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from stackyard.errors import StackyardError
from stackyard.store import models
from stackyard.store.engine import answering
from stackyard.store.locks import platform_lock


class PlatformExistsError(StackyardError):
    """A platform of that name is already in the fleet."""


class TokenExistsError(StackyardError):
    """An API token of that name exists already."""


@dataclass(frozen=True)
class PlatformRecord:
    """A platform of the fleet: its name and where its repository is."""

    name: str
    repository: str
    remote: str | None
    spec_path: str
    rendered: str
    added_at: datetime.datetime
    revision: int = 0
    """Moved by each write of the platform's recorded history (``models.Platform``)."""


@dataclass(frozen=True)
class ClusterRecord:
    """A cluster as the platform's last recorded render had it."""

    name: str
    role: str
    components: int
    rendered_commit: str | None


@dataclass(frozen=True)
class RenderRecord:
    """A render committed into a platform's repository."""

    commit: str
    spec_digest: str
    files: int
    at: datetime.datetime


@dataclass(frozen=True)
class AssessmentRecord:
    """The assessment of a platform's rendered tree at one commit."""

    commit: str
    level: str
    areas: dict[str, int]
    findings: int
    at: datetime.datetime


@dataclass(frozen=True)
class AuditRecord:
    """One change made through the service."""

    actor: str
    action: str
    platform: str | None
    detail: str
    commit: str | None
    at: datetime.datetime
    id: int = 0
    """Its place in the log: later events have larger ids (the audit log pages by it)."""


@dataclass(frozen=True)
class TokenRecord:
    """An API token as the store keeps it: its hash, never the token itself."""

    name: str
    token_hash: str
    scopes: tuple[str, ...]
    owner: str
    expires_at: datetime.datetime
    created_at: datetime.datetime
    follows_owner: bool = False
    """Whether the token acts with at most its owner's role at their latest sign-in."""


@dataclass(frozen=True)
class SignInRecord:
    """A person's latest sign-in: the roles their groups granted then (none: refused)."""

    name: str
    roles: tuple[str, ...]
    at: datetime.datetime


def _token(row: models.ApiToken) -> TokenRecord:
    return TokenRecord(
        row.name,
        row.token_hash,
        tuple(row.scopes),
        row.owner,
        _aware(row.expires_at),
        _aware(row.created_at),
        row.follows_owner,
    )


_PLATFORM_COLUMNS = (
    models.Platform.name,
    models.Platform.repository,
    models.Platform.remote,
    models.Platform.spec_path,
    models.Platform.rendered,
    models.Platform.added_at,
    models.Platform.revision,
)
"""A platform's columns in :class:`PlatformRecord`'s order: read as plain rows, as every
fleet request reads them (a third of the time of loading ORM objects)."""


def _platform(row: models.Platform) -> PlatformRecord:
    return PlatformRecord(
        row.name,
        row.repository,
        row.remote,
        row.spec_path,
        row.rendered,
        row.added_at,
        row.revision,
    )


def _aware(moment: datetime.datetime) -> datetime.datetime:
    """SQLite hands timestamps back without their zone; every one the store writes is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


class Store:
    """The fleet's records in one database (:func:`stackyard.store.open_store`)."""

    def __init__(self, engine: Engine) -> None:
        """Use ``engine``, whose schema is already migrated."""
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # SQLite: a transaction that reads, then writes, fails at once (SQLITE_BUSY, no
        # waiting) if another connection wrote in between; beginning writes IMMEDIATE
        # takes the write lock first, so concurrent writers wait their turn instead.
        self._writes = sessionmaker(
            engine.execution_options(immediate=True), expire_on_commit=False
        )
        self._held: ContextVar[Session | None] = ContextVar(f"held-{id(self)}", default=None)

    @contextmanager
    def _session(self, *, write: bool = False) -> Iterator[Session]:
        held = self._held.get()
        if held is not None:  # inside locked(): one transaction, committed when it ends
            yield held
            held.flush()
            return
        sessions = self._writes if write else self._sessions
        with answering(self.engine), sessions.begin() as session:
            yield session

    @contextmanager
    def locked(self, platform: str) -> Iterator[None]:
        """Hold ``platform``'s lock across replicas for the ``with`` block (``store.locks``).

        Every read and write of this store in the block (in this thread or task) runs in
        the locked transaction: it sees what the previous holder committed, and what it
        writes commits as the lock is released, or not at all when the block raises. On
        SQLite that is also the only way to write while holding the lock, which is the
        database's one write lock.
        """
        with answering(self.engine), platform_lock(self.engine, platform) as session:
            token = self._held.set(session)
            try:
                yield
            finally:
                self._held.reset(token)

    def add_platform(
        self,
        name: str,
        repository: str,
        *,
        remote: str | None = None,
        spec_path: str = "platform.yaml",
        rendered: str = "rendered",
    ) -> PlatformRecord:
        """Add a platform to the fleet.

        Raises:
            PlatformExistsError: the fleet has a platform of that name already.
        """
        row = models.Platform(
            name=name, repository=repository, remote=remote, spec_path=spec_path, rendered=rendered
        )
        try:
            with self._session(write=True) as session:
                session.add(row)
                session.flush()
                return _platform(row)
        except IntegrityError as e:
            raise PlatformExistsError(f"the fleet has a platform named {name!r} already") from e

    def platforms(self) -> list[PlatformRecord]:
        """Every platform of the fleet, by name."""
        with self._session() as session:
            rows = session.execute(select(*_PLATFORM_COLUMNS).order_by(models.Platform.name))
            return [PlatformRecord(*row) for row in rows]

    def platform(self, name: str) -> PlatformRecord | None:
        """The platform named ``name``, or None."""
        with self._session() as session:
            query = select(*_PLATFORM_COLUMNS).where(models.Platform.name == name)
            row = session.execute(query).first()
            return None if row is None else PlatformRecord(*row)

    def record_render(
        self,
        platform: str,
        commit: str,
        *,
        spec_digest: str,
        files: int,
        clusters: Sequence[ClusterRecord],
    ) -> None:
        """Record a render committed as ``commit``, and the clusters it rendered.

        Two replicas seeing the commit at once both record it; the second one's clusters
        collide with the first's and it keeps them (the same commit gives the same ones).
        """
        try:
            with self._session(write=True) as session:
                row = self._platform_row(session, platform)
                session.add(
                    models.Render(
                        platform_id=row.id, commit=commit, spec_digest=spec_digest, files=files
                    )
                )
                row.clusters.clear()
                session.flush()  # the old rows go before the new ones take their names
                row.clusters = [
                    models.Cluster(
                        name=c.name, role=c.role, components=c.components, rendered_commit=commit
                    )
                    for c in clusters
                ]
        except IntegrityError:
            return  # another replica recorded this render at the same moment

    def last_render(self, platform: str) -> RenderRecord | None:
        """The newest render recorded for ``platform``, or None."""
        with self._session() as session:
            row = self._platform_row(session, platform)
            render = session.scalar(
                select(models.Render)
                .where(models.Render.platform_id == row.id)
                .order_by(models.Render.id.desc())
                .limit(1)
            )
            if render is None:
                return None
            return RenderRecord(render.commit, render.spec_digest, render.files, _aware(render.at))

    def clusters(self, platform: str) -> list[ClusterRecord]:
        """The clusters of ``platform``'s last recorded render, by name."""
        with self._session() as session:
            row = self._platform_row(session, platform)
            return [
                ClusterRecord(c.name, c.role, c.components, c.rendered_commit) for c in row.clusters
            ]

    def record_assessment(
        self, platform: str, commit: str, *, level: str, areas: dict[str, int], findings: int
    ) -> AssessmentRecord:
        """Record the assessment of ``commit``; assessing the same commit again replaces it.

        Two replicas recording the same new commit at once both try to insert it; the one
        that loses the race finds the winner's row and updates it instead.
        """
        try:
            return self._record_assessment(platform, commit, level, areas, findings)
        except IntegrityError:
            return self._record_assessment(platform, commit, level, areas, findings)

    def _record_assessment(
        self, platform: str, commit: str, level: str, areas: dict[str, int], findings: int
    ) -> AssessmentRecord:
        with self._session(write=True) as session:
            row = self._platform_row(session, platform)
            existing = session.scalar(
                select(models.Assessment).where(
                    models.Assessment.platform_id == row.id, models.Assessment.commit == commit
                )
            )
            if existing is None:
                existing = models.Assessment(platform_id=row.id, commit=commit)
                session.add(existing)
            existing.level, existing.areas, existing.findings = level, dict(areas), findings
            existing.at = models.utc_now()
            session.flush()  # the database moves the platform's revision (migration 0005)
            return AssessmentRecord(commit, level, dict(areas), findings, existing.at)

    def assessments(self, platform: str) -> list[AssessmentRecord]:
        """Every recorded assessment of ``platform``, oldest first."""
        assessment = models.Assessment
        with self._session() as session:
            rows = session.execute(
                select(
                    assessment.commit,
                    assessment.level,
                    assessment.areas,
                    assessment.findings,
                    assessment.at,
                )
                .join(models.Platform)
                .where(models.Platform.name == platform)
                .order_by(assessment.at, assessment.id)
            )
            return [
                AssessmentRecord(commit, level, dict(areas), findings, _aware(at))
                for commit, level, areas, findings, at in rows
            ]

    def audit(
        self,
        actor: str,
        action: str,
        *,
        platform: str | None = None,
        detail: str = "",
        commit: str | None = None,
    ) -> None:
        """Append an event to the audit log."""
        with self._session(write=True) as session:
            session.add(
                models.AuditEvent(
                    actor=actor, action=action, platform=platform, detail=detail, commit=commit
                )
            )

    def audit_events(self, limit: int = 100, *, before: int | None = None) -> list[AuditRecord]:
        """The newest ``limit`` audit events (older than the event ``before``), newest first."""
        query = select(models.AuditEvent).order_by(models.AuditEvent.id.desc()).limit(limit)
        if before is not None:
            query = query.where(models.AuditEvent.id < before)
        with self._session() as session:
            return [
                AuditRecord(e.actor, e.action, e.platform, e.detail, e.commit, _aware(e.at), e.id)
                for e in session.scalars(query)
            ]

    def readings(self, keys: Mapping[str, tuple[str, str]]) -> dict[str, dict[str, Any]]:
        """The saved summaries of the platforms in ``keys`` at the states they name.

        ``keys`` maps a platform's name to its state (HEAD, spec blob); a platform with no
        summary saved at that state is left out. One query, however many platforms.
        """
        if not keys:
            return {}
        with self._session() as session:
            rows = session.execute(
                select(models.Platform.name, models.PlatformReading)
                .join(models.PlatformReading)
                .where(models.Platform.name.in_(keys))
                .where(models.PlatformReading.head.in_({head for head, _ in keys.values()}))
            )
            return {
                name: dict(reading.summary)
                for name, reading in rows
                if keys[name] == (reading.head, reading.spec_blob)
            }

    def save_reading(
        self, platform: str, head: str, spec_blob: str, summary: Mapping[str, object]
    ) -> None:
        """Save ``platform``'s summary at the state (``head``, ``spec_blob``).

        Two replicas seeing a new state at once both plan it and both save it; the second
        finds the first's row, which says the same, and keeps it.
        """
        try:
            with self._session(write=True) as session:
                row = self._platform_row(session, platform)
                session.add(
                    models.PlatformReading(
                        platform_id=row.id, head=head, spec_blob=spec_blob, summary=dict(summary)
                    )
                )
                session.flush()
        except IntegrityError:
            return

    def add_token(
        self,
        name: str,
        token_hash: str,
        *,
        scopes: Sequence[str],
        owner: str,
        expires_at: datetime.datetime,
        follows_owner: bool = False,
    ) -> TokenRecord:
        """Keep a new API token's hash.

        Raises:
            TokenExistsError: a token of that name exists already.
        """
        row = models.ApiToken(
            name=name,
            token_hash=token_hash,
            scopes=list(scopes),
            owner=owner,
            expires_at=expires_at,
            follows_owner=follows_owner,
        )
        try:
            with self._session(write=True) as session:
                session.add(row)
                session.flush()
                return _token(row)
        except IntegrityError as e:
            raise TokenExistsError(f"an API token named {name!r} exists already") from e

    def tokens(self, owner: str | None = None) -> list[TokenRecord]:
        """Every API token (or ``owner``'s), by name."""
        query = select(models.ApiToken).order_by(models.ApiToken.name)
        if owner is not None:
            query = query.where(models.ApiToken.owner == owner)
        with self._session() as session:
            return [_token(row) for row in session.scalars(query)]

    def token(self, name: str) -> TokenRecord | None:
        """The API token named ``name``, or None."""
        with self._session() as session:
            row = session.scalar(select(models.ApiToken).where(models.ApiToken.name == name))
            return None if row is None else _token(row)

    def token_by_hash(self, token_hash: str) -> TokenRecord | None:
        """The API token whose hash is ``token_hash``, or None."""
        with self._session() as session:
            row = session.scalar(
                select(models.ApiToken).where(models.ApiToken.token_hash == token_hash)
            )
            return None if row is None else _token(row)

    def delete_token(self, name: str) -> bool:
        """Forget the API token named ``name``; whether there was one."""
        with self._session(write=True) as session:
            row = session.scalar(select(models.ApiToken).where(models.ApiToken.name == name))
            if row is None:
                return False
            session.delete(row)
            return True

    def record_sign_in(self, name: str, roles: Iterable[str]) -> None:
        """Remember the roles ``name`` signed in with now, in place of any earlier ones."""
        held = sorted(roles)
        try:
            self._record_sign_in(name, held)
        except IntegrityError:  # their first sign-in twice at once: the other row is there now
            self._record_sign_in(name, held)

    def _record_sign_in(self, name: str, roles: list[str]) -> None:
        with self._session(write=True) as session:
            row = session.scalar(select(models.SignIn).where(models.SignIn.name == name))
            if row is None:
                row = models.SignIn(name=name)
                session.add(row)
            row.roles = roles
            row.at = models.utc_now()

    def sign_in(self, name: str) -> SignInRecord | None:
        """``name``'s latest sign-in, or None if they never signed in."""
        with self._session() as session:
            row = session.scalar(select(models.SignIn).where(models.SignIn.name == name))
            return None if row is None else SignInRecord(name, tuple(row.roles), _aware(row.at))

    @staticmethod
    def _platform_row(session: Session, name: str) -> models.Platform:
        row = session.scalar(select(models.Platform).where(models.Platform.name == name))
        if row is None:
            raise KeyError(name)
        return row

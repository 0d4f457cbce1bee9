"""The fleet service's tables, as SQLAlchemy 2 typed models.

The store is an index and a history, never the truth: every platform is a Git repository
that Argo CD reads, and every change the service makes is a commit there. What is kept
here is what is costly to recompute or cannot be recomputed: which repositories form the
fleet, what each render and assessment found at which commit, what a platform's summary is at
each state of its repository, who changed what, the API tokens of callers, and the roles
each person last signed in with. (A change's idempotency key is a trailer of its commit, so
retries are answered from Git itself.)
Migrations (``store/migrations``) create these tables; a change here without a migration
fails the store's tests.
"""

from __future__ import annotations

import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utc_now() -> datetime.datetime:
    """The current time, timezone-aware in UTC (every timestamp the store writes)."""
    return datetime.datetime.now(datetime.UTC)


class Base(DeclarativeBase):
    """The declarative base of every table of the store."""

    type_annotation_map = {datetime.datetime: DateTime(timezone=True)}  # noqa: RUF012


class Platform(Base):
    """A platform of the fleet: a Git repository holding its spec and its rendered tree."""

    __tablename__ = "platforms"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    repository: Mapped[str] = mapped_column(Text)
    """The repository's local path (a working tree the service may commit in)."""
    remote: Mapped[str | None] = mapped_column(Text, default=None)
    """The Git remote the service pushes to, when there is one."""
    spec_path: Mapped[str] = mapped_column(String(500), default="platform.yaml")
    rendered: Mapped[str] = mapped_column(String(500), default="rendered")
    """The folder of the repository the rendered tree is in."""
    added_at: Mapped[datetime.datetime] = mapped_column(default=utc_now)
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Moved by every write of the platform's recorded history (its assessments), in the
    same transaction, by the database itself (triggers of migration 0005): a reader that
    saw the same revision twice saw the same history."""

    clusters: Mapped[list[Cluster]] = relationship(
        back_populates="platform", cascade="all, delete-orphan", order_by="Cluster.name"
    )


class Cluster(Base):
    """A cluster of a platform as it was last rendered (the spec is the truth)."""

    __tablename__ = "clusters"
    __table_args__ = (UniqueConstraint("platform_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    components: Mapped[int] = mapped_column(Integer, default=0)
    rendered_commit: Mapped[str | None] = mapped_column(String(64), default=None)

    platform: Mapped[Platform] = relationship(back_populates="clusters")


class Render(Base):
    """One render of a platform committed into its repository."""

    __tablename__ = "renders"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    commit: Mapped[str] = mapped_column(String(64))
    spec_digest: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the spec the commit was rendered from (drift is a different digest)."""
    files: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[datetime.datetime] = mapped_column(default=utc_now)


class Assessment(Base):
    """The assessment of a platform's rendered tree at one commit."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("platform_id", "commit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    commit: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(40))
    areas: Mapped[dict[str, int]] = mapped_column(JSON)
    """Maturity rating (1-5) per assessment area, by area id."""
    findings: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[datetime.datetime] = mapped_column(default=utc_now)


class AuditEvent(Base):
    """A change someone made through the service: who, what, when, and its commit."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    platform: Mapped[str | None] = mapped_column(String(200), default=None)
    detail: Mapped[str] = mapped_column(Text, default="")
    commit: Mapped[str | None] = mapped_column(String(64), default=None)
    at: Mapped[datetime.datetime] = mapped_column(default=utc_now)


class ApiToken(Base):
    """An API token for automation: only its hash is kept, with its scopes and expiry."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    owner: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime.datetime]
    created_at: Mapped[datetime.datetime] = mapped_column(default=utc_now)
    follows_owner: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Whether the token's scope is capped at its owner's role as of their latest sign-in
    (a token a signed-in person made); a bootstrap token made on the service's host is not."""


class SignIn(Base):
    """The roles a person's groups granted at their latest sign-in (none: refused).

    A token a person made acts with at most these, so a token cannot keep a role its
    owner has lost in the provider.
    """

    __tablename__ = "sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    roles: Mapped[list[str]] = mapped_column(JSON)
    at: Mapped[datetime.datetime] = mapped_column(default=utc_now)


class PlatformReading(Base):
    """A platform's summary at one state of its repository: HEAD and the spec's blob.

    Planning a platform takes far longer than a request may, so the fleet page reads this
    row instead: whoever first sees a state (a new commit, an edited spec) plans it once
    and saves the summary here, for every replica of the service. The key is what a
    request can check cheaply; a state it has never seen has no row, so nothing stale is
    ever shown.
    """

    __tablename__ = "platform_readings"
    __table_args__ = (UniqueConstraint("platform_id", "head", "spec_blob"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    head: Mapped[str] = mapped_column(String(64))
    """The commit HEAD pointed at ('' in a repository without commits)."""
    spec_blob: Mapped[str] = mapped_column(String(64))
    """The Git blob id of the spec file's bytes ('' when it could not be read)."""
    summary: Mapped[dict[str, object]] = mapped_column(JSON)
    """The summary's fields as the fleet's JSON has them (``PlatformSummary.as_dict``)."""
    at: Mapped[datetime.datetime] = mapped_column(default=utc_now)

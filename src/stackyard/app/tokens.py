"""API tokens for automation, and the audit log of every change made to the fleet.

A token is a secret a program sends as ``Authorization: Bearer sy_…`` instead of logging
in. It has a name, a scope (viewer, operator or admin: what its caller may do, never more
than whoever created it may) and an expiry (at most :data:`TOKEN_MAX_LIFETIME`). The secret is
shown once, when the token is created; the store keeps only its SHA-256 digest, so a copy
of the database gives no one a token. Revoking a token forgets it.

A token a signed-in person made follows its owner: it acts with at most the role their
groups granted at their latest sign-in (:func:`record_sign_in`), so a person whose role is
lowered or taken away in the provider cannot keep it through a token. A token made on the
service's host with ``stackyard token create`` (the bootstrap token, whose owner may never
sign in) keeps its scope until it expires or is revoked.

The rules of a token (its name, scope and lifetime) are this module's; the command line,
the API and the dashboard's form take them from here.

Every creation and revocation is written to the audit log with the other changes
(platforms added, clusters registered and deregistered, assessments recorded): who,
what, when, and the commit. The log names a token, never its secret.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from stackyard.app.fleet import Fleet
from stackyard.app.results import Describes
from stackyard.errors import InputError, Location, Problem, StackyardError
from stackyard.store import AuditRecord, TokenRecord
from stackyard.versioning import schema_id

PREFIX = "sy_"
"""Every token starts with it, so a secret scanner (or a person) can tell what it is."""
SECRET_BYTES = 32
TOKEN_MAX_LIFETIME = datetime.timedelta(days=365)
"""A token lives at most a year: automation that runs longer rotates its token."""
AUDIT_PAGE = 50
"""How many audit events one page holds unless asked otherwise."""
MAX_AUDIT_PAGE = 500
TOKEN_NAME_PATTERN = r"^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$"
"""A token's name: unique among all tokens, a label a log line or a URL holds as it is."""
TOKEN_NAME_RULE = (
    "lowercase letters, digits and . _ - (63 at most), starting and ending alphanumeric"
)
_NAME = re.compile(TOKEN_NAME_PATTERN)
_LIFETIME = re.compile(r"(?P<count>[1-9][0-9]*)(?P<unit>[hdw])")
_UNITS = {
    "h": datetime.timedelta(hours=1),
    "d": datetime.timedelta(days=1),
    "w": datetime.timedelta(weeks=1),
}


class TokenScope(StrEnum):
    """What a token's caller may do, each scope including the ones before it."""

    viewer = "viewer"
    operator = "operator"
    admin = "admin"

    def includes(self, other: TokenScope) -> bool:
        """Whether this scope allows everything ``other`` does."""
        order = list(TokenScope)
        return order.index(self) >= order.index(other)


class TokenRefusedError(StackyardError):
    """A token its creator may not make: a scope above their own."""


class OwnerWithoutRoleError(StackyardError):
    """A token that follows its owner, whose latest sign-in granted no role: it allows nothing."""

    def __init__(self, token: str, owner: str, at: datetime.datetime | None) -> None:
        """Name the token, its owner and when they last signed in (None: never seen)."""
        self.token = token
        self.owner = owner
        when = (
            f"when they last signed in ({at:%Y-%m-%d %H:%M} UTC)"
            if at is not None
            else "since tokens follow their owner's role (they have not signed in since)"
        )
        super().__init__(
            f"the API token {token} acts for {owner}, whose groups granted no role {when}: "
            f"it allows nothing until {owner} signs in with a group that grants one"
        )


class UnknownTokenError(StackyardError):
    """No token of that name (or none the caller may see)."""

    def __init__(self, name: str) -> None:
        """Name the token asked for."""
        self.name = name
        super().__init__(f"there is no API token named {name!r}")


def _problem(field: str, message: str, hint: str) -> InputError:
    return InputError([Problem(Location("token"), field, message, hint)])


def parse_lifetime(text: str) -> datetime.timedelta:
    """How long a token lives, from ``30d``, ``12h`` or ``4w``.

    Whether it is short enough is :func:`create_token`'s to say, for every way of asking.

    Raises:
        InputError: not a lifetime.
    """
    match = _LIFETIME.fullmatch(text.strip())
    if match is None:
        raise _problem(
            "expires", f"{text!r} is not a lifetime", "a number and a unit: 12h, 30d or 4w"
        )
    return int(match["count"]) * _UNITS[match["unit"]]


def token_hash(secret: str) -> str:
    """The digest the store keeps of ``secret``.

    A plain SHA-256 is enough here, unlike for passwords: the secret is 32 random bytes, so
    there is nothing to guess and a slow, salted hash would only slow every request down.
    """
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class TokenView:
    """A token as its owner and admins see it: never its secret (except once, at creation)."""

    NAME_PATTERN: ClassVar[str] = TOKEN_NAME_PATTERN
    NAME_RULE: ClassVar[str] = TOKEN_NAME_RULE
    MAX_LIFETIME: ClassVar[datetime.timedelta] = TOKEN_MAX_LIFETIME

    name: str
    scope: TokenScope
    owner: str
    created_at: datetime.datetime
    expires_at: datetime.datetime
    secret: str | None = None
    """The token itself, only in the answer that created it."""
    revoked: bool = False
    follows_owner: bool = False
    """Whether it acts with at most its owner's role at their latest sign-in."""

    @property
    def expired(self) -> bool:
        """Whether the token no longer authenticates anyone."""
        return self.expires_at <= datetime.datetime.now(datetime.UTC)

    def fields(self) -> dict[str, Any]:
        """The token's JSON fields, without the schema (a list holds these)."""
        return {
            "name": self.name,
            "scope": str(self.scope),
            "owner": self.owner,
            "createdAt": self.created_at.isoformat(),
            "expiresAt": self.expires_at.isoformat(),
            "expired": self.expired,
            "revoked": self.revoked,
            "followsOwner": self.follows_owner,
            "secret": self.secret,
        }


@dataclass(frozen=True)
class TokenResult(Describes):
    """One token: just created (with its secret, shown this once) or just revoked."""

    token: TokenView

    def as_dict(self) -> dict[str, Any]:
        """JSON shape ``token``."""
        return {"schema": schema_id("token"), **self.token.fields()}


@dataclass(frozen=True)
class TokenList(Describes):
    """Tokens by name, none with its secret."""

    tokens: tuple[TokenView, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON shape ``tokens``."""
        return {"schema": schema_id("tokens"), "tokens": [t.fields() for t in self.tokens]}


@dataclass(frozen=True)
class AuditLog(Describes):
    """A page of the audit log, newest first, and where the next (older) page starts."""

    PAGE: ClassVar[int] = AUDIT_PAGE
    LARGEST_PAGE: ClassVar[int] = MAX_AUDIT_PAGE

    events: tuple[AuditRecord, ...]
    next_before: int | None
    """Ask for the events before this id for the next page; None on the last page."""

    def as_dict(self) -> dict[str, Any]:
        """JSON shape ``audit-log``."""
        return {
            "schema": schema_id("audit-log"),
            "events": [
                {
                    "id": e.id,
                    "at": e.at.isoformat(),
                    "actor": e.actor,
                    "action": e.action,
                    "platform": e.platform,
                    "detail": e.detail,
                    "commit": e.commit,
                }
                for e in self.events
            ],
            "nextBefore": self.next_before,
        }


@dataclass(frozen=True)
class TokenCaller:
    """A live token presented by a caller, and what it allows them now."""

    token: TokenView
    scope: TokenScope
    """The token's scope, or less: its owner's role at their latest sign-in, when lower."""


def _view(record: TokenRecord, *, secret: str | None = None, revoked: bool = False) -> TokenView:
    scope = TokenScope(record.scopes[0]) if record.scopes else TokenScope.viewer
    return TokenView(
        record.name,
        scope,
        record.owner,
        record.created_at,
        record.expires_at,
        secret,
        revoked,
        record.follows_owner,
    )


def highest_scope(roles: Iterable[str]) -> TokenScope | None:
    """The largest scope among ``roles`` (names of scopes; others are ignored), or None."""
    held = [TokenScope(role) for role in roles if role in TokenScope.__members__]
    return max(held, key=list(TokenScope).index, default=None)


def _token_problems(name: str, lifetime: datetime.timedelta) -> list[Problem]:
    """What is wrong with a token's name and lifetime, every problem at once."""
    problems = []
    if not _NAME.fullmatch(name):
        problems.append(
            Problem(Location("token"), "name", f"{name!r} is not a token name", TOKEN_NAME_RULE)
        )
    if lifetime <= datetime.timedelta(0):
        problems.append(
            Problem(Location("token"), "expires", "a token must live for a while", "e.g. 30d")
        )
    elif lifetime > TOKEN_MAX_LIFETIME:
        days = lifetime / datetime.timedelta(days=1)
        problems.append(
            Problem(
                Location("token"),
                "expires",
                f"{days:g} days is longer than a token may live",
                f"{TOKEN_MAX_LIFETIME.days} days at most",
            )
        )
    return problems


def create_token(
    fleet: Fleet,
    name: str,
    scope: TokenScope,
    lifetime: datetime.timedelta,
    *,
    owner: str,
    creator_scope: TokenScope,
    actor: str,
    follows_owner: bool = False,
) -> TokenResult:
    """Make a token for ``owner``; its secret is in the result, and nowhere else ever again.

    ``follows_owner``: the token acts with at most its owner's role at their latest
    sign-in (a token a signed-in person makes); without it, it keeps ``scope`` (a
    bootstrap token made on the service's host).

    Raises:
        InputError: a name that is not a lowercase label, or a lifetime out of range.
        TokenRefusedError: ``scope`` is above ``creator_scope``.
        TokenExistsError: a token of that name exists already.
    """
    if problems := _token_problems(name, lifetime):
        raise InputError(problems)
    if not creator_scope.includes(scope):
        raise TokenRefusedError(
            f"a {creator_scope} may not create a token with the {scope} scope: a token never "
            "allows more than its creator may do"
        )
    secret = PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    expires_at = datetime.datetime.now(datetime.UTC) + lifetime
    record = fleet.store.add_token(
        name,
        token_hash(secret),
        scopes=[str(scope)],
        owner=owner,
        expires_at=expires_at,
        follows_owner=follows_owner,
    )
    fleet.store.audit(
        actor,
        "token.create",
        detail=f"{name} ({scope}, for {owner}, expires {expires_at:%Y-%m-%d %H:%M} UTC)",
    )
    return TokenResult(_view(record, secret=secret))


def list_tokens(fleet: Fleet, *, owner: str | None = None) -> TokenList:
    """Every token (or ``owner``'s), by name, expired ones included until revoked."""
    return TokenList(tuple(_view(record) for record in fleet.store.tokens(owner)))


def revoke_token(fleet: Fleet, name: str, *, owner: str | None = None, actor: str) -> TokenResult:
    """Forget the token named ``name`` (only if ``owner``'s, when given): it stops working now.

    Raises:
        UnknownTokenError: no such token, or not ``owner``'s (whose tokens are not told apart
            from missing ones, so a caller learns nothing of other people's tokens).
    """
    record = fleet.store.token(name)
    if record is None or (owner is not None and record.owner != owner):
        raise UnknownTokenError(name)
    if not fleet.store.delete_token(name):  # revoked by someone else meanwhile
        raise UnknownTokenError(name)
    fleet.store.audit(
        actor, "token.revoke", detail=f"{name} ({record.scopes[0]}, of {record.owner})"
    )
    return TokenResult(_view(record, revoked=True))


def record_sign_in(fleet: Fleet, name: str, roles: Iterable[str]) -> None:
    """Remember that ``name`` signed in now with ``roles`` (none: refused for want of one).

    The tokens ``name`` made act with at most the highest of these from now on.
    """
    fleet.store.record_sign_in(name, roles)


def authenticate_token(fleet: Fleet, secret: str) -> TokenCaller | None:
    """The live token whose secret is ``secret``; None when unknown, revoked or expired.

    A token that follows its owner allows at most its owner's role at their latest sign-in.

    Raises:
        OwnerWithoutRoleError: the token follows its owner, who holds no role now.
    """
    if not secret.startswith(PREFIX):
        return None
    # The lookup compares digests, which an attacker cannot steer byte by byte without
    # finding SHA-256 preimages, so an index lookup leaks nothing a constant-time compare
    # would hide.
    record = fleet.store.token_by_hash(token_hash(secret))
    if record is None:
        return None
    view = _view(record)
    if view.expired:
        return None
    if not view.follows_owner:
        return TokenCaller(view, view.scope)
    seen = fleet.store.sign_in(view.owner)
    held = highest_scope(seen.roles) if seen is not None else None
    if held is None:
        raise OwnerWithoutRoleError(view.name, view.owner, seen.at if seen else None)
    return TokenCaller(view, min(view.scope, held, key=list(TokenScope).index))


def audit_log(fleet: Fleet, *, limit: int = AUDIT_PAGE, before: int | None = None) -> AuditLog:
    """The audit log's newest ``limit`` events (older than the event ``before``), newest first.

    Raises:
        InputError: ``limit`` outside 1-500.
    """
    if not 1 <= limit <= MAX_AUDIT_PAGE:
        raise _problem("limit", f"{limit} is not a page size", f"1 to {MAX_AUDIT_PAGE}")
    events = fleet.store.audit_events(limit + 1, before=before)
    page = tuple(events[:limit])
    return AuditLog(page, page[-1].id if len(events) > limit else None)

"""Who is asking: the one place every route learns its caller and what they may do.

Three ways to be a caller, tried in this order by :func:`authenticate`:

1. ``Authorization: Bearer TOKEN`` (automation): the resolver the service was given for API
   tokens (``Access.bearer``) turns the token into a user, or the call is refused (401).
2. Signed in through OIDC: the session cookie (``sessions``) names the user and the roles
   their groups map to (``auth``).
3. Anonymous: only when the service runs without OIDC — on loopback, or when told to with
   ``--insecure-no-auth`` — every caller is the anonymous operator, as a user of the
   command line on the same host is.

A caller nobody identified gets a redirect to ``/login`` on a page and 401 with
``WWW-Authenticate`` from the API (:class:`NotSignedInError`); a caller without the role a
route needs gets 403 naming the groups that grant it (:class:`ForbiddenError`). Reads need
``viewer`` (:func:`current_user`), changes ``operator`` (:func:`operator`), admin pages
``admin`` (:func:`admin`); every route takes one of these, so no route checks roles itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from stackyard.service import sessions


class Role(StrEnum):
    """What a caller may do, each role including the ones before it."""

    viewer = "viewer"
    operator = "operator"
    admin = "admin"


@dataclass(frozen=True)
class User:
    """A caller: the name the audit log records, and their roles."""

    name: str
    roles: frozenset[Role]
    signed_in: bool = False
    """Whether the caller signed in through OIDC (and so may sign out)."""
    token: str | None = None
    """The name of the API token the caller came with (``service.tokens``); None otherwise."""

    @property
    def actor(self) -> str:
        """Who the audit log says made a change: the person, and their token if any."""
        return f"{self.name} (token {self.token})" if self.token else self.name

    def may(self, role: Role) -> bool:
        """Whether the caller holds ``role`` (or a role that includes it)."""
        order = list(Role)
        return any(order.index(held) >= order.index(role) for held in self.roles)


ANONYMOUS = User("anonymous", frozenset({Role.operator}))

BearerResolver = Callable[[Request, str], "User | None"]
"""Turns an API token into its user, or None when the token is unknown, revoked or expired."""


@dataclass(frozen=True)
class Access:
    """How the service identifies its callers (``app.state.access``)."""

    anonymous: User | None = ANONYMOUS
    """Every caller without a bearer token, when the service runs without sign-in."""
    group_roles: Mapping[str, Role] = field(default_factory=dict)
    """The provider's groups and the role each grants, to say which groups to ask for."""
    bearer: BearerResolver | None = None


OPEN = Access()
"""No sign-in: every caller is the anonymous operator (the service on loopback)."""


class NotSignedInError(Exception):
    """Nobody identified the caller: sign in (a page) or send a valid token (the API)."""

    def __init__(self, detail: str, *, invalid_token: bool = False) -> None:
        """Say why; ``invalid_token`` when a bearer token was sent and refused."""
        super().__init__(detail)
        self.detail = detail
        self.invalid_token = invalid_token


class ForbiddenError(Exception):
    """The caller is known but lacks the role the route needs."""

    def __init__(self, detail: str) -> None:
        """Say what is missing and how to get it."""
        super().__init__(detail)
        self.detail = detail


def access_of(request: Request) -> Access:
    """How the service that got ``request`` identifies callers."""
    access: Access = getattr(request.app.state, "access", OPEN)
    return access


def _bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def authenticate(request: Request) -> User:
    """The caller of ``request``, whatever their roles.

    On the event loop: only a bearer token costs a worker thread (its lookup is a query);
    a session or an open service is known from the request itself.

    Raises:
        NotSignedInError: no valid token, no session, and the service is not open to all.
    """
    access = access_of(request)
    token = _bearer_token(request)
    if token is not None and (access.bearer is not None or access.anonymous is None):
        user = None
        if access.bearer is not None:
            user = await run_in_threadpool(access.bearer, request, token)
        if user is None:
            raise NotSignedInError(
                "the API token is unknown, revoked or expired", invalid_token=True
            )
        return user
    if access.anonymous is not None:
        return access.anonymous
    session = sessions.signed_in(request.session)
    if session is None:
        raise NotSignedInError("sign in first: this service needs a signed-in user or an API token")
    roles = frozenset(Role(role) for role in session.roles if role in Role.__members__)
    return User(session.name, roles, signed_in=True)


def granting(access: Access, role: Role) -> list[str]:
    """The groups whose members hold ``role`` (or a role including it), sorted."""
    return sorted(
        group for group, held in access.group_roles.items() if User("", frozenset({held})).may(role)
    )


async def _require(request: Request, role: Role, what: str) -> User:
    user = await authenticate(request)
    if user.may(role):
        return user
    access = access_of(request)
    groups = granting(access, role)
    if groups:
        how = f"; membership of one of these groups grants it: {', '.join(groups)}"
    elif access.anonymous is not None and user == access.anonymous:
        how = "; without sign-in every caller is an operator (start the service with OIDC)"
    else:
        how = "; ask an administrator for it"
    raise ForbiddenError(f"{user.name} may not {what}: it needs the {role} role{how}")


async def current_user(request: Request) -> User:
    """The caller, who must be allowed to read the fleet (the viewer role)."""
    return await _require(request, Role.viewer, "see the fleet")


async def operator(request: Request) -> User:
    """The caller, who must be allowed to change platforms (the operator role)."""
    return await _require(request, Role.operator, "change platforms")


async def admin(request: Request) -> User:
    """The caller, who must be allowed to see administration pages (the admin role)."""
    return await _require(request, Role.admin, "see administration pages")

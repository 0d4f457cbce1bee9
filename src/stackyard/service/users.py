"""Who is asking: the one place every route learns its caller and what they may do.

This increment has no login yet: every caller is the anonymous user, who may read and may
make the changes the API offers now (add a platform, record an assessment), as a user of
the command line on the same host may. Bind the service to loopback (the default) until
the security increment lands. That increment replaces :func:`current_user` only (OIDC
sessions with roles from the groups claim, hashed API tokens, CSRF for forms); no route
changes, since every route already takes its caller from here and writes the caller's
name into the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fastapi import HTTPException, Request, status


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

    def may(self, role: Role) -> bool:
        """Whether the caller holds ``role`` (or a role that includes it)."""
        order = list(Role)
        return any(order.index(held) >= order.index(role) for held in self.roles)


ANONYMOUS = User("anonymous", frozenset({Role.operator}))


def current_user(request: Request) -> User:
    """The caller of ``request`` (the anonymous user until login is configured)."""
    del request  # the security increment reads the session cookie or bearer token here
    return ANONYMOUS


def operator(request: Request) -> User:
    """The caller, who must be allowed to change platforms (403 otherwise)."""
    user = current_user(request)
    if not user.may(Role.operator):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "changing platforms needs the operator role")
    return user

"""API tokens as callers: ``Authorization: Bearer sy_…`` is a user with the token's scope.

:func:`user_from_bearer` is the resolver ``create_app`` gives ``users.authenticate``, which
tries it before any session: a token that is unknown, revoked or expired is refused there
(401, ``WWW-Authenticate: Bearer error="invalid_token"``), never taken for the anonymous
caller, so automation with a stale token fails loudly instead of acting as someone else.
The caller is the token's owner with the token's scope as their one role — capped at the
owner's role at their latest sign-in for a token a signed-in person made, and refused
(403) while that owner holds no role — and carries the token's name, which the audit log
records beside theirs.
"""

from __future__ import annotations

from fastapi import Request

from stackyard.app import Fleet, OwnerWithoutRoleError, authenticate_token
from stackyard.service.users import ForbiddenError, Role, User


def user_from_bearer(request: Request, secret: str) -> User | None:
    """The caller the bearer token ``secret`` names; None for an unknown, revoked or expired one.

    Raises:
        ForbiddenError: the token follows an owner who holds no role now.
    """
    fleet: Fleet = request.app.state.fleet
    try:
        caller = authenticate_token(fleet, secret)
    except OwnerWithoutRoleError as e:
        raise ForbiddenError(str(e)) from e
    if caller is None:
        return None
    token = caller.token
    return User(token.owner, frozenset({Role(str(caller.scope))}), token=token.name)

"""``/api/v1/tokens``: create, list and revoke API tokens, and the shapes they answer with.

Who may do what:

- A token belongs to a person. The anonymous caller (no login configured) has none and
  may not make one; on the service's host, ``stackyard token create`` makes the first.
- Anyone identified creates tokens for themselves, with a scope up to their own role;
  a caller that came with a token may not create another (a leaked token must not be
  able to mint fresh ones that outlive its revocation).
- Everyone lists and revokes their own tokens; an admin lists and revokes everyone's.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, ConfigDict, Field

from stackyard.app import (
    TokenScope,
    TokenView,
    create_token,
    highest_scope,
    list_tokens,
    parse_lifetime,
    revoke_token,
)
from stackyard.service import csrf
from stackyard.service.errors import ERROR_RESPONSES
from stackyard.service.fleetdep import FleetDep
from stackyard.service.users import ForbiddenError, Role, User, access_of, current_user

TOKENS = "tokens"
router = APIRouter(prefix="/api/v1", tags=[TOKENS], responses=ERROR_RESPONSES)


def person(request: Request, user: Annotated[User, Depends(current_user)]) -> User:
    """The caller, who must be someone: tokens are a person's (403 for the anonymous user)."""
    if user == access_of(request).anonymous:  # a token caller never is: its token is set
        raise ForbiddenError(
            "API tokens belong to a person: sign in, or run stackyard token create on the "
            "service's host"
        )
    return user


def may_create(user: User) -> None:
    """Refuse (403) a caller who came with a token: a leaked one must not mint more."""
    if user.token is not None:
        raise ForbiddenError(
            "a token may not create tokens: sign in, or run stackyard token create"
        )


def _api_person(request: Request, user: Annotated[User, Depends(person)]) -> User:
    """:func:`person`, with the dashboard's CSRF token on a change made with the session.

    As every other change through the API (``csrf.require_api_token``).
    """
    csrf.require_api_token(request)
    return user


Person = Annotated[User, Depends(_api_person)]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewToken(_Shape):
    """A token to create for the caller."""

    name: str = Field(
        pattern=TokenView.NAME_PATTERN,
        description=f"Unique among all tokens: {TokenView.NAME_RULE}",
    )
    scope: TokenScope = Field(
        description="What the token's caller may do; at most the creator's own role"
    )
    expires: str = Field(
        min_length=2,
        max_length=10,
        description=f"How long the token lives: 12h, 30d, 4w "
        f"({TokenView.MAX_LIFETIME.days} days at most)",
        examples=["30d"],
    )


class _TokenBase(_Shape):
    name: str
    scope: TokenScope
    owner: str = Field(description="The person the token acts for")
    createdAt: str = Field(description="ISO 8601")
    expiresAt: str = Field(description="ISO 8601")
    expired: bool
    revoked: bool = Field(description="True only in the answer to its revocation")
    followsOwner: bool = Field(
        description="Whether it acts with at most its owner's role at their latest sign-in "
        "(a token a signed-in person made); false: with its scope alone (a token made on "
        "the service's host, or before the service recorded sign-ins)"
    )


class TokenFields(_TokenBase):
    """A token in a list: never with its secret."""

    secret: None = Field(description="Never in a list: shown once, when the token is created")


class _TokenSchema(_Shape):
    schema_: str = Field(alias="schema", examples=["stackyard.dev/token/v1"])


class Token(_TokenBase, _TokenSchema):
    """One token (``token``): with its secret only in the answer that created it.

    The schema id comes first in the answer, as in every document: pydantic orders the
    fields of the last base first.
    """

    secret: str | None = Field(
        description="The token (sy_…), only in the answer that created it: keep it now, it "
        "is never shown again"
    )


class Tokens(_Shape):
    """Tokens by name (``tokens``)."""

    schema_: str = Field(alias="schema", examples=["stackyard.dev/tokens/v1"])
    tokens: list[TokenFields]


def highest_role(user: User) -> TokenScope:
    """The largest scope ``user``'s roles allow a token of theirs."""
    held = highest_scope(user.roles)
    assert held is not None  # every caller holds a role: current_user requires one
    return held


def owner_filter(user: User) -> str | None:
    """Whose tokens the caller may list and revoke: everyone's for an admin (None)."""
    return None if user.may(Role.admin) else user.name


@router.post(
    "/tokens",
    status_code=status.HTTP_201_CREATED,
    response_model=Token,
)
def post_token(body: NewToken, fleet: FleetDep, user: Person) -> dict[str, Any]:
    """Create a token for the caller; its secret is in this answer and never again."""
    may_create(user)
    return create_token(
        fleet,
        body.name,
        body.scope,
        parse_lifetime(body.expires),
        owner=user.name,
        creator_scope=highest_role(user),
        actor=user.actor,
        follows_owner=user.signed_in,
    ).as_dict()


@router.get("/tokens", response_model=Tokens)
def get_tokens(fleet: FleetDep, user: Person) -> dict[str, Any]:
    """The caller's tokens (an admin's answer: everyone's), without their secrets."""
    return list_tokens(fleet, owner=owner_filter(user)).as_dict()


@router.delete("/tokens/{name}", response_model=Token)
def delete_token(name: str, fleet: FleetDep, user: Person) -> dict[str, Any]:
    """Revoke a token of the caller's (an admin: anyone's); it stops working at once."""
    return revoke_token(fleet, name, owner=owner_filter(user), actor=user.actor).as_dict()

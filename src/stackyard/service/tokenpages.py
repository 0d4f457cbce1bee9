"""The dashboard's API tokens page: ``/tokens`` lists, creates and revokes a person's tokens.

Any signed-in person, a viewer too, makes their own tokens here instead of hand-crafting
an API call: a name, a scope up to their own role and a lifetime in days, posted with the
form's CSRF token (``csrf``) as every dashboard form. The rules are the API's (the same use
cases and the same checks of ``tokenroutes``): a caller that came with a token makes none,
and the anonymous caller of an open service has none to manage.

A created token's secret is in the answer to the form's POST and nowhere else: it is not
kept, not logged, and the answer is not a redirect (which would have to carry the secret
in a URL) and may not be cached. Every later view of the page lists the token without it.
A problem comes back as the form with the problem at its field (422), as on every form.
"""

from __future__ import annotations

import datetime
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from stackyard.app import (
    Fleet,
    TokenExistsError,
    TokenRefusedError,
    TokenScope,
    TokenView,
    create_token,
    list_tokens,
    revoke_token,
)
from stackyard.errors import InputError
from stackyard.service import csrf
from stackyard.service.fleetdep import FleetDep
from stackyard.service.formstate import FormState
from stackyard.service.pages import show
from stackyard.service.tokenroutes import highest_role, may_create, owner_filter, person
from stackyard.service.users import Role, User, access_of, current_user

router = APIRouter(include_in_schema=False)
Viewer = Annotated[User, Depends(current_user)]
Person = Annotated[User, Depends(person)]
Text = Annotated[str, Form(max_length=200)]
CHECKED = [Depends(csrf.require_form_token)]
UNPROCESSABLE = status.HTTP_422_UNPROCESSABLE_CONTENT
DEFAULT_DAYS = "30"

FIELDS = {"name": "name", "scope": "scope", "expires": "expires_days"}
"""Where a refused token's problems go: the use case's fields to the form's."""

_NAME = re.compile(TokenView.NAME_PATTERN)


def _why_not(request: Request, user: User) -> str | None:
    """Why ``user`` may make no token here, or None when they may."""
    if user == access_of(request).anonymous:
        return (
            "API tokens belong to a person, and this service has no sign-in: run "
            "stackyard token create on the service's host"
        )
    if user.token is not None:
        return "a token may not create tokens: sign in to make one"
    return None


def tokens_view(
    request: Request,
    fleet: Fleet,
    user: User,
    *,
    form: FormState | None = None,
    created: TokenView | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    """The tokens page: the caller's tokens (an admin's: everyone's) and the form."""
    refusal = _why_not(request, user)
    revoked = request.query_params.get("revoked", "")
    context: dict[str, Any] = {
        "tokens": list_tokens(fleet, owner=owner_filter(user)).tokens if not refusal else (),
        "everyone": user.may(Role.admin),
        "form": form or FormState({"scope": str(TokenScope.viewer), "expires_days": DEFAULT_DAYS}),
        "scopes": [s for s in TokenScope if highest_role(user).includes(s)],
        "refusal": refusal,
        "created": created,
        "revoked": revoked if _NAME.fullmatch(revoked) else "",
        "name_rule": TokenView.NAME_RULE,
        "max_days": TokenView.MAX_LIFETIME.days,
        # Every person may post this page's forms, a viewer too: the token is theirs.
        "csrf_field": csrf.FIELD,
        "csrf_token": csrf.form_token(request),
    }
    response = show(request, "tokens.html", context, user, status_code)
    if created is not None:
        response.headers["Cache-Control"] = "no-store"  # the secret stays out of caches
    return response


@router.get("/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, fleet: FleetDep, user: Viewer) -> HTMLResponse:
    """The caller's API tokens, and a form to make one."""
    return tokens_view(request, fleet, user)


def _lifetime(form: FormState) -> datetime.timedelta | None:
    """The form's lifetime, or None with the problem at its field."""
    days = form.value("expires_days")
    if not days.isdigit():
        form.add("expires_days", f"{days!r} is not a number of days")
        return None
    return datetime.timedelta(days=int(days))


@router.post("/tokens", response_class=HTMLResponse, dependencies=CHECKED)
def create_token_form(
    request: Request,
    fleet: FleetDep,
    user: Person,
    name: Text = "",
    scope: Text = "",
    expires_days: Text = "",
) -> Response:
    """Make a token for the caller: its secret is on the answering page, and never again."""
    may_create(user)
    form = FormState(
        {"name": name.strip(), "scope": scope.strip(), "expires_days": expires_days.strip()}
    )
    if form.value("scope") not in TokenScope.__members__:
        form.add("scope", f"{form.value('scope')!r} is not one of {', '.join(TokenScope)}")
    lifetime = _lifetime(form)
    if form.failed or lifetime is None:
        return tokens_view(request, fleet, user, form=form, status_code=UNPROCESSABLE)
    try:
        result = create_token(
            fleet,
            form.value("name"),
            TokenScope(form.value("scope")),
            lifetime,
            owner=user.name,
            creator_scope=highest_role(user),
            actor=user.actor,
            follows_owner=user.signed_in,
        )
    except InputError as e:
        problems = [(p.field, p.message + (f" ({p.hint})" if p.hint else "")) for p in e.problems]
        form.with_problems(problems, FIELDS)
        return tokens_view(request, fleet, user, form=form, status_code=UNPROCESSABLE)
    except TokenRefusedError as e:
        form.add("scope", str(e))
        return tokens_view(request, fleet, user, form=form, status_code=UNPROCESSABLE)
    except TokenExistsError as e:
        form.add("name", f"{e}: choose another name")
        return tokens_view(request, fleet, user, form=form, status_code=UNPROCESSABLE)
    return tokens_view(
        request, fleet, user, created=result.token, status_code=status.HTTP_201_CREATED
    )


@router.post("/tokens/{name}/revoke", dependencies=CHECKED)
def revoke_token_form(name: str, fleet: FleetDep, user: Person) -> Response:
    """Revoke a token of the caller's (an admin: anyone's); back to the tokens page."""
    revoke_token(fleet, name, owner=owner_filter(user), actor=user.actor)
    return RedirectResponse(f"/tokens?revoked={name}", status_code=status.HTTP_303_SEE_OTHER)

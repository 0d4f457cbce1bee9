"""Build the service: one FastAPI application over one fleet.

:func:`create_app` takes an open fleet (tests, embedding) or opens one at startup from a
database URL or a data directory and closes it at shutdown. Nothing is configured from
the environment here: ``stackyard serve`` passes its options in, security included
(``security``: sign-in through OIDC, or open to every caller; API tokens through
``bearer_tokens``).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from stackyard import __version__
from stackyard.app import Fleet, open_fleet
from stackyard.service import (
    api,
    audit,
    auth,
    errors,
    forms,
    pages,
    sessions,
    tokenpages,
    tokenroutes,
    tokens,
)
from stackyard.service.answers import Answers
from stackyard.service.security import OPEN, Security
from stackyard.service.users import Access, BearerResolver

DESCRIPTION = """\
The fleet of platforms Stackyard manages: each a Git repository holding a platform spec
and its rendered GitOps tree. Reads come from the repositories through the same use cases
as the command line; the store keeps which repositories form the fleet and the history of
assessed rendered commits.

Callers sign in through the organisation's OIDC provider (the dashboard) or send an API
token as `Authorization: Bearer` (automation); roles come from the provider's groups:
viewer reads, operator registers and deregisters clusters, admin sees the audit log. A
service started without sign-in (on loopback only) treats every caller as an operator.
"""

TAGS = [
    {"name": api.PLATFORMS, "description": "The fleet's platforms, specs, plans and clusters."},
    {"name": api.CLUSTERS, "description": "Register and deregister clusters: each one commit."},
    {"name": api.HISTORY, "description": "Assessments of rendered commits, over time."},
    {
        "name": tokenroutes.TOKENS,
        "description": "API tokens for automation: hashed, scoped, expiring.",
    },
    {"name": audit.AUDIT, "description": "Every change made to the fleet (admins only)."},
]


def create_app(
    fleet: Fleet | None = None,
    *,
    database_url: str | None = None,
    data_dir: Path | None = None,
    security: Security = OPEN,
    bearer_tokens: BearerResolver | None = None,
    form_key: str | None = None,
) -> FastAPI:
    """The service over ``fleet``, or over the fleet it opens at startup.

    Without ``fleet``, the store is ``database_url``, else SQLite in ``data_dir``, else
    SQLite in the user's data directory; it is opened (and migrated) when the service
    starts and closed when it stops. ``security`` says how callers sign in (open to every
    caller by default: the caller of this function decides where that is safe);
    ``bearer_tokens`` turns an ``Authorization: Bearer`` token into its user (by default,
    the fleet's API tokens: ``tokens.user_from_bearer``). ``form_key`` signs the forms'
    CSRF tokens of a service without sign-in (by default, a key of this process; the
    workers of one service share one).
    """
    bearer_tokens = bearer_tokens or tokens.user_from_bearer

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if fleet is not None:
            app.state.fleet = fleet
            yield
            return
        opened = open_fleet(database_url, data_dir)
        app.state.fleet = opened
        try:
            yield
        finally:
            opened.close()

    app = FastAPI(
        title="Stackyard fleet",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    # The forms' CSRF tokens are signed with the session secret, which replicas share; an
    # open service has no session and signs with a key of this process.
    session = security.session
    app.state.secret_key = session.secret if session else form_key or secrets.token_urlsafe(32)
    app.state.answers = Answers()
    if fleet is not None:  # usable without running the lifespan (a plain TestClient)
        app.state.fleet = fleet
    if security.oidc is not None and security.session is not None:
        app.state.access = Access(
            anonymous=None, group_roles=security.oidc.group_roles, bearer=bearer_tokens
        )
        auth.install(app, security.oidc, security.session)
        sessions.install(app, security.session)
    else:
        app.state.access = Access(bearer=bearer_tokens)
    app.include_router(api.router)
    app.include_router(tokenroutes.router)
    app.include_router(audit.api)
    app.include_router(pages.router)
    app.include_router(audit.pages)
    app.include_router(forms.router)
    app.include_router(tokenpages.router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    errors.install(app)
    return app

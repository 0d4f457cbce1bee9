"""Every route takes its caller from ``stackyard.service.users``, so none can forget a role.

Checked on the routes themselves (their FastAPI dependencies), so a route added later is
held to it too: each needs at least a viewer, each change to a platform an operator. Only
the sign-in routes and the service's own documents are open.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from stackyard.service import create_app
from stackyard.service.security import SecurityOptions, security_from_options
from stackyard.service.users import ForbiddenError, admin, current_user, operator

OPEN = {"/healthz", "/login", "/auth/callback", "/logout", "/signed-out"}
"""Routes anyone may call: signing in and out, and whether the process runs."""


def _api_routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    """Every route of the app, inside included routers too.

    FastAPI keeps an included router as one route wrapping the router it was given
    (``original_router``), whose routes carry their own prefix.
    """
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _api_routes(included.routes)
        elif isinstance(route, APIRoute):
            yield route


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any] | None]:
    yield dependant.call
    for dependency in dependant.dependencies:
        yield from _calls(dependency)


def test_every_route_needs_a_role_and_every_change_to_a_platform_the_operator_role(
    tmp_path: Path,
) -> None:
    security = security_from_options(
        SecurityOptions(
            host="127.0.0.1",
            data_dir=tmp_path,
            oidc_issuer="https://sso.example.com/realms/platform",
            oidc_client_id="stackyard",
        )
    )
    app = create_app(security=security)
    every = list(_api_routes(app.routes))
    routes = [r for r in every if r.path not in OPEN]
    assert {"/api/v1/platforms", "/platforms/{name}"} <= {r.path for r in routes}
    for route in routes:
        calls = set(_calls(route.dependant))
        assert calls & {current_user, operator, admin}, f"{route.path} takes no caller"
        changes = route.methods - {"GET", "HEAD"}
        if changes and "/platforms" in route.path:
            assert calls & {operator, admin}, f"{sorted(changes)} {route.path} needs no operator"
    assert {r.path for r in every} >= OPEN


def test_without_sign_in_the_anonymous_caller_is_an_operator_and_no_admin() -> None:
    scope = {"type": "http", "app": create_app(), "method": "GET", "path": "/", "headers": []}
    assert asyncio.run(operator(Request(scope))).name == "anonymous"
    with pytest.raises(ForbiddenError) as refused:
        asyncio.run(admin(Request(scope)))
    assert str(refused.value) == (
        "anonymous may not see administration pages: it needs the admin role; without "
        "sign-in every caller is an operator (start the service with OIDC)"
    )

"""Errors as HTTP statuses, in one place (as ``stackyard.cli.errors`` maps them to exits).

A name the fleet does not know is 404; a platform that exists already is 409; input the
application layer refuses (a path that is no repository, a spec that does not load) is
422 with every problem, located; a plan refused for its error findings is 409 with the
findings; a store that does not answer is 503; a full disk (the repository's file system
or quota) is 507, the change rolled back. A caller nobody identified is sent to sign
in (a page) or gets 401 with ``WWW-Authenticate`` (the API); a caller without the role a
route needs gets 403 naming the groups that grant it; a sign-in that cannot complete gets
a page saying why. Anything else is a bug: 500 with one
line, never a traceback, and the traceback in the server's log.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, RedirectResponse, Response

from stackyard.app import (
    PlanRefusedError,
    PlatformExistsError,
    StoreError,
    TokenExistsError,
    TokenRefusedError,
    UnknownPlatformError,
    UnknownTokenError,
)
from stackyard.errors import InputError, StackyardError, StorageFullError
from stackyard.service.auth import SignInError
from stackyard.service.pages import templates
from stackyard.service.responses import Error
from stackyard.service.users import ForbiddenError, NotSignedInError

log = logging.getLogger("stackyard.service")

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status.HTTP_401_UNAUTHORIZED: {
        "model": Error,
        "description": "No valid API token and no signed-in session (when sign-in is configured)",
    },
    status.HTTP_403_FORBIDDEN: {
        "model": Error,
        "description": "The caller lacks the role the call needs; the groups granting it named",
    },
    status.HTTP_404_NOT_FOUND: {
        "model": Error,
        "description": "No platform, cluster or API token so named",
    },
    status.HTTP_409_CONFLICT: {
        "model": Error,
        "description": "The platform or API token exists already, or the plan has error findings",
    },
    status.HTTP_422_UNPROCESSABLE_CONTENT: {
        "model": Error,
        "description": "Input the service cannot use, each problem located",
    },
    status.HTTP_503_SERVICE_UNAVAILABLE: {
        "model": Error,
        "description": "The store does not answer",
    },
    status.HTTP_507_INSUFFICIENT_STORAGE: {
        "model": Error,
        "description": "The repository's disk is full: nothing was committed",
    },
}


def status_of(error: StackyardError) -> int:
    """The HTTP status of an error the application layer raised on purpose."""
    if isinstance(error, UnknownPlatformError | UnknownTokenError):
        return status.HTTP_404_NOT_FOUND
    if isinstance(error, TokenRefusedError):
        return status.HTTP_403_FORBIDDEN
    if isinstance(error, PlatformExistsError | TokenExistsError | PlanRefusedError):
        return status.HTTP_409_CONFLICT
    if isinstance(error, StoreError):
        return status.HTTP_503_SERVICE_UNAVAILABLE
    if isinstance(error, StorageFullError):
        return status.HTTP_507_INSUFFICIENT_STORAGE
    return status.HTTP_422_UNPROCESSABLE_CONTENT


def error_document(error: StackyardError) -> dict[str, Any]:
    """The JSON body of an error (the ``Error`` model)."""
    document: dict[str, Any] = {"detail": str(error).splitlines()[0] if str(error) else ""}
    if isinstance(error, InputError):
        document["detail"] = "; ".join(str(p) for p in error.problems)
        document["problems"] = [
            {
                "location": str(p.location),
                "field": p.field,
                "message": p.message,
                "hint": p.hint,
            }
            for p in error.problems
        ]
    if isinstance(error, PlanRefusedError):
        document["findings"] = [f.as_dict() for f in error.findings]
    return document


TITLES = {
    status.HTTP_400_BAD_REQUEST: "Sign-in failed",
    status.HTTP_403_FORBIDDEN: "No access",
    status.HTTP_404_NOT_FOUND: "Not found",
    status.HTTP_409_CONFLICT: "Refused",
    status.HTTP_422_UNPROCESSABLE_CONTENT: "Cannot use this input",
    status.HTTP_500_INTERNAL_SERVER_ERROR: "Internal error",
    status.HTTP_503_SERVICE_UNAVAILABLE: "The store does not answer",
    status.HTTP_507_INSUFFICIENT_STORAGE: "The disk is full",
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _respond(request: Request, code: int, document: dict[str, Any]) -> Response:
    """JSON for the API, an HTML page for the dashboard."""
    if _is_api(request):
        return JSONResponse(document, status_code=code)
    context = {"status": code, "title": TITLES.get(code, "Error"), "detail": document["detail"]}
    context["user"] = {"name": ""}
    return templates.TemplateResponse(request, "error.html", context, status_code=code)


def install(app: FastAPI) -> None:
    """Map every error to its status: JSON on ``/api``, a page on the dashboard."""

    @app.exception_handler(StackyardError)
    async def stackyard_error(request: Request, error: StackyardError) -> Response:
        return _respond(request, status_of(error), error_document(error))

    @app.exception_handler(NotSignedInError)
    async def not_signed_in(request: Request, error: NotSignedInError) -> Response:
        if _is_api(request) or request.headers.get("authorization"):
            challenge = 'Bearer realm="stackyard"'
            if error.invalid_token:
                challenge += ', error="invalid_token"'
            return JSONResponse(
                {"detail": error.detail},
                status_code=status.HTTP_401_UNAUTHORIZED,
                headers={"WWW-Authenticate": challenge},
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(
            f"/login?{urlencode({'next': target})}", status_code=status.HTTP_303_SEE_OTHER
        )

    @app.exception_handler(ForbiddenError)
    async def forbidden(request: Request, error: ForbiddenError) -> Response:
        return _respond(request, status.HTTP_403_FORBIDDEN, {"detail": error.detail})

    @app.exception_handler(SignInError)
    async def sign_in_failed(request: Request, error: SignInError) -> Response:
        return _respond(request, error.code, {"detail": error.detail})

    @app.exception_handler(HTTPException)
    async def refused(request: Request, error: HTTPException) -> Response:
        # The API keeps FastAPI's JSON; a dashboard page or form gets a page to read.
        if _is_api(request) or request.url.path in ("/docs", "/openapi.json"):
            return await http_exception_handler(request, error)
        document = {"detail": str(error.detail)}
        response = _respond(request, error.status_code, document)
        response.headers.update(error.headers or {})
        return response

    @app.exception_handler(Exception)
    async def bug(request: Request, error: Exception) -> Response:
        log.exception("internal error on %s %s", request.method, request.url.path)
        detail = f"internal error, please report it: {type(error).__name__}"
        return _respond(request, status.HTTP_500_INTERNAL_SERVER_ERROR, {"detail": detail})

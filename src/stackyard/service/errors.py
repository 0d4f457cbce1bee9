"""Errors as HTTP statuses, in one place (as ``stackyard.cli.errors`` maps them to exits).

A name the fleet does not know is 404; a platform that exists already is 409; input the
application layer refuses (a path that is no repository, a spec that does not load) is
422 with every problem, located; a plan refused for its error findings is 409 with the
findings; a store that does not answer is 503. Anything else is a bug: 500 with one
line, never a traceback, and the traceback in the server's log.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse, Response

from stackyard.app import (
    PlanRefusedError,
    PlatformExistsError,
    StoreError,
    UnknownPlatformError,
)
from stackyard.errors import InputError, StackyardError
from stackyard.service.pages import templates
from stackyard.service.responses import Error

log = logging.getLogger("stackyard.service")

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status.HTTP_404_NOT_FOUND: {"model": Error, "description": "No platform or cluster so named"},
    status.HTTP_409_CONFLICT: {
        "model": Error,
        "description": "The platform exists already, or its plan has error findings",
    },
    status.HTTP_422_UNPROCESSABLE_CONTENT: {
        "model": Error,
        "description": "Input the service cannot use, each problem located",
    },
    status.HTTP_503_SERVICE_UNAVAILABLE: {
        "model": Error,
        "description": "The store does not answer",
    },
}


def status_of(error: StackyardError) -> int:
    """The HTTP status of an error the application layer raised on purpose."""
    if isinstance(error, UnknownPlatformError):
        return status.HTTP_404_NOT_FOUND
    if isinstance(error, PlatformExistsError | PlanRefusedError):
        return status.HTTP_409_CONFLICT
    if isinstance(error, StoreError):
        return status.HTTP_503_SERVICE_UNAVAILABLE
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
    status.HTTP_404_NOT_FOUND: "Not found",
    status.HTTP_409_CONFLICT: "Refused",
    status.HTTP_422_UNPROCESSABLE_CONTENT: "Cannot use this input",
    status.HTTP_500_INTERNAL_SERVER_ERROR: "Internal error",
    status.HTTP_503_SERVICE_UNAVAILABLE: "The store does not answer",
}


def _respond(request: Request, code: int, document: dict[str, Any]) -> Response:
    """JSON for the API, an HTML page for the dashboard."""
    if request.url.path.startswith("/api/"):
        return JSONResponse(document, status_code=code)
    context = {"status": code, "title": TITLES.get(code, "Error"), "detail": document["detail"]}
    context["user"] = {"name": ""}
    return templates.TemplateResponse(request, "error.html", context, status_code=code)


def install(app: FastAPI) -> None:
    """Map every error to its status: JSON on ``/api``, a page on the dashboard."""

    @app.exception_handler(StackyardError)
    async def stackyard_error(request: Request, error: StackyardError) -> Response:
        return _respond(request, status_of(error), error_document(error))

    @app.exception_handler(Exception)
    async def bug(request: Request, error: Exception) -> Response:
        log.exception("internal error on %s %s", request.method, request.url.path)
        detail = f"internal error, please report it: {type(error).__name__}"
        return _respond(request, status.HTTP_500_INTERNAL_SERVER_ERROR, {"detail": detail})

"""The audit log for admins: ``GET /api/v1/audit`` and the ``/audit`` page, both paged.

Every change made to the fleet is an event (who, what, which platform, which commit,
when): platforms added, clusters registered and deregistered, assessments recorded, API
tokens created and revoked. The log is read newest first, a page at a time; the next
page starts before the last event shown (``before``), so events added meanwhile never
shift a page. Only admins read it: it names every person and token that changed anything.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from stackyard.app import AuditLog, audit_log
from stackyard.service.errors import ERROR_RESPONSES
from stackyard.service.fleetdep import FleetDep
from stackyard.service.pages import templates
from stackyard.service.users import User, admin

AUDIT = "audit"
api = APIRouter(prefix="/api/v1", tags=[AUDIT], responses=ERROR_RESPONSES)
pages = APIRouter(include_in_schema=False)
Admin = Annotated[User, Depends(admin)]
Limit = Annotated[int, Query(ge=1, le=AuditLog.LARGEST_PAGE, description="Events per page")]
Before = Annotated[
    int | None, Query(ge=1, description="Only events older than this one (nextBefore)")
]


class AuditEvent(BaseModel):
    """One change: who made it, what it was, to which platform, and its commit."""

    model_config = ConfigDict(extra="forbid")

    id: int
    at: str = Field(description="ISO 8601")
    actor: str = Field(description="The person, and the API token they came with if any")
    action: str = Field(
        description="platform.add, platform.assess, cluster.register, cluster.deregister, "
        "token.create or token.revoke"
    )
    platform: str | None
    detail: str
    commit: str | None


class AuditPage(BaseModel):
    """A page of the audit log, newest first (``audit-log``)."""

    model_config = ConfigDict(extra="forbid")

    schema_: str = Field(alias="schema", examples=["stackyard.dev/audit-log/v1"])
    events: list[AuditEvent]
    nextBefore: int | None = Field(description="Pass as before= for the next, older page")


@api.get("/audit", response_model=AuditPage)
def get_audit(
    fleet: FleetDep, user: Admin, limit: Limit = AuditLog.PAGE, before: Before = None
) -> dict[str, Any]:
    """Every change made to the fleet, newest first, a page at a time (admins only)."""
    return audit_log(fleet, limit=limit, before=before).as_dict()


@pages.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request, fleet: FleetDep, user: Admin, before: Before = None
) -> HTMLResponse:
    """The audit log as a page, newest first, with a link to the older events."""
    return templates.TemplateResponse(
        request, "audit.html", {"log": audit_log(fleet, before=before), "user": user}
    )

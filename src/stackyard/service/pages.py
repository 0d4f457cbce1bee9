"""The dashboard: server-rendered pages of the fleet, a platform and a cluster.

Jinja2 templates (``templates/``) with inline CSS and inline SVG charts (``charts``): no
script and no front-end build, so what the server sends is the whole page. Each page
calls the same use cases as the API, so the dashboard and ``/api/v1`` show the same data.
An operator also sees the forms that change the fleet (sent to ``forms``): each page here
takes the state of its form, so a form sent with a problem comes back on its own page.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from stackyard import __version__
from stackyard.app import (
    FailureMatrixResult,
    Fleet,
    PlanRefusedError,
    fleet_version,
    incident_matrix,
    list_fleet,
    platform_version,
    policy_choices,
    read_platform,
)
from stackyard.app import Role as ClusterRole
from stackyard.errors import StackyardError
from stackyard.service import charts, csrf
from stackyard.service.answers import page_answer
from stackyard.service.fleetdep import FleetDep
from stackyard.service.formstate import FormState
from stackyard.service.users import Role, User, current_user

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals["version"] = __version__
router = APIRouter(include_in_schema=False)
Viewer = Annotated[User, Depends(current_user)]
CLUSTER_ROLES: tuple[ClusterRole, ...] = get_args(ClusterRole)
"""The roles the register-cluster form offers: the spec's, in its order."""


def _matrix(fleet: Fleet, name: str) -> tuple[FailureMatrixResult | None, str]:
    """The incident matrix, or why there is none (a spec that does not plan cleanly)."""
    try:
        return incident_matrix(fleet, name), ""
    except PlanRefusedError as e:
        return None, f"no incident matrix: {e}"
    except StackyardError as e:
        return None, f"no incident matrix: {str(e).splitlines()[0]}"


def render(request: Request, template: str, context: dict[str, Any], user: User, token: str) -> str:
    """``template`` for ``user``; an operator's forms get ``token`` as their hidden token."""
    operator = user.may(Role.operator)
    context = {**context, "request": request, "user": user, "operator": operator}
    if operator:
        context["csrf_field"] = csrf.FIELD
        context["csrf_token"] = token
    return templates.get_template(template).render(context)


def show(
    request: Request,
    template: str,
    context: dict[str, Any],
    user: User,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    """Render ``template`` for ``user``; an operator's forms get their hidden token."""
    token = csrf.form_token(request) if user.may(Role.operator) else ""
    response = HTMLResponse(render(request, template, context, user, token), status_code)
    csrf.set_cookie(request, response)
    return response


def _fleet_context(fleet: Fleet, form: FormState | None) -> dict[str, Any]:
    defaults = FormState({"spec_path": "platform.yaml", "rendered": "rendered"})
    return {"fleet": list_fleet(fleet), "form": form or defaults}


def fleet_view(
    request: Request,
    fleet: Fleet,
    user: User,
    form: FormState | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    """The fleet page, with the add-platform form as ``form`` has it."""
    return show(request, "fleet.html", _fleet_context(fleet, form), user, status_code)


def _registration(key: str | None = None) -> FormState:
    """The register-cluster form as first shown; ``key``: its idempotency key (else new)."""
    return FormState({"role": "app"}, key=key) if key else FormState({"role": "app"})


def _platform_context(
    request: Request, fleet: Fleet, name: str, form: FormState | None
) -> dict[str, Any]:
    detail = read_platform(fleet, name)
    matrix, no_matrix = _matrix(fleet, name)
    return {
        "platform": detail,
        "radar": charts.radar(detail.areas),
        "trend": charts.trend(detail.history),
        "matrix": matrix,
        "no_matrix": no_matrix,
        "form": form or _registration(),
        "roles": CLUSTER_ROLES,
        "templates": policy_choices(fleet, name),
        "notice": _notice(request),
    }


def platform_view(
    request: Request,
    fleet: Fleet,
    user: User,
    name: str,
    form: FormState | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    """A platform's page, with the register-cluster form as ``form`` has it."""
    context = _platform_context(request, fleet, name, form)
    return show(request, "platform.html", context, user, status_code)


_SHA = re.compile(r"[0-9a-f]{40}")
_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DONE = {"registered": "registered", "deregistered": "deregistered", "unchanged": "unchanged"}


def _notice(request: Request) -> dict[str, str] | None:
    """What the change that redirected here did (``?done=registered&cluster=…&commit=…``).

    Only a known verb, a cluster name and a commit id are shown, so a link cannot make the
    page say anything else.
    """
    query = request.query_params
    done, cluster, commit = query.get("done", ""), query.get("cluster", ""), query.get("commit")
    if done not in _DONE or not _NAME.fullmatch(cluster):
        return None
    if commit is not None and not _SHA.fullmatch(commit):
        return None
    return {"done": _DONE[done], "cluster": cluster, "commit": commit or ""}


@router.get("/", response_class=HTMLResponse)
async def fleet_page(request: Request, fleet: FleetDep, user: Viewer) -> HTMLResponse:
    """Every platform of the fleet, one row each (kept per version: ``answers``)."""
    return await page_answer(
        request,
        user,
        "fleet",
        lambda: fleet_version(fleet),
        lambda view: render(
            request, "fleet.html", _fleet_context(fleet, None), user, view.csrf_token
        ),
    )


@router.get("/platforms/{name}", response_class=HTMLResponse)
async def platform_page(request: Request, name: str, fleet: FleetDep, user: Viewer) -> HTMLResponse:
    """One platform: clusters and components, findings, maturity and incidents.

    Kept per version (``answers``), unless the address carries the notice of a change.
    """
    if request.query_params:
        return await run_in_threadpool(platform_view, request, fleet, user, name)
    return await page_answer(
        request,
        user,
        ("platform", name),
        lambda: platform_version(fleet, name),
        lambda view: render(
            request,
            "platform.html",
            _platform_context(request, fleet, name, _registration(view.form_key)),
            user,
            view.csrf_token,
        ),
    )


@router.get("/platforms/{name}/clusters/{cluster}", response_class=HTMLResponse)
def cluster_page(
    request: Request, name: str, cluster: str, fleet: FleetDep, user: Viewer
) -> HTMLResponse:
    """One cluster: its components, what is left off and why, findings, its outage."""
    detail = read_platform(fleet, name)
    view = detail.cluster(cluster)
    matrix, no_matrix = _matrix(fleet, name)
    outage = None
    if matrix is not None:
        outage = next((row for row in matrix.matrix.rows if row.target == cluster), None)
    context = {
        "platform": detail,
        "cluster": view,
        "outage": outage,
        "no_matrix": no_matrix,
        "notice": _notice(request),
    }
    return show(request, "cluster.html", context, user)

"""The dashboard: server-rendered pages of the fleet, a platform and a cluster.

Jinja2 templates (``templates/``) with inline CSS and inline SVG charts (``charts``): no
script and no front-end build, so what the server sends is the whole page. Each page
calls the same use cases as the API, so the dashboard and ``/api/v1`` show the same data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from stackyard import __version__
from stackyard.app import (
    FailureMatrixResult,
    Fleet,
    PlanRefusedError,
    incident_matrix,
    list_fleet,
    read_platform,
)
from stackyard.errors import StackyardError
from stackyard.service import charts
from stackyard.service.users import User, current_user

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals["version"] = __version__
router = APIRouter(include_in_schema=False)
Viewer = Annotated[User, Depends(current_user)]


def _fleet(request: Request) -> Fleet:
    fleet: Fleet = request.app.state.fleet
    return fleet


FleetDep = Annotated[Fleet, Depends(_fleet)]


def _matrix(fleet: Fleet, name: str) -> tuple[FailureMatrixResult | None, str]:
    """The incident matrix, or why there is none (a spec that does not plan cleanly)."""
    try:
        return incident_matrix(fleet, name), ""
    except PlanRefusedError as e:
        return None, f"no incident matrix: {e}"
    except StackyardError as e:
        return None, f"no incident matrix: {str(e).splitlines()[0]}"


@router.get("/", response_class=HTMLResponse)
def fleet_page(request: Request, fleet: FleetDep, user: Viewer) -> HTMLResponse:
    """Every platform of the fleet, one row each."""
    return templates.TemplateResponse(
        request, "fleet.html", {"fleet": list_fleet(fleet), "user": user}
    )


@router.get("/platforms/{name}", response_class=HTMLResponse)
def platform_page(request: Request, name: str, fleet: FleetDep, user: Viewer) -> HTMLResponse:
    """One platform: clusters and components, findings, maturity and incidents."""
    detail = read_platform(fleet, name)
    matrix, no_matrix = _matrix(fleet, name)
    return templates.TemplateResponse(
        request,
        "platform.html",
        {
            "platform": detail,
            "radar": charts.radar(detail.areas),
            "trend": charts.trend(detail.history),
            "matrix": matrix,
            "no_matrix": no_matrix,
            "user": user,
        },
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
    return templates.TemplateResponse(
        request,
        "cluster.html",
        {
            "platform": detail,
            "cluster": view,
            "outage": outage,
            "no_matrix": no_matrix,
            "user": user,
        },
    )

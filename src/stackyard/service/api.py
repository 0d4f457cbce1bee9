"""The versioned read API (``/api/v1``) and the few changes it offers so far.

Every route is a thin call of one ``stackyard.app`` use case; the application layer
decides, the route only maps the result to its documented shape (``responses``) and an
error to its status (``errors``). Routes are plain functions: FastAPI runs them in its
thread pool, as the use cases read Git repositories and files synchronously.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, status
from fastapi.responses import JSONResponse, Response

from stackyard.app import (
    ChangeResult,
    ClusterAddresses,
    ClusterRegistration,
    add_platform,
    assess_platform,
    deregister_fleet_cluster,
    fleet_version,
    incident_matrix,
    list_fleet,
    platform_history,
    platform_plan,
    platform_spec,
    platform_version,
    read_platform,
    register_fleet_cluster,
)
from stackyard.service import csrf, responses
from stackyard.service.answers import json_answer
from stackyard.service.errors import ERROR_RESPONSES
from stackyard.service.fleetdep import FleetDep
from stackyard.service.users import User, current_user, operator

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)
Viewer = Annotated[User, Depends(current_user)]


async def changer(request: Request, user: Annotated[User, Depends(operator)]) -> User:
    """The caller, who may change platforms, and whose change is no cross-site forgery.

    The role is checked first, as a dependency (403 naming the groups that grant it); a
    caller using the session cookie must then send the dashboard's CSRF token
    (``csrf.require_api_token``).
    """
    csrf.require_api_token(request)
    return user


Operator = Annotated[User, Depends(changer)]
PLATFORMS = "platforms"
HISTORY = "history"


@router.get("/platforms", tags=[PLATFORMS], response_model=responses.Fleet)
async def get_fleet(request: Request, fleet: FleetDep, user: Viewer) -> Response:
    """Every platform: edition, clusters, version, last render, drift, level and warnings.

    The ETag changes whenever the answer can: send it as ``If-None-Match`` to poll.
    """
    return await json_answer(
        request,
        "fleet",
        lambda: fleet_version(fleet),
        lambda: responses.Fleet.model_validate(list_fleet(fleet).as_dict()),
    )


@router.post(
    "/platforms",
    tags=[PLATFORMS],
    status_code=status.HTTP_201_CREATED,
    response_model=responses.PlatformSummary,
)
def post_platform(body: responses.AddPlatform, fleet: FleetDep, user: Operator) -> dict[str, Any]:
    """Add a platform repository (a Git work tree on the service's host) to the fleet."""
    summary = add_platform(
        fleet,
        Path(body.repository),
        name=body.name,
        remote=body.remote,
        spec_path=body.spec_path,
        rendered=body.rendered,
        actor=user.actor,
    )
    return summary.as_dict()


@router.get("/platforms/{name}", tags=[PLATFORMS], response_model=responses.Platform)
async def get_platform(request: Request, name: str, fleet: FleetDep, user: Viewer) -> Response:
    """One platform: clusters with their components, findings, ratings and history.

    The ETag changes whenever the answer can: send it as ``If-None-Match`` to poll.
    """
    return await json_answer(
        request,
        ("platform", name),
        lambda: platform_version(fleet, name),
        lambda: responses.Platform.model_validate(read_platform(fleet, name).as_dict()),
    )


@router.get(
    "/platforms/{name}/spec",
    tags=[PLATFORMS],
    response_class=Response,
    responses={
        200: {
            "content": {"application/yaml": {"schema": {"type": "string"}}},
            "description": "The spec, as written",
        }
    },
)
def get_spec(name: str, fleet: FleetDep, user: Viewer) -> Response:
    """The platform's spec as its repository's work tree has it, comments and all."""
    return Response(platform_spec(fleet, name), media_type="application/yaml")


@router.get("/platforms/{name}/plan", tags=[PLATFORMS])
def get_plan(name: str, fleet: FleetDep, user: Viewer) -> dict[str, Any]:
    """The plan of the platform's spec: the JSON of ``stackyard plan -o json`` (``plan``)."""
    return platform_plan(fleet, name).as_dict()


@router.get("/platforms/{name}/findings", tags=[PLATFORMS], response_model=responses.Findings)
def get_findings(name: str, fleet: FleetDep, user: Viewer) -> dict[str, Any]:
    """The findings of the platform's plan, most severe first."""
    return {"findings": [f.as_dict() for f in platform_plan(fleet, name).findings]}


@router.get("/platforms/{name}/clusters", tags=[PLATFORMS], response_model=list[responses.Cluster])
def get_clusters(name: str, fleet: FleetDep, user: Viewer) -> list[dict[str, Any]]:
    """The clusters of the platform's plan, each with its components and findings."""
    return [c.as_dict() for c in read_platform(fleet, name).clusters]


@router.get(
    "/platforms/{name}/clusters/{cluster}", tags=[PLATFORMS], response_model=responses.Cluster
)
def get_cluster(name: str, cluster: str, fleet: FleetDep, user: Viewer) -> dict[str, Any]:
    """One cluster of the platform's plan."""
    return read_platform(fleet, name).cluster(cluster).as_dict()


@router.get("/platforms/{name}/incidents", tags=[PLATFORMS])
def get_incidents(name: str, fleet: FleetDep, user: Viewer) -> dict[str, Any]:
    """Every single cluster and service failure for an hour (``failure-matrix``)."""
    return incident_matrix(fleet, name).as_dict()


@router.get(
    "/platforms/{name}/history", tags=[HISTORY], response_model=list[responses.HistoryPoint]
)
def get_history(name: str, fleet: FleetDep, user: Viewer) -> list[dict[str, Any]]:
    """Every recorded assessment of the platform's rendered commits, oldest first."""
    return [point.as_dict() for point in platform_history(fleet, name)]


@router.post(
    "/platforms/{name}/history",
    tags=[HISTORY],
    status_code=status.HTTP_201_CREATED,
    response_model=responses.HistoryPoint,
)
def post_history(name: str, fleet: FleetDep, user: Operator) -> dict[str, Any]:
    """Assess the platform's rendered tree now and record it under its rendered commit."""
    return assess_platform(fleet, name, actor=user.actor).as_dict()


CLUSTERS = "clusters"
IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=200,
        description="The same key again returns the first answer's commit instead of a "
        "second change (letters, digits and . _ : -)",
    ),
]
CHANGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    status.HTTP_200_OK: {
        "model": responses.ClusterChange,
        "description": "Nothing new: unchanged, or the idempotency key's earlier commit",
    },
    status.HTTP_201_CREATED: {"model": responses.ClusterChange, "description": "Committed"},
    status.HTTP_409_CONFLICT: {
        "model": responses.ClusterChange,
        "description": "Refused with its error findings, or a deregistration that needs "
        "confirm=true (its disruptive changes listed)",
    },
    status.HTTP_502_BAD_GATEWAY: {
        "model": responses.ClusterChange,
        "description": "Committed in the repository, but the push to its remote failed",
    },
}


def _change_response(result: ChangeResult) -> JSONResponse:
    """A change's document with the status that says what happened."""
    if result.status in ("refused", "needs-confirmation"):
        code = status.HTTP_409_CONFLICT
    elif result.push_failed:
        code = status.HTTP_502_BAD_GATEWAY
    elif result.status == "committed" and not result.replayed:
        code = status.HTTP_201_CREATED
    else:
        code = status.HTTP_200_OK
    return JSONResponse(result.as_dict(), status_code=code)


@router.post(
    "/platforms/{name}/clusters",
    tags=[CLUSTERS],
    response_class=JSONResponse,
    responses=CHANGE_RESPONSES,
)
def post_cluster(
    name: str,
    body: responses.RegisterCluster,
    fleet: FleetDep,
    user: Operator,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Register a cluster: the spec edited, planned, rendered, validated, committed, pushed."""
    registration = ClusterRegistration(
        name=body.name,
        role=body.role,
        network=ClusterAddresses(
            node_range=body.network.nodeRange,
            service_cidr=body.network.serviceCIDR,
            pod_cidr=body.network.podCIDR,
            node_subnet=body.network.nodeSubnet,
            load_balancer_pool=body.network.loadBalancerPool,
        ),
        node_pools=tuple(body.nodePools),
        labels=body.labels,
        policy_template=body.policyTemplate,
    )
    result = register_fleet_cluster(
        fleet, name, registration, actor=user.actor, idempotency_key=idempotency_key
    )
    return _change_response(result)


@router.delete(
    "/platforms/{name}/clusters/{cluster}",
    tags=[CLUSTERS],
    response_class=JSONResponse,
    responses=CHANGE_RESPONSES,
)
def delete_cluster(
    name: str,
    cluster: str,
    fleet: FleetDep,
    user: Operator,
    confirm: bool = False,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Deregister a cluster; without confirm=true only its disruptive changes are shown."""
    result = deregister_fleet_cluster(
        fleet,
        name,
        cluster,
        confirm=confirm,
        actor=user.actor,
        idempotency_key=idempotency_key,
    )
    return _change_response(result)

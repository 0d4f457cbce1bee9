"""The dashboard's forms: add a platform, register a cluster, deregister one (confirmed).

Plain HTML forms posted to these routes, so they work without script. Each route checks
the form's token (``csrf``) and the operator role, then calls the same use case as the
API. Success redirects (303) to the page that shows the result; a problem (a bad network
range, a plan refused for its findings, a name taken) comes back as the form's own page
with the problem at its field and status 422. A deregistration first shows what removing
the cluster changes, the disruptive changes marked, and needs a second, confirming POST.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from stackyard.app import (
    ChangeResult,
    ClusterAddresses,
    ClusterRegistration,
    PlatformExistsError,
    add_platform,
    deregister_fleet_cluster,
    parse_labels,
    parse_node_pool,
    register_fleet_cluster,
)
from stackyard.errors import COMMAND_LINE, InputError
from stackyard.service import csrf
from stackyard.service.fleetdep import FleetDep
from stackyard.service.formstate import FormState
from stackyard.service.pages import CLUSTER_ROLES, fleet_view, platform_view, show
from stackyard.service.responses import AddPlatform
from stackyard.service.users import User, operator

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf.require_form_token)])
Operator = Annotated[User, Depends(operator)]
Text = Annotated[str, Form(max_length=4096)]
Lines = Annotated[str, Form(max_length=20000)]
UNPROCESSABLE = status.HTTP_422_UNPROCESSABLE_CONTENT

ADD_PLATFORM_FIELDS = {
    "repository": "repository",
    "name": "name",
    "remote": "remote",
    "specPath": "spec_path",
    "spec": "spec_path",
    "rendered": "rendered",
}
"""Where the problems of an added platform go: model and use-case fields to form fields."""

REGISTER_FIELDS = {
    "name": "name",
    "role": "role",
    "nodePools": "node_pools",
    "--node-pool": "node_pools",
    "network.nodeRange": "node_range",
    "network.serviceCIDR": "service_cidr",
    "network.podCIDR": "pod_cidr",
    "network.nodeSubnet": "node_subnet",
    "network.loadBalancerPool": "load_balancer_pool",
    "labels": "labels",
    "--label": "labels",
    "policyTemplate": "policy_template",
}
"""Where a registration's problems go: spec fields (``clusters[N].`` dropped) to form fields."""


def _problems(error: InputError, *, located: bool = False) -> list[tuple[str, str]]:
    """Each problem at its field; ``located``: the message names the file it is about."""
    shown = []
    for p in error.problems:
        message = p.message + (f" ({p.hint})" if p.hint else "")
        if located and p.location.file and p.location != COMMAND_LINE:
            message = f"{p.location.file}: {message}"
        shown.append((p.field, message))
    return shown


NAME_RULE = "lower case letters, digits and -, starting and ending with a letter or digit"


def _redirect(path: str, **query: str | None) -> RedirectResponse:
    shown = {key: value for key, value in query.items() if value}
    target = path + ("?" + urlencode(shown) if shown else "")
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


@router.post("/platforms", response_class=HTMLResponse)
def add_platform_form(
    request: Request,
    fleet: FleetDep,
    user: Operator,
    repository: Text = "",
    name: Text = "",
    remote: Text = "",
    spec_path: Text = "",
    rendered: Text = "",
) -> Response:
    """Add a platform repository to the fleet; its page when added."""
    values = {
        "repository": repository.strip(),
        "name": name.strip(),
        "remote": remote.strip(),
        "spec_path": spec_path.strip() or "platform.yaml",
        "rendered": rendered.strip() or "rendered",
    }
    form = FormState(values)
    try:
        body = AddPlatform.model_validate(
            {
                "repository": values["repository"],
                "name": values["name"] or None,
                "remote": values["remote"] or None,
                "specPath": values["spec_path"],
                "rendered": values["rendered"],
            }
        )
    except ValidationError as e:
        for problem in e.errors():
            where = str(problem["loc"][0]) if problem["loc"] else ""
            pattern = problem["type"] == "string_pattern_mismatch"
            form.add(ADD_PLATFORM_FIELDS.get(where), NAME_RULE if pattern else problem["msg"])
        return fleet_view(request, fleet, user, form, UNPROCESSABLE)
    try:
        summary = add_platform(
            fleet,
            Path(body.repository),
            name=body.name,
            remote=body.remote,
            spec_path=body.spec_path,
            rendered=body.rendered,
            actor=user.actor,
        )
    except PlatformExistsError as e:
        form.add("name" if body.name else None, f"{e}: give it another name")
        return fleet_view(request, fleet, user, form, UNPROCESSABLE)
    except InputError as e:
        form.with_problems(_problems(e, located=True), ADD_PLATFORM_FIELDS)
        if not form.errors.get("repository") and not form.general:
            form.add("repository", str(e))
        return fleet_view(request, fleet, user, form, UNPROCESSABLE)
    return _redirect(f"/platforms/{summary.name}")


def _registration(form: FormState) -> ClusterRegistration:
    """The cluster the form asks for (its role checked already).

    Raises:
        InputError: a node pool or label is not ``key=value``.
    """
    value = form.value
    pools = [line for line in value("node_pools").splitlines() if line.strip()]
    labels = tuple(
        item.strip()
        for line in value("labels").splitlines()
        for item in line.split(",")
        if item.strip()
    )
    return ClusterRegistration(
        name=value("name"),
        role=next(r for r in CLUSTER_ROLES if r == value("role")),
        network=ClusterAddresses(
            node_range=value("node_range"),
            service_cidr=value("service_cidr"),
            pod_cidr=value("pod_cidr") or None,
            node_subnet=value("node_subnet") or None,
            load_balancer_pool=value("load_balancer_pool") or None,
        ),
        node_pools=tuple(parse_node_pool(pool, "--node-pool") for pool in pools),
        labels=parse_labels(labels, "--label"),
        policy_template=value("policy_template") or None,
    )


def _refused(result: ChangeResult) -> list[tuple[str, str]]:
    """A refusal's findings as form problems: each at its field, the check named."""
    return [(f.field, f"{f.message} ({f.check})") for f in result.findings]


@router.post("/platforms/{platform}/clusters", response_class=HTMLResponse)
def register_form(
    request: Request,
    platform: str,
    fleet: FleetDep,
    user: Operator,
    name: Text = "",
    role: Text = "app",
    node_range: Text = "",
    service_cidr: Text = "",
    pod_cidr: Text = "",
    node_subnet: Text = "",
    load_balancer_pool: Text = "",
    node_pools: Lines = "",
    labels: Lines = "",
    policy_template: Text = "",
    idempotency_key: Text = "",
) -> Response:
    """Register a cluster on the platform: one commit; its page when committed."""
    values = {
        "name": name.strip(),
        "role": role.strip(),
        "node_range": node_range.strip(),
        "service_cidr": service_cidr.strip(),
        "pod_cidr": pod_cidr.strip(),
        "node_subnet": node_subnet.strip(),
        "load_balancer_pool": load_balancer_pool.strip(),
        "node_pools": node_pools.strip(),
        "labels": labels.strip(),
        "policy_template": policy_template.strip(),
    }
    form = FormState(values)
    for required in ("name", "node_range", "service_cidr", "node_pools"):
        if not values[required]:
            form.add(required, "required")
    if values["role"] not in CLUSTER_ROLES:
        form.add("role", f"{values['role']!r} is not one of {', '.join(CLUSTER_ROLES)}")
    if form.failed:
        return platform_view(request, fleet, user, platform, form, UNPROCESSABLE)
    try:
        result = register_fleet_cluster(
            fleet,
            platform,
            _registration(form),
            actor=user.actor,
            idempotency_key=idempotency_key or None,
        )
    except InputError as e:
        form.with_problems(_problems(e), REGISTER_FIELDS)
        return platform_view(request, fleet, user, platform, form, UNPROCESSABLE)
    if result.status == "refused":
        form.add(None, f"the plan refused cluster {result.cluster}: nothing was changed")
        form.with_problems(_refused(result), REGISTER_FIELDS)
        return platform_view(request, fleet, user, platform, form, UNPROCESSABLE)
    if result.push_failed:
        return _push_failed(request, user, platform, result)
    done = "unchanged" if result.status == "unchanged" else "registered"
    return _redirect(
        f"/platforms/{platform}/clusters/{result.cluster}",
        done=done,
        cluster=result.cluster,
        commit=result.commit,
    )


def _push_failed(request: Request, user: User, platform: str, result: ChangeResult) -> Response:
    """Committed in the repository, not on its remote: say so rather than redirect."""
    context: dict[str, Any] = {
        "status": status.HTTP_502_BAD_GATEWAY,
        "title": "Committed, not pushed",
        "detail": " ".join(result.reasons),
        "back": f"/platforms/{platform}",
    }
    return show(request, "error.html", context, user, status.HTTP_502_BAD_GATEWAY)


@router.post("/platforms/{platform}/clusters/{cluster}/deregister", response_class=HTMLResponse)
def deregister_form(
    request: Request,
    platform: str,
    cluster: str,
    fleet: FleetDep,
    user: Operator,
    confirm: Text = "",
    idempotency_key: Text = "",
) -> Response:
    """Show what deregistering changes; with ``confirm=yes``, deregister (one commit)."""
    confirmed = confirm == "yes"
    result = deregister_fleet_cluster(
        fleet,
        platform,
        cluster,
        confirm=confirmed,
        actor=user.actor,
        idempotency_key=(idempotency_key or None) if confirmed else None,
    )
    if result.push_failed:
        return _push_failed(request, user, platform, result)
    if result.status in ("committed", "unchanged"):
        return _redirect(
            f"/platforms/{platform}", done="deregistered", cluster=cluster, commit=result.commit
        )
    context = {
        "platform": platform,
        "cluster": cluster,
        "result": result,
        "form": FormState(),
    }
    code = status.HTTP_200_OK if result.status == "needs-confirmation" else UNPROCESSABLE
    return show(request, "deregister.html", context, user, code)

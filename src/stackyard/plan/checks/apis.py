"""Checks on the tenants' APIs behind the API gateway: token issuers and routes.

An API's callers present a JWT from a Keycloak realm, and the gateway routes by host and
path prefix. A realm nobody runs, a realm without a client that can get the API's
scopes, or two APIs claiming the same requests all pass the spec's own validation and
fail only at the first call.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.findings import Finding
from stackyard.plan.checks.base import CheckContext, Emit, check
from stackyard.spec import Api

PLATFORM_REALM = "platform"


@check("SY806", "API realm without Keycloak", "error")
def api_realm(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """API realm without Keycloak.

    The API gateway validates each request's JWT against the issuer and signing keys
    (JWKS) of the API's Keycloak realm: ``platform`` or the realm of a tenant, which
    render creates with the API's consumers as clients. A realm that names neither, or a
    plan in which Keycloak runs nowhere (an edition without it, or turned off), leaves no
    issuer: every request is refused.
    """
    platform = context.platform
    tenants = [t.name for t in platform.tenants]
    issuers = {c.name for c in context.catalog.providers_of("sso")}
    keycloak = any(plan.has(name) for plan in context.clusters for name in issuers)
    for index, api in enumerate(platform.apis):
        realm = api.auth.realm
        path = ("apis", index, "auth", "realm")
        if realm != PLATFORM_REALM and realm not in tenants:
            yield emit(
                f"API {api.name} names realm {realm!r}, which is neither the platform's nor "
                "a tenant's",
                path,
                hint=f"use {PLATFORM_REALM!r} or a tenant: {', '.join(tenants) or 'none'}",
            )
        elif not keycloak:
            yield emit(
                f"API {api.name} takes tokens of realm {realm!r}, but Keycloak runs on no "
                f"cluster ({platform.edition} edition)",
                path,
                hint="use the enterprise edition or set components.keycloak.enabled: true",
            )


@check("SY807", "API without consumers", "warning")
def api_consumers(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """API without consumers.

    Each consumer of an API becomes a client of its realm, granted the API's scopes and
    roles. An API that requires scopes or roles and lists no consumer has no client that
    can obtain a token it accepts.
    """
    for index, api in enumerate(context.platform.apis):
        if api.consumers or not (api.auth.scopes or api.auth.roles):
            continue
        yield emit(
            f"API {api.name} requires {_requirements(api)}, and no consumer (Keycloak "
            "client) can obtain them",
            ("apis", index, "auth"),
            hint="add consumers: [{name: my-app, plan: ...}]",
        )


def _requirements(api: Api) -> str:
    wanted = [f"scope {s}" for s in api.auth.scopes] + [f"role {r}" for r in api.auth.roles]
    return ", ".join(wanted)


@check("SY808", "API routes that overlap", "error")
def api_routes(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """API routes that overlap.

    The API gateway routes by host and path prefix, and the longest matching prefix wins
    (Gateway API's HTTPRoute precedence): two APIs on one host whose prefixes are equal,
    or one inside the other, send some of the one's requests to the other, with the
    other's auth and limits. An API host that is also a platform service's host
    (``grafana.<domain>``) makes the two gateways claim one DNS name.
    """
    platform = context.platform
    claimed: list[tuple[str, str, int]] = []
    hosts = _platform_hosts(context)
    for index, api in enumerate(platform.apis):
        host, prefix = api.host_name(platform.domain), api.path_prefix
        if host in hosts:
            yield emit(
                f"API {api.name} is served at {host}, which is also {hosts[host]}'s host",
                ("apis", index, "host"),
                hint=f"pick another host, e.g. api.{platform.domain}",
            )
        for other_host, other_prefix, other in claimed:
            if other_host == host and _overlaps(prefix, other_prefix):
                yield emit(
                    f"API {api.name} ({host}{prefix}) overlaps API "
                    f"{platform.apis[other].name} ({host}{other_prefix})",
                    ("apis", index, "pathPrefix"),
                    hint="give each API its own path prefix or host",
                )
        claimed.append((host, prefix, index))


def _overlaps(one: str, other: str) -> bool:
    """Whether one prefix matches requests of the other (Gateway API matches whole segments)."""
    a, b = one.rstrip("/").split("/"), other.rstrip("/").split("/")
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


def _platform_hosts(context: CheckContext) -> dict[str, str]:
    """The public hosts of the platform's services that run, with the component's name."""
    domain = context.platform.domain
    hosts: dict[str, str] = {}
    for plan in context.clusters:
        for planned in plan.components:
            component = planned.component
            names = [e.host for e in component.endpoints]
            names += [n.host for n in (component.ui, component.oidc) if n and n.host]
            for name in names:
                hosts.setdefault(f"{name}.{domain}", component.name)
                hosts.setdefault(f"{name}.{plan.name}.{domain}", component.name)
    return hosts

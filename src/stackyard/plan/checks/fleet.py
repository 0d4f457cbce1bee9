"""Checks of the fleet service the platform deploys on its mgmt cluster (``fleet.service``).

The service changes platforms (it commits and pushes to their repositories), so it must
never be reachable without a sign-in, and what it needs at start-up (its database URL,
its OIDC client's secret) must be something the render can deliver without writing a
secret into Git.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.findings import Finding
from stackyard.plan.checks.base import CheckContext, Emit, check
from stackyard.plan.realm import signs_in_through_realm

COMPONENT = "stackyard-fleet"
SECRETS_SYNC = "external-secrets"
SERVICE = ("fleet", "service")


@check("SY980", "Fleet service cannot be deployed as declared", "error")
def fleet_service_deployable(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Fleet service cannot be deployed as declared.

    ``fleet.service.enabled`` runs the service on the mgmt cluster (or a standalone one),
    so a platform without either has nowhere to run it. Its PostgreSQL URL carries a
    password and its OIDC client's secret is a secret: both come from Vault through
    External Secrets, so on a cluster without External Secrets (Community) the service
    can only use SQLite and a public OIDC client (PKCE, no secret).
    """
    service = context.platform.fleet.service
    if not service.enabled:
        return
    running = [c for c in context.clusters if c.has(COMPONENT)]
    if not running:
        yield emit(
            "the fleet service is enabled but no mgmt or standalone cluster can run it",
            (*SERVICE, "enabled"),
            hint="add a cluster with role mgmt, or turn the service off",
        )
    for cluster in running:
        if cluster.has(SECRETS_SYNC):
            continue
        if service.database == "postgresql":
            yield emit(
                f"the PostgreSQL URL cannot reach the service: {cluster.name} runs no "
                "External Secrets to read it from Vault, and it must not be written in Git",
                (*SERVICE, "database"),
                hint="use database: sqlite on this edition, or an edition with External Secrets",
                cluster=cluster.name,
            )
        if service.oidc is not None and service.oidc.clientSecretRef is not None:
            yield emit(
                f"the OIDC client's secret cannot reach the service: {cluster.name} runs no "
                "External Secrets to read it from Vault",
                (*SERVICE, "oidc", "clientSecretRef"),
                hint="register the service as a public client (PKCE) and leave clientSecretRef out",
                cluster=cluster.name,
            )


@check("SY981", "Fleet service without sign-in", "error")
def fleet_service_signs_in(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Fleet service without sign-in.

    The service registers and deregisters clusters, committing to the platforms'
    repositories, and the platform publishes it at ``https://fleet.<domain>``. It signs
    people in through the platform's Keycloak where the plan runs one, else through the
    provider ``fleet.service.oidc`` names; with neither, anyone who reaches the address
    could change every platform.
    """
    service = context.platform.fleet.service
    if not service.enabled or service.oidc is not None:
        return
    if not any(c.has(COMPONENT) for c in context.clusters):
        return  # SY980 says it has nowhere to run
    if signs_in_through_realm(context.platform, context.clusters, context.catalog[COMPONENT]):
        return
    yield emit(
        "the fleet service would be published without a sign-in: the plan runs no "
        "Keycloak and fleet.service.oidc names no provider",
        (*SERVICE, "enabled"),
        hint="set fleet.service.oidc: {issuer: https://..., clientId: stackyard}",
    )

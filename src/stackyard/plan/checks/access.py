"""Checks on ``identity.groups`` and ``identity.mfa``: who gets which power, and how safely.

Render binds each declared group as its role says (``render/manifests/access.py``).
These checks find the declarations that would hand out more power than intended
(cluster-admin to people, admins without a second factor) or less than people expect (a
group the platform's own tools grant a role that Kubernetes does not know, a tenant
nobody administers).
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.findings import Finding
from stackyard.plan.checks.base import CheckContext, Emit, check
from stackyard.plan.realm import signs_in_through_realm


@check("SY966", "Cluster-admin bound to a human group", "error")
def no_human_cluster_admin(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Cluster-admin bound to a human group.

    ``cluster-admin`` may do anything, including erasing the audit trail and every
    guard rail: a compromised account or a mistyped command of any member is a compromise
    of the whole cluster, and a group's membership is managed outside the platform (in
    the directory or Keycloak). Render never binds it to a group of people; the spec
    accepts the role only so that this check can say so. Break-glass access stays the
    admin certificate written at bootstrap and kept in Vault, used rarely and audited.
    Give the group ``platform-admin`` (everything but the RBAC escalation paths).
    """
    for index, group in enumerate(context.platform.identity.groups):
        if group.role == "cluster-admin":
            yield emit(
                f"group {group.name} has role cluster-admin: no human group is bound to "
                "cluster-admin; break-glass access is the admin certificate kept in Vault",
                ("identity", "groups", index, "role"),
                hint="give it role platform-admin (everything but escalate, bind, "
                "impersonate and nodes/proxy)",
            )


@check("SY967", "MFA off for administrators", "warning")
def admins_use_mfa(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """MFA off for administrators.

    Groups with role ``platform-admin`` or ``tenant-admin`` can change and delete what
    others run. A password alone (phished, reused, sprayed) is then enough to do that.
    With ``identity.mfa`` absent or ``required: none``, Keycloak asks no one for a second
    factor; ``required: admins`` (the default once ``mfa`` is written) asks the members of
    those groups for OTP or WebAuthn at sign-in.
    """
    identity = context.platform.identity
    admins = identity.admin_groups()
    if not admins or (identity.mfa is not None and identity.mfa.required != "none"):
        return
    names = ", ".join(g.name for g in admins)
    if identity.mfa is None:
        message = f"administrator groups ({names}) sign in with a password alone: no mfa policy"
        first = identity.groups.index(admins[0])
        path: tuple[str | int, ...] = ("identity", "groups", first)
    else:
        message = (
            f"mfa.required is none, so administrator groups ({names}) sign in with a password alone"
        )
        path = ("identity", "mfa", "required")
    yield emit(
        message,
        path,
        hint="add identity.mfa: {methods: [otp, webauthn], required: admins}",
    )


@check("SY968", "A group the platform's tools map has no role", "warning")
def tool_groups_declared(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """A group the platform's tools map has no role.

    The platform's own portals map groups of the token's ``groups`` claim to their roles
    (catalog ``oidc.groupRoles``: Argo CD makes ``platform-admins`` its admins) when they
    sign in through the platform realm (``plan.realm``). Once
    ``identity.groups`` declares the groups and roles, a group the tools map but the
    spec does not declare is a group with no role: its members are Argo CD admins, yet
    Kubernetes binds them to nothing, and nobody reviewing the spec sees that the group
    grants power. Declare it with the role it stands for (or leave the tools' group
    empty).
    """
    groups = context.platform.identity.groups
    if not groups:
        return
    declared = {g.name for g in groups}
    mapped: dict[str, list[str]] = {}
    for component in context.catalog:
        oidc = component.oidc
        # A tool signing in elsewhere (no Keycloak, or a provider the spec names for it)
        # gets its groups from there: the realm's groups are not its business.
        if oidc is None or not signs_in_through_realm(
            context.platform, context.clusters, component
        ):
            continue
        for group, role in oidc.groupRoles.items():
            mapped.setdefault(group, []).append(f"{component.title} ({role})")
    for group, tools in sorted(mapped.items()):
        if group not in declared:
            yield emit(
                f"group {group} is mapped by {', '.join(tools)} but identity.groups does "
                "not declare it: a group with no role on the clusters",
                ("identity", "groups"),
                hint=f"declare it, e.g. {{name: {group}, role: platform-admin}}",
                key=True,
            )


@check("SY969", "Tenant with no tenant-admin group", "info")
def tenants_have_admins(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Tenant with no tenant-admin group.

    Once groups are declared, a tenant without a ``tenant-admin`` group is administered
    only through Git and by platform admins: nobody of the tenant can fix a stuck
    rollout, rotate a credential or delegate access in its namespaces. That is a gap in
    delegation, not a risk (nothing is granted that should not be), so the finding is
    information: some platforms mean it that way.
    """
    groups = context.platform.identity.groups
    if not groups:
        return
    administered = {g.tenant for g in groups if g.role == "tenant-admin"}
    for index, tenant in enumerate(context.platform.tenants):
        if tenant.name not in administered:
            yield emit(
                f"tenant {tenant.name} has no tenant-admin group: only Git and platform "
                "admins change its namespaces",
                ("tenants", index),
                hint=f"add {{name: {tenant.name}-admins, role: tenant-admin, "
                f"tenant: {tenant.name}}} to identity.groups",
            )

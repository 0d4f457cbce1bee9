"""How people prove who they are at the identity provider, and what their groups may do.

- **A second factor at the identity provider**: a realm whose required action
  ``CONFIGURE_TOTP`` or ``webauthn-register`` is a default action (every new user enrols,
  and Keycloak's browser flow then asks for it at every login), or whose browser flow
  requires an OTP or WebAuthn step. Keycloak's built-in browser flow asks only users who
  set one up (``conditional-user-configured``): that is an optional second factor.
  Teleport's own second factor is the ``access-mfa`` detector.
- **Group-based RBAC**: RoleBindings and ClusterRoleBindings whose subjects are groups
  (the OIDC ``groups`` claim, e.g. ``oidc:platform-admins``), and no person or human
  group bound to ``cluster-admin``: administrators get a role without escalate, bind and
  impersonate, and full control stays with the break-glass certificate. Built-in
  identities (``system:*``, and kubeadm's ``kubeadm:cluster-admins``, the group of its
  ``admin.conf`` certificate) are not people.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from stackyard.assess.detectors.base import (
    Detector,
    DetectorResult,
    FunctionDetector,
    achieved,
    missing,
)
from stackyard.assess.detectors.identity_sources import realm_documents
from stackyard.assess.inputs import RepositoryIndex
from stackyard.assess.inputs.located import Located
from stackyard.assess.model import Evidence, noted

SECOND_FACTOR_ACTIONS = ("CONFIGURE_TOTP", "webauthn-register", "webauthn-register-passwordless")
SECOND_FACTOR_STEPS = (
    "auth-otp-form",
    "auth-conditional-otp-form",
    "webauthn-authenticator",
    "webauthn-authenticator-passwordless",
)
ONLY_IF_CONFIGURED = "conditional-user-configured"
BUILT_IN_PREFIXES = ("system:", "kubeadm:")
CLUSTER_ADMIN = "cluster-admin"


def _idp_mfa(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    required: list[Evidence] = []
    optional: list[Evidence] = []
    realms = realm_documents(index)
    for realm in realms:
        got, maybe = _realm_second_factor(realm)
        required += got
        optional += maybe
    for block in index.resources("keycloak_required_action"):
        if block.attributes.get("alias") in SECOND_FACTOR_ACTIONS and block.attributes.get(
            "default_action"
        ):
            required.append(block.evidence("alias"))
    for block in index.resources("keycloak_authentication_execution"):
        if (
            block.attributes.get("authenticator") in SECOND_FACTOR_STEPS
            and str(block.attributes.get("requirement", "")).upper() == "REQUIRED"
        ):
            required.append(block.evidence("authenticator"))
    if required:
        return achieved(required, "the identity provider requires a second factor")
    if optional:
        return missing(
            looks_for,
            "second factor optional: only people who set one up are asked for it",
            gaps=optional,
        )
    if realms:
        return missing(looks_for, "no second factor in the realm's login")
    return missing(looks_for)


def _realm_second_factor(realm: Located) -> tuple[list[Evidence], list[Evidence]]:
    """(what requires a second factor at login, what offers it only to who set it up)."""
    required: list[Evidence] = []
    for i, action in enumerate(realm.get("requiredActions") or []):
        if (
            isinstance(action, Mapping)
            and action.get("alias") in SECOND_FACTOR_ACTIONS
            and action.get("defaultAction") is True
            and action.get("enabled") is not False
        ):
            required.append(realm.evidence("requiredActions", i, "defaultAction"))
    optional: list[Evidence] = []
    flows = {
        str(flow.get("alias")): (i, flow)
        for i, flow in enumerate(realm.get("authenticationFlows") or [])
        if isinstance(flow, Mapping)
    }
    for i, j, execution, conditional in _browser_steps(
        flows, str(realm.get("browserFlow") or "browser")
    ):
        if execution.get("authenticator") not in SECOND_FACTOR_STEPS:
            continue
        if str(execution.get("requirement", "")).upper() != "REQUIRED":
            continue
        where = realm.evidence(
            "authenticationFlows", i, "authenticationExecutions", j, "authenticator"
        )
        (optional if conditional else required).append(where)
    return required, optional


def _browser_steps(
    flows: Mapping[str, tuple[int, Mapping[str, Any]]], alias: str
) -> Iterator[tuple[int, int, Mapping[str, Any], bool]]:
    """(flow index, execution index, execution, asked only if configured) of the browser flow.

    Sub-flows are followed; a sub-flow with a ``conditional-user-configured`` condition
    asks only people who set up the factor.
    """
    seen: set[str] = set()
    pending = [(alias, False)]
    while pending:
        name, conditional = pending.pop()
        if name in seen or name not in flows:
            continue
        seen.add(name)
        i, flow = flows[name]
        executions = [
            e for e in flow.get("authenticationExecutions") or [] if isinstance(e, Mapping)
        ]
        here = conditional or any(e.get("authenticator") == ONLY_IF_CONFIGURED for e in executions)
        for j, execution in enumerate(flow.get("authenticationExecutions") or []):
            if not isinstance(execution, Mapping):
                continue
            if execution.get("flowAlias"):
                pending.append((str(execution["flowAlias"]), here))
            else:
                yield i, j, execution, here


def _group_rbac(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    groups: list[Evidence] = []
    admins: list[Evidence] = []
    for binding in index.of_kind("RoleBinding", "ClusterRoleBinding"):
        role = binding.get("roleRef", "name")
        for i, subject in enumerate(binding.get("subjects") or []):
            if not isinstance(subject, Mapping) or subject.get("kind") not in ("Group", "User"):
                continue
            name = str(subject.get("name", ""))
            if name.startswith(BUILT_IN_PREFIXES):
                continue
            kind = str(subject["kind"])
            if role == CLUSTER_ADMIN and binding.kind == "ClusterRoleBinding":
                admins.append(
                    binding.evidence(
                        "subjects",
                        i,
                        text=noted(f"{kind} {name}", f"bound to {CLUSTER_ADMIN} by {binding.name}"),
                    )
                )
            elif kind == "Group":
                groups.append(
                    binding.evidence(
                        "subjects", i, text=noted(f"Group {name}", f"{binding.kind} {binding.name}")
                    )
                )
    if admins:
        return missing(
            looks_for,
            f"{CLUSTER_ADMIN} bound to people: {len(admins)} subjects",
            groups,
            gaps=admins,
        )
    if groups:
        return achieved(groups, f"permissions granted to groups in {len(groups)} bindings")
    return missing(looks_for)


DETECTORS: tuple[Detector, ...] = (
    FunctionDetector(
        "idp-mfa",
        "realm required actions CONFIGURE_TOTP/webauthn-register as default actions, or a "
        "browser flow requiring an OTP or WebAuthn step",
        _idp_mfa,
    ),
    FunctionDetector(
        "group-rbac",
        "RoleBindings/ClusterRoleBindings to identity-provider groups, none binding a person "
        "or human group to cluster-admin",
        _group_rbac,
    ),
)

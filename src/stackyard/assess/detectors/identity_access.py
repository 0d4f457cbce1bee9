"""Who the identity provider knows, how they prove it, and what their groups may do.

- **Federation**: people sign in with the account they already have. Keycloak reads a
  company directory through a user storage provider (``components`` of type
  ``org.keycloak.storage.UserStorageProvider`` with ``providerId: ldap`` or ``kerberos``;
  ``userFederationProviders`` in older exports), or brokers an upstream identity
  provider (``identityProviders``: OIDC, SAML, Microsoft Entra ID, Google Workspace)
  (https://www.keycloak.org/docs/latest/server_admin/, "User federation"). Dex does
  the same with ``connectors`` (https://dexidp.io/docs/connectors/), the Terraform
  Keycloak provider with ``keycloak_ldap_user_federation`` and ``*_identity_provider``.
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
from stackyard.assess.detectors.identity_sources import ARGOCD_DEX, realm_documents
from stackyard.assess.inputs import RepositoryIndex
from stackyard.assess.inputs.located import Located, embedded_documents
from stackyard.assess.model import Evidence, noted
from stackyard.errors import YamlError

USER_STORAGE = "org.keycloak.storage.UserStorageProvider"
DIRECTORIES = ("ldap", "kerberos")
BROKERS = ("oidc", "keycloak-oidc", "saml", "microsoft", "google")
DEX_MOCKS = ("mockCallback", "mockPassword")
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


def _federation(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found: list[Evidence] = []
    for realm in realm_documents(index):
        found += _realm_federation(realm)
    found += [
        block.evidence()
        for block in index.terraform
        if block.block_type == "resource" and block.labels and _federates(block.labels[0])
    ]
    found += _dex_connectors(index)
    if found:
        return achieved(found, "people sign in with their company directory account")
    if realm_documents(index) or index.chart_uses("keycloak", "dex"):
        return missing(looks_for, "the identity provider keeps its own accounts only")
    return missing(looks_for)


def _federates(resource: str) -> bool:
    """A Terraform Keycloak resource that federates users or brokers an identity provider."""
    return resource in ("keycloak_ldap_user_federation", "keycloak_kerberos_user_federation") or (
        resource.startswith("keycloak_") and resource.endswith("identity_provider")
    )


def _realm_federation(realm: Located) -> list[Evidence]:
    found = []
    components = realm.get("components")
    storage = components.get(USER_STORAGE) if isinstance(components, Mapping) else None
    for i, provider in enumerate(storage or []):
        if isinstance(provider, Mapping) and provider.get("providerId") in DIRECTORIES:
            found.append(realm.evidence("components", USER_STORAGE, i, "providerId"))
    for i, provider in enumerate(realm.get("userFederationProviders") or []):
        if isinstance(provider, Mapping) and provider.get("providerName") in DIRECTORIES:
            found.append(realm.evidence("userFederationProviders", i, "providerName"))
    for i, broker in enumerate(realm.get("identityProviders") or []):
        if (
            isinstance(broker, Mapping)
            and broker.get("providerId") in BROKERS
            and broker.get("enabled") is not False
        ):
            found.append(realm.evidence("identityProviders", i, "providerId"))
    return found


def _dex_connectors(index: RepositoryIndex) -> list[Evidence]:
    found = []
    for stack in index.values("dex"):
        for layer in stack.layers:
            for i, connector in enumerate(layer.get("config", "connectors") or []):
                if isinstance(connector, Mapping) and _company(connector):
                    found.append(layer.evidence("config", "connectors", i, "type"))
    for stack in index.values("argo-cd"):
        for path in ARGOCD_DEX:
            hit = stack.get(*path)
            if hit is not None and isinstance(hit.value, str):
                found += _embedded_connectors(hit.value, hit.evidence)
    for config_map in index.of_kind("ConfigMap"):
        hit = config_map.hit("data", "dex.config") if config_map.name == "argocd-cm" else None
        if hit is not None and isinstance(hit.value, str):
            found += _embedded_connectors(hit.value, hit.evidence)
    return found


def _company(connector: Mapping[str, Any]) -> bool:
    return bool(connector.get("type")) and connector.get("type") not in DEX_MOCKS


def _embedded_connectors(config: str, where: Evidence) -> list[Evidence]:
    try:
        documents = embedded_documents(config, where.file, where.line + 1)
    except YamlError:
        return []
    found = []
    for document in documents:
        located = Located(document)
        for i, connector in enumerate(located.get("connectors") or []):
            if isinstance(connector, Mapping) and _company(connector):
                evidence = located.evidence("connectors", i, "type")
                if not where.line <= evidence.line <= where.end_line:  # not a literal block
                    evidence = Evidence(
                        where.file,
                        where.line,
                        where.end_line,
                        noted(where.quote, f"Dex connector {connector['type']}"),
                    )
                found.append(evidence)
    return found


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
        "directory-federation",
        "Keycloak LDAP/Kerberos user federation or identity brokering (realm components, "
        "identityProviders, Terraform keycloak_ldap_user_federation), or Dex connectors",
        _federation,
    ),
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

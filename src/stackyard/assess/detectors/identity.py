"""Identity and SSO: is there an identity provider, and is it *wired* into the services?

A client defined in Keycloak is not SSO: the gap analysis counted clients, the corrected
maturity assessment had to check which services actually send their users to Keycloak.
These detectors look at each service's own configuration (Grafana ``grafana.ini`` auth
sections, Argo CD ``oidc.config``/``dex.config``, Harbor ``auth_mode: oidc_auth``, the
API server's ``oidc-issuer-url``) and only call a service wired when it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from stackyard.assess.detectors.base import (
    Detector,
    DetectorResult,
    FunctionDetector,
    achieved,
    component,
    first_set,
    in_terms,
    missing,
    partial,
    truthy,
    unit,
)
from stackyard.assess.detectors.identity_sources import (
    argocd_dex,
    declared_clients,
    terraform_identity_providers,
)
from stackyard.assess.inputs import RepositoryIndex
from stackyard.assess.model import Evidence

GRAFANA_AUTH = (
    "auth.generic_oauth",
    "auth.okta",
    "auth.azuread",
    "auth.google",
    "auth.gitlab",
    "auth.github",
    "auth.jwt",
    "auth.proxy",
)
_OIDC_AUTH = re.compile(r"oidc_auth")


def _identity_provider(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = component(
        index,
        charts=("keycloak", "dex", "authentik", "zitadel"),
        groups=("k8s.keycloak.org", "keycloak.org"),
        images=("keycloak", "dexidp/dex", "authentik", "zitadel"),
    )
    found += terraform_identity_providers(index)
    found += argocd_dex(index)
    if found:
        return achieved(found, "identity provider deployed")
    # A service that sends its users to an OIDC issuer proves an identity provider
    # exists, even when it runs outside this repository (a SaaS or another team's).
    wired = [e for check in WIRING.values() for e in check(index)]
    if wired:
        return achieved(wired, "an identity provider outside the repository: services log in to it")
    return missing(looks_for)


def _oidc_clients(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    clients = declared_clients(index)
    for obj in index.of_kind("KeycloakClient"):
        name = str(obj.get("spec", "client", "clientId") or obj.name)
        clients.setdefault(name, obj.evidence(text=f"KeycloakClient {name}"))
    for realm in index.realms:
        for i, client in enumerate(realm.get("clients") or []):
            if isinstance(client, Mapping) and client.get("clientId"):
                clients.setdefault(
                    str(client["clientId"]), realm.evidence("clients", i, "clientId")
                )
    for config_map in index.of_kind("ConfigMap"):
        data = config_map.get("data")
        for key, value in data.items() if isinstance(data, Mapping) else []:
            for name in _realm_clients(value):
                clients.setdefault(
                    name, config_map.evidence("data", key, text=f"realm client {name}")
                )
    if not clients:
        return missing(looks_for)
    names = sorted(clients)
    return achieved(
        [clients[n] for n in names], f"{len(names)} OIDC clients as code: {', '.join(names)}"
    )


def grafana_sso(index: RepositoryIndex) -> list[Evidence]:
    """Where Grafana logs users in through an external identity provider."""
    found = []
    for stack in index.values("grafana"):
        for section in GRAFANA_AUTH:
            hit = stack.get("grafana.ini", section)
            enabled = stack.get("grafana.ini", section, "enabled")
            if hit is not None and enabled is not None and truthy(enabled.value):
                found.append(hit.evidence)
        for name in ("GF_AUTH_GENERIC_OAUTH_ENABLED",):
            env = stack.get("env", name)
            if env is not None and truthy(env.value):
                found.append(env.evidence)
    return found


def argocd_sso(index: RepositoryIndex) -> list[Evidence]:
    """Where Argo CD logs users in through OIDC or Dex connectors."""
    found = [
        hit.evidence
        for hit in first_set(
            index.values("argo-cd"),
            ("configs", "cm", "oidc.config"),
            ("server", "config", "oidc.config"),
            ("configs", "cm", "dex.config"),
            ("server", "config", "dex.config"),
        )
        if isinstance(hit.value, str) and hit.value.strip()
    ]
    for config_map in index.of_kind("ConfigMap"):
        if config_map.name == "argocd-cm":
            for key in ("oidc.config", "dex.config"):
                hit = config_map.hit("data", key)
                if hit is not None and str(hit.value).strip():
                    found.append(hit.evidence)
    return found


def harbor_sso(index: RepositoryIndex) -> list[Evidence]:
    """Where Harbor's authentication mode is set to OIDC."""
    found = []
    for stack in index.values("harbor"):
        for layer, path, value in stack.walk():
            if isinstance(value, str) and _OIDC_AUTH.search(value):
                found.append(layer.evidence(*path))
    for block in index.resources("harbor_config_auth"):
        if block.attributes.get("auth_mode") == "oidc_auth":
            found.append(block.evidence("auth_mode"))
    return found


def vault_sso(index: RepositoryIndex) -> list[Evidence]:
    """Where Vault logs users in through OIDC (a ``vault_jwt_auth_backend`` of type oidc)."""
    return [
        block.evidence("type")
        for block in index.resources("vault_jwt_auth_backend")
        if block.attributes.get("type") == "oidc"
    ]


def deployed_uis(index: RepositoryIndex) -> dict[str, list[Evidence]]:
    """Platform UIs that should log in through SSO, with evidence they are deployed."""
    uis: dict[str, list[Evidence]] = {}
    grafana = index.chart_uses("grafana")
    for stack in index.values("kube-prometheus-stack"):
        enabled = stack.get("grafana", "enabled")
        if enabled is None or truthy(enabled.value):
            grafana.append(stack.evidence)
    if grafana:
        uis["Grafana"] = grafana
    argocd = (
        index.chart_uses("argo-cd")
        or [r.evidence for r in index.releases if r.kind in ("Application", "ApplicationSet")][:1]
    )
    if argocd:
        uis["Argo CD"] = argocd
    harbor = index.chart_uses("harbor")
    if harbor:
        uis["Harbor"] = harbor
    return uis


WIRING = {
    "Grafana": grafana_sso,
    "Argo CD": argocd_sso,
    "Harbor": harbor_sso,
    "Vault": vault_sso,
}


def _sso_wired(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    looks_for = in_terms(
        index,
        looks_for,
        flux="grafana.ini auth.* enabled, Harbor auth_mode oidc_auth",
    )
    wired = {ui: check(index) for ui, check in WIRING.items()}
    found = [e for evidence in wired.values() for e in evidence]
    if found:
        names = ", ".join(ui for ui, evidence in wired.items() if evidence)
        return achieved(found, f"SSO wired into {names}")
    return missing(looks_for)


def _sso_all_uis(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    uis = deployed_uis(index)
    if not uis:
        names = in_terms(index, "Grafana, Argo CD or Harbor", flux="Grafana or Harbor")
        return missing(looks_for, f"no {names} found to wire")
    wired = {ui: WIRING[ui](index) for ui in uis}
    done = [ui for ui, evidence in wired.items() if evidence]
    pending = [ui for ui in uis if ui not in done]
    units = [unit(ui, bool(wired[ui]), *(wired[ui] or uis[ui][:1])) for ui in uis]
    evidence = [e for ui in done for e in wired[ui]]
    gaps = [e for ui in pending for e in uis[ui][:1]]
    if not pending:
        return achieved(
            evidence, f"SSO wired into every platform UI: {', '.join(done)}", units=units
        )
    detail = f"not wired to the identity provider: {', '.join(pending)}"
    if done:
        return partial(
            evidence, f"wired: {', '.join(done)}; {detail}", looks_for, gaps=gaps, units=units
        )
    return missing(looks_for, detail, gaps=gaps, units=units)


def _kube_api_oidc(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = [s.evidence for s in index.settings("oidc-issuer-url")]
    found += [
        o.evidence(text="AuthenticationConfiguration")
        for o in index.of_kind("AuthenticationConfiguration")
        if o.get("jwt")
    ]
    return achieved(found, "Kubernetes API accepts OIDC tokens") if found else missing(looks_for)


def _idp_ha(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    ha: list[Evidence] = []
    single: list[Evidence] = []
    for stack in index.values("keycloak"):
        autoscaling = stack.get("autoscaling", "enabled")
        if autoscaling is not None and truthy(autoscaling.value):
            ha.append(autoscaling.evidence)
            continue
        for hit in first_set([stack], ("replicas",), ("replicaCount",)):
            (ha if isinstance(hit.value, int) and hit.value >= 2 else single).append(hit.evidence)
    for obj in index.of_kind("Keycloak"):
        instances = obj.hit("spec", "instances")
        if instances is not None and isinstance(instances.value, int) and instances.value >= 2:
            ha.append(instances.evidence)
    if ha:
        return achieved(ha, "identity provider runs more than one replica")
    if single or index.chart_uses("keycloak"):
        return missing(
            looks_for,
            "identity provider runs a single replica",
            gaps=single or index.chart_uses("keycloak"),
        )
    return missing(looks_for)


def _realm_clients(value: object) -> list[str]:
    if not isinstance(value, str) or '"clients"' not in value:
        return []
    try:
        data = json.loads(value)
    except ValueError:
        return []
    clients = data.get("clients") if isinstance(data, Mapping) else None
    return [
        str(c["clientId"]) for c in (clients or []) if isinstance(c, Mapping) and c.get("clientId")
    ]


DETECTORS: tuple[Detector, ...] = (
    FunctionDetector(
        "identity-provider",
        "a Keycloak/Dex/Authentik/Zitadel chart, operator objects or images, a dex.config, "
        "Terraform keycloak_realm or vault_identity_oidc_provider",
        _identity_provider,
    ),
    FunctionDetector(
        "oidc-clients",
        "Terraform keycloak_openid_client/keycloak_saml_client/vault_identity_oidc_client, "
        "KeycloakClient objects, realm exports with clients or Dex staticClients",
        _oidc_clients,
    ),
    FunctionDetector(
        "sso-wired",
        "grafana.ini auth.* enabled, Argo CD oidc.config/dex.config, Harbor auth_mode oidc_auth, "
        "Vault OIDC auth",
        _sso_wired,
    ),
    FunctionDetector(
        "sso-all-uis",
        "SSO configuration for every deployed Grafana, Argo CD and Harbor",
        _sso_all_uis,
    ),
    FunctionDetector(
        "kube-api-oidc",
        "kube-apiserver oidc-issuer-url in the node bootstrap or an AuthenticationConfiguration",
        _kube_api_oidc,
    ),
    FunctionDetector(
        "idp-ha",
        "Keycloak replicas >= 2 (values replicas/replicaCount/autoscaling or Keycloak instances)",
        _idp_ha,
    ),
)

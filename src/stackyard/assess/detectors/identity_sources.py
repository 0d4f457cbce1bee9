"""Where an identity provider and its OIDC clients are declared, whatever tool declares them.

Platforms declare their identity provider in many places: a Keycloak or Dex chart,
the Keycloak operator, the Terraform Keycloak provider (``keycloak_realm``,
``keycloak_openid_client``, ``keycloak_saml_client``, ``keycloak_ldap_user_federation``,
https://registry.terraform.io/providers/keycloak/keycloak/latest/docs), Vault's
identity secrets engine acting as an OIDC provider (``vault_identity_oidc_provider``
with its ``vault_identity_oidc_client``s, https://developer.hashicorp.com/vault/docs/secrets/identity/oidc-provider),
or Dex with ``staticClients`` — in the Dex chart's ``config``, or in Argo CD's bundled
Dex (``dex.config`` in the argo-cd chart values or the ``argocd-cm`` ConfigMap,
https://dexidp.io/docs/configuration/custom-scopes-claims-clients/). These readers
collect them all, each with the line that declares it, for the identity detectors.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from stackyard.assess.inputs import RepositoryIndex
from stackyard.assess.inputs.located import Located, embedded_documents
from stackyard.assess.model import Evidence
from stackyard.errors import YamlError

# Terraform resources that stand up (or federate users into) an identity provider.
IDP_RESOURCES = (
    "keycloak_realm",
    "keycloak_ldap_user_federation",
    "keycloak_oidc_identity_provider",
    "vault_identity_oidc_provider",
)
# Terraform resources that declare an OIDC (or SAML) client, and the attribute naming it.
CLIENT_RESOURCES = {
    "keycloak_openid_client": "client_id",
    "keycloak_saml_client": "client_id",
    "vault_identity_oidc_client": "name",
}
ARGOCD_DEX = (("configs", "cm", "dex.config"), ("server", "config", "dex.config"))


def terraform_identity_providers(index: RepositoryIndex) -> list[Evidence]:
    """Terraform resources that declare an identity provider, cited at their blocks."""
    return [block.evidence() for block in index.resources(*IDP_RESOURCES)]


def argocd_dex(index: RepositoryIndex) -> list[Evidence]:
    """Where Argo CD's bundled Dex is configured (``dex.config`` with connectors or clients)."""
    return [hit.evidence for hit, _ in _argocd_dex_configs(index)]


def declared_clients(index: RepositoryIndex) -> dict[str, Evidence]:
    """OIDC clients declared as code outside Keycloak's own objects, by client name."""
    clients: dict[str, Evidence] = {}
    for kind, attribute in CLIENT_RESOURCES.items():
        for block in index.resources(kind):
            name = str(block.attributes.get(attribute) or block.labels[-1])
            clients.setdefault(name, block.evidence(attribute))
    for stack in index.values("dex"):
        for layer in stack.layers:
            for i, client in enumerate(layer.get("config", "staticClients") or []):
                if isinstance(client, Mapping) and client.get("id"):
                    clients.setdefault(
                        str(client["id"]), layer.evidence("config", "staticClients", i, "id")
                    )
    for hit, config in _argocd_dex_configs(index):
        for name, evidence in _static_clients(config, hit.evidence):
            clients.setdefault(name, evidence)
    return clients


def _argocd_dex_configs(index: RepositoryIndex) -> Iterator[tuple[Any, Any]]:
    """Each non-empty Argo CD ``dex.config`` string, with its hit."""
    for stack in index.values("argo-cd"):
        for path in ARGOCD_DEX:
            hit = stack.get(*path)
            if hit is not None and isinstance(hit.value, str) and hit.value.strip():
                yield hit, hit.value
                break
    for config_map in index.of_kind("ConfigMap"):
        if config_map.name == "argocd-cm":
            hit = config_map.hit("data", "dex.config")
            if hit is not None and isinstance(hit.value, str) and hit.value.strip():
                yield hit, hit.value


def _static_clients(config: str, where: Evidence) -> Iterator[tuple[str, Evidence]]:
    """``staticClients[].id`` of a Dex config written as a YAML string.

    The string is a literal block in every layout seen in practice (``dex.config: |``),
    whose content starts on the line after the key.
    """
    try:
        documents = embedded_documents(config, where.file, where.line + 1)
    except YamlError:
        return
    for document in documents:
        located = Located(document)
        for i, client in enumerate(located.get("staticClients") or []):
            if isinstance(client, Mapping) and client.get("id"):
                evidence = located.evidence("staticClients", i, "id")
                if where.line <= evidence.line <= where.end_line:
                    yield str(client["id"]), evidence
                else:  # not a literal block: the lines are unknown, cite the key
                    yield (
                        str(client["id"]),
                        Evidence(
                            where.file,
                            where.line,
                            where.end_line,
                            f"Dex static client {client['id']}",
                        ),
                    )


def realm_documents(index: RepositoryIndex) -> list[Located]:
    """Every Keycloak realm declared as code, each cited at its own lines.

    Realm exports (a file with ``realm`` and ``clients``), the Keycloak operator's
    ``KeycloakRealmImport`` (``spec.realm``, https://www.keycloak.org/operator/realm-import),
    and realm JSON held in a ConfigMap for Keycloak's ``--import-realm`` (as Stackyard
    renders it), read with the lines of the ConfigMap's literal block.
    """
    realms = list(index.realms)
    for obj in index.of_kind("KeycloakRealmImport"):
        if isinstance(obj.get("spec", "realm"), Mapping):
            realms.append(obj.child("spec", "realm"))
    for config_map in index.of_kind("ConfigMap"):
        data = config_map.get("data")
        for key, value in data.items() if isinstance(data, Mapping) else []:
            if isinstance(value, str) and '"realm"' in value:
                hit = config_map.hit("data", key)
                if hit is not None:
                    realms += _embedded_realms(value, hit.evidence)
    return realms


def _embedded_realms(text: str, where: Evidence) -> list[Located]:
    """The realms of a JSON string written as a literal block (``key: |``) at ``where``."""
    try:
        documents = embedded_documents(text, where.file, where.line + 1)
    except YamlError:
        return []
    realms = []
    for document in documents:
        located = Located(document)
        if isinstance(document.data, Mapping) and document.data.get("realm"):
            first = located.evidence("realm")
            if where.line <= first.line <= where.end_line:  # a literal block: lines are exact
                realms.append(located)
    return realms

"""Keycloak clients, client scopes and roles for API consumers, in the realm each API names.

An API's ``auth.realm`` is ``platform`` (the platform realm of :mod:`.identity` gains these
objects) or a tenant's name: that tenant's realm is rendered like the platform realm, a
ConfigMap ``keycloak-realm-<tenant>`` (key ``<tenant>-realm.json``) in Keycloak's
namespace that the chart mounts beside the platform realm's (the ``keycloak`` value
builder) for ``--import-realm``.

In the realm:

- every consumer is a confidential client with a service account (client-credentials
  grant only: no browser flow, no passwords), with the API scopes it needs as default
  scopes, so its tokens carry them in ``scope``. Like the platform's clients it has no
  secret in the file: Keycloak generates one on import; the operator reads it
  (``kcadm.sh get clients/<id>/client-secret``) and stores it in Vault at
  ``secret/keycloak/clients/<client>`` for the consumer. Git never holds a client secret;
- every required scope is a client scope included in the token's ``scope`` claim. A
  realm file with any client scope gets none of Keycloak's built-in ones, so those realms
  also declare every built-in (``render/data/keycloak-client-scopes.yaml``) with the
  realm's default and optional client scope lists as Keycloak makes them for a new realm;
- every required role is a realm role, granted to the service account of each consumer
  of an API that requires it; Keycloak puts it in ``realm_access.roles``.

``--import-realm`` imports a realm only when it does not exist yet, so consumers and scopes
added after a realm's first import are created in Keycloak by the operator (or with
``kc.sh import --override true``, which replaces the realm); the rendered file stays the
reference of what the realm should hold.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from stackyard.plan import ClusterPlan
from stackyard.render.apis import (
    realm_configmap_name,
    realm_file,
    realm_of,
    tenant_realms,
)
from stackyard.render.context import RenderContext
from stackyard.render.manifests.base import BEFORE_CHART, Placed, in_wave
from stackyard.render.tree import Manifest

PROTOCOL = "openid-connect"


@dataclass
class _Grants:
    scopes: set[str] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class BuiltinScopes:
    """Keycloak's built-in client scopes of a new realm, and the realm's lists of them."""

    scopes: tuple[Manifest, ...]  # as realm-file client scopes
    realm_default: tuple[str, ...]  # the realm's default client scopes
    realm_optional: tuple[str, ...]  # the realm's optional client scopes

    def of_protocol(self, names: tuple[str, ...], protocol: str = PROTOCOL) -> list[str]:
        """Those of ``names`` that are scopes of ``protocol``."""
        kinds = {s["name"]: s["protocol"] for s in self.scopes}
        return [n for n in names if kinds[n] == protocol]


@cache
def builtin_scopes() -> BuiltinScopes:
    """Keycloak's built-in client scopes (``render/data/keycloak-client-scopes.yaml``)."""
    resource = resources.files("stackyard.render") / "data" / "keycloak-client-scopes.yaml"
    data: dict[str, Any] = yaml.safe_load(resource.read_text(encoding="utf-8"))
    entries = data["scopes"]
    return BuiltinScopes(
        scopes=tuple(_scope(entry) for entry in entries),
        realm_default=tuple(e["name"] for e in entries if e.get("realmDefault") is True),
        realm_optional=tuple(e["name"] for e in entries if e.get("realmDefault") is False),
    )


def _scope(entry: dict[str, Any]) -> Manifest:
    attributes = {
        "include.in.token.scope": str(entry["includeInTokenScope"]).lower(),
        "display.on.consent.screen": str(entry["displayOnConsentScreen"]).lower(),
    }
    if "consentScreenText" in entry:
        attributes["consent.screen.text"] = entry["consentScreenText"]
    return {
        "name": entry["name"],
        "description": entry["description"],
        "protocol": entry.get("protocol", PROTOCOL),
        "attributes": attributes,
        "protocolMappers": [_mapper(m, entry.get("protocol", PROTOCOL)) for m in entry["mappers"]],
    }


def _mapper(entry: dict[str, Any], protocol: str) -> Manifest:
    config = entry.get("config")
    if config is None:  # the short form of a user attribute or property claim
        config = {
            "user.attribute": entry["attribute"],
            "claim.name": entry["claim"],
            "jsonType.label": entry["json"],
            "id.token.claim": "true",
            "access.token.claim": "true",
            "userinfo.token.claim": "true",
            "introspection.token.claim": "true",
        }
    return {
        "name": entry["name"],
        "protocol": protocol,
        "protocolMapper": entry["type"],
        "consentRequired": False,
        "config": dict(config),
    }


def api_scope(name: str) -> Manifest:
    """The client scope of one required API scope."""
    return {
        "name": name,
        "description": "Access to an API through the API gateway",
        "protocol": PROTOCOL,
        "attributes": {"include.in.token.scope": "true", "display.on.consent.screen": "false"},
    }


def consumer_client(client_id: str, scopes: list[str]) -> Manifest:
    """A confidential client-credentials client for an API consumer, without its secret."""
    client: Manifest = {
        "clientId": client_id,
        "name": client_id,
        "description": "API consumer",
        "enabled": True,
        "protocol": PROTOCOL,
        "publicClient": False,
        "clientAuthenticatorType": "client-secret",
        "standardFlowEnabled": False,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "serviceAccountsEnabled": True,
    }
    if scopes:
        # A client that lists its scopes gets only those: the realm's OIDC defaults and
        # optional scopes, as a client created without lists would, plus the API scopes.
        builtins = builtin_scopes()
        defaults = builtins.of_protocol(builtins.realm_default)
        client["defaultClientScopes"] = sorted({*defaults, *scopes})
        client["optionalClientScopes"] = sorted(builtins.of_protocol(builtins.realm_optional))
    return client


def _grants(context: RenderContext, realm: str) -> dict[str, _Grants]:
    grants: dict[str, _Grants] = {}
    for api in realm_of(context, realm):
        for consumer in api.consumers:
            grant = grants.setdefault(consumer.client_id, _Grants())
            grant.scopes.update(api.spec.auth.scopes)
            grant.roles.update(api.spec.auth.roles)
    return dict(sorted(grants.items()))


def realm_additions(context: RenderContext, realm: str) -> Manifest:
    """What the APIs add to realm ``realm``'s import file (empty when no API uses it)."""
    grants = _grants(context, realm)
    apis = realm_of(context, realm)
    scopes = sorted({s for api in apis for s in api.spec.auth.scopes})
    roles = sorted({r for api in apis for r in api.spec.auth.roles})
    additions: Manifest = {}
    if grants:
        additions["clients"] = [
            consumer_client(client_id, sorted(g.scopes)) for client_id, g in grants.items()
        ]
    if scopes:
        builtins = builtin_scopes()
        additions["clientScopes"] = [*builtins.scopes, *(api_scope(s) for s in scopes)]
        additions["defaultDefaultClientScopes"] = list(builtins.realm_default)
        additions["defaultOptionalClientScopes"] = list(builtins.realm_optional)
    if roles:
        additions["roles"] = {
            "realm": [{"name": r, "description": "Required by an API"} for r in roles]
        }
        additions["users"] = [
            {
                "username": f"service-account-{client_id}",
                "enabled": True,
                "serviceAccountClientId": client_id,
                "realmRoles": sorted(g.roles),
            }
            for client_id, g in grants.items()
            if g.roles
        ]
    return additions


def with_api_objects(context: RenderContext, realm: str, document: Manifest) -> Manifest:
    """``document`` (a realm file) with the APIs' clients, scopes, roles and users added."""
    additions = realm_additions(context, realm)
    clients = [*document.get("clients", []), *additions.pop("clients", [])]
    merged = {**document, **additions}
    if clients:
        merged["clients"] = clients
    return merged


def tenant_realm(context: RenderContext, realm: str) -> Manifest:
    """The import file of a tenant's realm: only what its APIs need."""
    document: Manifest = {
        "realm": realm,
        "enabled": True,
        "displayName": f"{realm} APIs",
        "sslRequired": "external",
        "registrationAllowed": False,
        "bruteForceProtected": True,
    }
    return with_api_objects(context, realm, document)


def realm_configmap(context: RenderContext, realm: str, document: Manifest) -> Manifest:
    """The ConfigMap the Keycloak chart mounts for ``--import-realm``."""
    configmap: Manifest = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": realm_configmap_name(realm),
            "namespace": context.component("keycloak").namespace,
        },
        "data": {realm_file(realm): json.dumps(document, indent=2, sort_keys=True) + "\n"},
    }
    # Keycloak's pods mount it, so it must exist before the chart's StatefulSet.
    return in_wave(configmap, BEFORE_CHART)


def apiclients_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """Every tenant realm an API names, where Keycloak runs."""
    if not cluster.has("keycloak"):
        return
    for realm in tenant_realms(context):
        document = tenant_realm(context, realm)
        yield Placed("keycloak", f"realm-{realm}.yaml", [realm_configmap(context, realm, document)])

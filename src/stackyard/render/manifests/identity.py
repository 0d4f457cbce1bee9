"""The Keycloak realm ``platform`` (layer 1 of the identity stack): its OIDC clients as data.

The clients of realm ``platform`` are the catalog entries with an ``oidc`` client (Argo CD,
Grafana, Harbor, Teleport; Backstage in Enterprise). A client is rendered for each of those
components that the plan runs on some cluster, with its redirect paths under
``https://<host>.<domain>`` (its UI's host unless the entry names one), the name the
gateway serves it at.

The realm is a ConfigMap ``keycloak-realm-platform`` in Keycloak's namespace, key
``platform-realm.json``; the Keycloak chart mounts it into ``/opt/keycloak/data/import``
and starts Keycloak with ``--import-realm``, which imports a realm only if it does not
exist yet, so changes made later in Keycloak are kept.

Secrets: every client is confidential, and no ``secret`` is in the JSON, so Keycloak
generates one on import. At bootstrap the operator reads each generated secret (admin
console or ``kcadm.sh get clients/<id>/client-secret``) and stores it in Vault at
``secret/keycloak/clients/<client>`` (key ``client-secret``), from where External Secrets
delivers it to the application. Git never holds a client secret. A ``groups`` claim
(group names, not paths) lets Argo CD, Grafana and Harbor map the groups
``platform-admins`` and ``platform-viewers`` to roles. APIs whose tokens this realm issues
add their consumers' clients, scopes and roles (:mod:`.apiclients`); the spec's identity
section adds directory federation, groups, the MFA flow and further applications
(:mod:`stackyard.render.identityrealm`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from stackyard.catalog import Component
from stackyard.plan import ClusterPlan, signs_in_through_realm
from stackyard.render.addresses import KEYCLOAK_REALM
from stackyard.render.context import RenderContext
from stackyard.render.identityrealm import groups_mapper, with_identity
from stackyard.render.keycloaktruststore import TRUSTSTORE_CONFIGMAP, truststore_data
from stackyard.render.manifests.apiclients import with_api_objects
from stackyard.render.manifests.base import BEFORE_CHART, Placed, in_wave
from stackyard.render.manifests.endpoints import public_url
from stackyard.render.manifests.loadbalancing import gateway_domain
from stackyard.render.tree import Manifest

CONFIGMAP = "keycloak-realm-platform"
REALM_KEY = "platform-realm.json"
GROUPS = ("platform-admins", "platform-viewers")
# Keycloak's own defaults, written out so the realm states how long a sign-in lasts: an
# SSO session ends after 30 minutes idle or 10 hours in all. ``stackyard simulate`` reads
# the maximum as the time people stay signed in while Keycloak is down.
SSO_SESSION_IDLE_SECONDS = 1800
SSO_SESSION_MAX_SECONDS = 36000


def planned_clients(context: RenderContext) -> list[Component]:
    """The components the plan runs that sign in through the realm (``plan.realm``).

    A component given a provider of its own in the spec (``fleet.service.oidc``) has no
    client here: nobody would sign in with it.
    """
    return [
        c
        for c in context.catalog
        if signs_in_through_realm(context.platform, context.plan.clusters, c)
    ]


def client(context: RenderContext, component: Component) -> Manifest:
    """One confidential OpenID Connect client, without its secret."""
    oidc = component.oidc
    if oidc is None:  # planned_clients only passes components with a client
        raise ValueError(f"catalog entry {component.name} has no oidc client")
    host = oidc.host or (component.ui.host if component.ui else component.name)
    # A component on several clusters (Kiali runs beside each mesh) is served at each
    # cluster's own name (routes): every one of them is a redirect target.
    roots = list(
        dict.fromkeys(
            f"https://{host}.{gateway_domain(context, cluster)}"
            for cluster in context.clusters_running(component.name)
        )
    ) or [public_url(context, host)]
    root = roots[0]
    return {
        "clientId": oidc.clientId,
        "name": oidc.clientId,
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": False,
        "clientAuthenticatorType": "client-secret",
        "standardFlowEnabled": True,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "serviceAccountsEnabled": False,
        "rootUrl": root,
        "baseUrl": "/",
        "redirectUris": [f"{r}{path}" for r in roots for path in oidc.redirectPaths],
        "webOrigins": roots,
        "attributes": {
            # Keycloak separates several post-logout redirect URIs with "##".
            "post.logout.redirect.uris": "##".join(f"{r}/*" for r in roots),
            "pkce.code.challenge.method": "S256",
        },
        "protocolMappers": [groups_mapper("openid-connect")],
    }


def realm(context: RenderContext) -> Manifest:
    """The realm document Keycloak imports.

    Its clients, those of the APIs that name it, and what the spec's identity section
    declares (:mod:`stackyard.render.identityrealm`).
    """
    document: Manifest = {
        "realm": KEYCLOAK_REALM,
        "enabled": True,
        "displayName": f"{context.platform.name} platform",
        "sslRequired": "external",
        "registrationAllowed": False,
        "loginWithEmailAllowed": True,
        "bruteForceProtected": True,
        "ssoSessionIdleTimeout": SSO_SESSION_IDLE_SECONDS,
        "ssoSessionMaxLifespan": SSO_SESSION_MAX_SECONDS,
        "groups": [{"name": name} for name in GROUPS],
        "clients": [client(context, c) for c in planned_clients(context)],
    }
    document = with_api_objects(context, KEYCLOAK_REALM, document)
    return with_identity(context.platform.identity, document, GROUPS)


def realm_configmap(context: RenderContext) -> Manifest:
    """The ConfigMap the Keycloak chart mounts for ``--import-realm``."""
    document = json.dumps(realm(context), indent=2, sort_keys=True) + "\n"
    configmap: Manifest = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": CONFIGMAP, "namespace": context.component("keycloak").namespace},
        "data": {REALM_KEY: document},
    }
    # Keycloak's pods mount it, so it must exist before the chart's StatefulSet.
    return in_wave(configmap, BEFORE_CHART)


def truststore_configmap(context: RenderContext) -> Manifest | None:
    """The directories' CAs Keycloak trusts, or None when no directory names a CA."""
    data = truststore_data(context)
    if not data:
        return None
    configmap: Manifest = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": TRUSTSTORE_CONFIGMAP,
            "namespace": context.component("keycloak").namespace,
        },
        "data": data,
    }
    # Keycloak's pods mount it, so it must exist before the chart's StatefulSet.
    return in_wave(configmap, BEFORE_CHART)


def identity_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """The platform realm where Keycloak runs, and the directories' CAs it trusts."""
    if cluster.has("keycloak"):
        yield Placed("keycloak", "realm-platform.yaml", [realm_configmap(context)])
        truststore = truststore_configmap(context)
        if truststore is not None:
            yield Placed("keycloak", "truststore.yaml", [truststore])

"""Public host names and cross-cluster endpoints of platform services, in one place.

A client on the cluster that runs a service uses its in-cluster Service; a client on
another cluster goes through the serving cluster's Gateway at ``https://<host>.<domain>``
(``manifests/routes`` renders the routes for exactly these hosts). The services are the
catalog entries' ``endpoints``.
"""

from __future__ import annotations

from typing import Literal

from stackyard.plan import ClusterPlan
from stackyard.render.context import RenderContext

# The Secret (and key) holding mgmt's CA on clusters that reach mgmt's services.
CA_BUNDLE_SECRET = "platform-ca-bundle"
CA_KEY = "ca.crt"

KEYCLOAK_REALM = "platform"
"""The Keycloak realm of the platform's own OIDC clients and of the API servers' logins."""

OIDC_PREFIX = "oidc:"
"""What the API servers put before an OIDC user's name and groups (``oidc:<group>``), so
RBAC subjects never collide with ``system:*`` names or certificate identities; the
bindings of ``identity.groups`` name their groups with it."""


def public_host(context: RenderContext, name: str, cluster: str | None = None) -> str:
    """The public DNS name of a platform endpoint; the only place such names are made."""
    domain = context.platform.domain
    return f"{name}.{cluster}.{domain}" if cluster else f"{name}.{domain}"


def oidc_issuer(context: RenderContext) -> str:
    """The OIDC issuer of the platform realm: ``https://keycloak.<domain>/realms/platform``.

    The realm manifest, the portals' sign-in values and the API servers' ``oidc-issuer-url``
    all name this one issuer.
    """
    return realm_issuer(context, KEYCLOAK_REALM)


def oidc_client_id(context: RenderContext, component: str) -> str:
    """The id of ``component``'s client in the platform realm (its catalog ``oidc``)."""
    oidc = context.component(component).oidc
    if oidc is None:  # a catalog invariant for the components that sign in through Keycloak
        raise ValueError(f"catalog entry {component} has no oidc client")
    return oidc.clientId


def realm_issuer(context: RenderContext, realm: str) -> str:
    """The OIDC issuer of Keycloak realm ``realm``: ``https://keycloak.<domain>/realms/<realm>``.

    Keycloak names a realm's issuer after its public URL (``KC_HOSTNAME``, set from the same
    public host) and the realm's name.
    """
    return f"https://{public_host(context, 'keycloak')}/realms/{realm}"


def realm_jwks_uri(context: RenderContext, realm: str) -> str:
    """Where Keycloak publishes realm ``realm``'s signing keys (its ``jwks_uri``)."""
    return f"{realm_issuer(context, realm)}/protocol/openid-connect/certs"


def endpoint_url(
    context: RenderContext, cluster: ClusterPlan, component: str, use: Literal["push", "query"]
) -> str | None:
    """URL of ``component``'s ``use`` endpoint as seen from ``cluster``.

    None when nothing serves it: the component does not run, or its catalog entry has
    no such endpoint.
    """
    endpoint = context.catalog.endpoint(component, use)
    if endpoint is None:
        return None
    if cluster.has(component):
        namespace = context.component(component).namespace
        return f"http://{endpoint.service}.{namespace}.svc:{endpoint.port}{endpoint.path}"
    if context.clusters_running(component):
        return f"https://{public_host(context, endpoint.host)}{endpoint.path}"
    return None

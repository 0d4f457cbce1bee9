"""Checks on the ``identity`` section: what the realm render cannot do from the spec alone.

Render federates every declared directory into the platform realm (Keycloak's LDAP user
storage provider and its group mapper, :mod:`stackyard.render.identityrealm`) and puts
each directory's CA (``tls.caFile``) into Keycloak's truststore
(:mod:`stackyard.render.keycloaktruststore`); a CA file that is missing or not a PEM
certificate is refused when the spec loads (:mod:`stackyard.spec.directorycas`). What
still needs a fix in the spec is an application whose client id is already one of the
platform's own clients.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.findings import Finding
from stackyard.plan.checks.base import CheckContext, Emit, check
from stackyard.plan.realm import signs_in_through_realm


@check("SY963", "Application client id already used by the platform", "error")
def application_client_taken(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Application client id already used by the platform.

    Each of ``identity.oidcClients`` is a client of the platform realm whose client id is
    its name, and each of ``identity.samlProviders`` one whose client id is its entity ID.
    Keycloak refuses to import a realm with two clients of one id, so one that is already
    the client of a platform component signing in through the realm (Argo CD, Grafana...:
    ``plan.realm``) or an API consumer's stops the realm import.
    """
    taken = {
        c.oidc.clientId: f"the client of {c.name}"
        for c in context.catalog
        if c.oidc and signs_in_through_realm(context.platform, context.clusters, c)
    }
    for api in context.platform.apis:
        if api.auth.realm == "platform":
            taken.update({c.name: f"a consumer of API {api.name}" for c in api.consumers})
    identity = context.platform.identity
    entries = [("oidcClients", i, c.name, "name") for i, c in enumerate(identity.oidcClients)]
    entries += [
        ("samlProviders", i, p.entityId, "entityId") for i, p in enumerate(identity.samlProviders)
    ]
    for key, index, client_id, field in entries:
        owner = taken.get(client_id)
        if owner is not None:
            yield emit(
                f"client id {client_id!r} is already {owner} in the platform realm: Keycloak "
                "refuses a realm with two clients of one id",
                ("identity", key, index, field),
                hint="give the application another name",
            )

"""Checks on the ``identity`` section: what the realm render cannot do from the spec alone.

Render federates every declared directory into the platform realm (Keycloak's LDAP user
storage provider and its group mapper, :mod:`stackyard.render.identityrealm`). Two things
still need a hand or a fix in the spec: a directory whose certificate is signed by a
private CA (Keycloak checks it against its own truststore, which render does not fill),
and an application whose client id is already one of the platform's own clients.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.findings import Finding
from stackyard.plan.checks.base import CheckContext, Emit, check


@check("SY962", "Directory CA not in Keycloak's truststore", "warning")
def directory_ca_not_trusted(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Directory CA not in Keycloak's truststore.

    ``tls.caFile`` names the CA that signed a directory's certificate; ``stackyard
    identity check`` verifies the server with it. Keycloak's LDAP federation
    (``useTruststoreSpi: always``) verifies it against Keycloak's truststore, which render
    does not fill: until the CA is added (``truststore-paths``, e.g. a mounted ConfigMap),
    Keycloak refuses the connection and nobody from that directory can sign in.
    """
    for index, directory in enumerate(context.platform.identity.directories):
        if directory.tls.caFile is None:
            continue
        yield emit(
            f"directory {directory.name}: Keycloak checks its certificate against its own "
            f"truststore, which does not hold the CA in {directory.tls.caFile}: the "
            "connection fails until it does",
            ("identity", "directories", index, "tls", "caFile"),
            hint="mount the CA into Keycloak and list it in truststore-paths "
            "(KC_TRUSTSTORE_PATHS) with components.keycloak.values",
        )


@check("SY963", "Application client id already used by the platform", "error")
def application_client_taken(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Application client id already used by the platform.

    Each of ``identity.oidcClients`` is a client of the platform realm whose client id is
    its name, and each of ``identity.samlProviders`` one whose client id is its entity ID.
    Keycloak refuses to import a realm with two clients of one id, so one that is already
    a platform component's client (Argo CD, Grafana...) or an API consumer's stops the
    realm import.
    """
    taken = {c.oidc.clientId: f"the client of {c.name}" for c in context.catalog if c.oidc}
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

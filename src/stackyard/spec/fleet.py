"""The fleet service (``stackyard serve``) run by the platform itself, on its mgmt cluster.

``fleet.service.enabled`` puts the service into the plan as a component of the mgmt
cluster (a standalone cluster is its own mgmt): one Argo CD Application with its
Deployment, Service, route, volume and Secrets, rendered like every other component. Its
public host and port are the catalog's, as for every other UI.

No secret value is in the spec, which is committed to Git. The database URL (it carries
the password), the OIDC client's secret and the session secret are read from Vault by
External Secrets; the spec only says where in Vault's KV store each one is.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from stackyard.spec.base import SpecModel
from stackyard.spec.text import Text

_VAULT_KEY = r"^[A-Za-z0-9][-A-Za-z0-9_.]*(/[A-Za-z0-9][-A-Za-z0-9_.]*)*$"
_PROPERTY = r"^[-._a-zA-Z0-9]+$"
# An image repository without a tag or digest: the tag is always Stackyard's version.
_REPOSITORY = r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?(/[a-z0-9]([-a-z0-9._]*[a-z0-9])?)+$"

SERVICE_SECRETS = "stackyard/fleet"
"""The Vault KV key of the service's own secrets, unless the spec names another."""


class VaultKey(SpecModel):
    """A property of a key in Vault's KV store (``secret/``), read by External Secrets."""

    key: Text = Field(
        pattern=_VAULT_KEY, max_length=253, description="The key, e.g. stackyard/fleet."
    )
    property: Text = Field(pattern=_PROPERTY, max_length=253, description="The property in it.")


class FleetOidc(SpecModel):
    """The OpenID Connect provider people sign in with, if not the platform's Keycloak."""

    issuer: Text = Field(
        pattern=r"^https://[^\s/$.?#][^\s]*$",
        max_length=2048,
        description="The provider's issuer URL (https), e.g. a Keycloak realm's.",
    )
    clientId: Text = Field(
        default="stackyard", min_length=1, max_length=255, description="The service's client id."
    )
    clientSecretRef: VaultKey | None = Field(
        default=None,
        description="Where Vault holds the client's secret; none: a public client (PKCE only).",
    )


class FleetService(SpecModel):
    """The fleet service's deployment on the mgmt cluster."""

    enabled: bool = Field(default=False, description="Run the fleet service on mgmt.")
    image: Text | None = Field(
        default=None,
        pattern=_REPOSITORY,
        max_length=500,
        description="Image repository (no tag: the tag is Stackyard's version); default: "
        "the catalog's, built from the Containerfile at the root of Stackyard's repository.",
    )
    database: Literal["sqlite", "postgresql"] = Field(
        default="sqlite",
        description="sqlite: one replica with its data on a volume; postgresql: two "
        "replicas sharing the database whose URL Vault holds (databaseUrlRef).",
    )
    databaseUrlRef: VaultKey = Field(
        default=VaultKey(key=SERVICE_SECRETS, property="database-url"),
        description="Where Vault holds the PostgreSQL URL (postgresql+psycopg://...).",
    )
    sessionSecretRef: VaultKey = Field(
        default=VaultKey(key=SERVICE_SECRETS, property="session-secret"),
        description="Where Vault holds the secret that signs session cookies (shared by "
        "every replica), where External Secrets runs.",
    )
    oidc: FleetOidc | None = Field(
        default=None,
        description="Sign-in provider; default: the platform's Keycloak (realm platform), "
        "where it runs.",
    )


class Fleet(SpecModel):
    """The fleet service run by the platform itself."""

    service: FleetService = Field(
        default_factory=FleetService, description="The service's deployment on mgmt."
    )

"""The backend APIs a tenant publishes through the platform's API gateway.

An API is a tenant's service reached from outside at a host and a path prefix. Its
OpenAPI document (a file beside the spec) describes it in the API catalog; callers
authenticate with tokens of a Keycloak realm, and each consumer (a Keycloak client of
that realm) is held to the rate limit and quota of its plan. References to other parts
of the spec (the tenant, the service, its port, a consumer's plan) are checked in
:mod:`stackyard.spec.coherence`, the OpenAPI file in :mod:`stackyard.spec.openapi`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from stackyard.spec.base import DNS_LABEL, SpecModel, refuse_duplicates, refuse_outside_folder
from stackyard.spec.mesh import DnsLabel
from stackyard.spec.text import Text
from stackyard.spec.units import Count

LimitUnit = Literal["Second", "Minute", "Hour", "Day"]

# Segments of unreserved URL characters; no empty segment, no trailing "/" (and no "."
# or ".." segment, checked by the validator).
_PATH_PREFIX = r"^/([A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*)?$"
_HOST = r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
# An OAuth 2.0 scope token (RFC 6749 section 3.3).
_SCOPE = r"^[\x21\x23-\x5B\x5D-\x7E]{1,128}$"
_ROLE = r"^[A-Za-z0-9][-A-Za-z0-9_.:]{0,127}$"


class Limit(SpecModel):
    """So many requests per unit of time."""

    requests: Count = Field(ge=1, le=1_000_000_000, description="Requests allowed per unit.")
    unit: LimitUnit = Field(description="Second, Minute, Hour or Day.")


class ApiPlan(SpecModel):
    """A usage plan: the limits every consumer on it is held to."""

    name: DnsLabel = Field(description="Plan name (a DNS label).")
    rateLimit: Limit | None = Field(default=None, description="Short-term rate limit.")
    quota: Limit | None = Field(default=None, description="Long-term quota (e.g. per day).")


class ApiConsumer(SpecModel):
    """A client application of the API: a Keycloak client in the API's realm."""

    name: DnsLabel = Field(description="Client name; the Keycloak client id.")
    plan: DnsLabel | None = Field(
        default=None, description="One of the API's plans; default: its first plan."
    )


class ApiAuth(SpecModel):
    """How callers authenticate: a JWT from a Keycloak realm, with scopes or roles."""

    realm: Text = Field(
        default="platform",
        pattern=DNS_LABEL,
        max_length=63,
        description='Keycloak realm: "platform" or the name of a tenant.',
    )
    scopes: list[Annotated[Text, Field(pattern=_SCOPE)]] = Field(
        default_factory=list, description="OAuth 2.0 scopes every token must carry."
    )
    roles: list[Annotated[Text, Field(pattern=_ROLE)]] = Field(
        default_factory=list, description="Realm roles every token must carry."
    )


class Api(SpecModel):
    """A backend API of a tenant, published through the API gateway."""

    name: DnsLabel = Field(description="API name (a DNS label), unique in the platform.")
    tenant: DnsLabel = Field(description="The tenant that owns the API.")
    service: DnsLabel = Field(description="The tenant's service that serves it.")
    port: Text | None = Field(
        default=None, description="Name of the service's port; default: its first."
    )
    host: Text | None = Field(
        default=None,
        pattern=_HOST,
        max_length=253,
        description="Host name; default: api.<domain>.",
    )
    pathPrefix: Text | None = Field(
        default=None, pattern=_PATH_PREFIX, description="Path prefix; default: /<name>."
    )
    openapi: Text = Field(
        min_length=1,
        max_length=1024,
        description="The OpenAPI 3 document, relative to the spec file's folder.",
    )
    auth: ApiAuth = Field(
        default_factory=ApiAuth, description="Token validation; default: the platform realm."
    )
    plans: list[ApiPlan] = Field(default_factory=list, description="Usage plans with limits.")
    consumers: list[ApiConsumer] = Field(
        default_factory=list, description="Client applications and their plans."
    )

    @field_validator("pathPrefix")
    @classmethod
    def _no_dot_segments(cls, prefix: str | None) -> str | None:
        if prefix and any(part in (".", "..") for part in prefix.split("/")):
            raise ValueError(f"{prefix!r} has a '.' or '..' segment; write the path it means")
        return prefix

    @field_validator("openapi")
    @classmethod
    def _relative_file(cls, path: str) -> str:
        return refuse_outside_folder(path)

    @field_validator("plans")
    @classmethod
    def _unique_plans(cls, plans: list[ApiPlan]) -> list[ApiPlan]:
        refuse_duplicates([p.name for p in plans], "plan")
        return plans

    @field_validator("consumers")
    @classmethod
    def _unique_consumers(cls, consumers: list[ApiConsumer]) -> list[ApiConsumer]:
        refuse_duplicates([c.name for c in consumers], "consumer")
        return consumers

    def host_name(self, domain: str) -> str:
        """The host the API is served at."""
        return self.host or f"api.{domain}"

    @property
    def path_prefix(self) -> str:
        """The path prefix the API is served under."""
        return self.pathPrefix or f"/{self.name}"

    def plan_of(self, consumer: ApiConsumer) -> ApiPlan | None:
        """The plan ``consumer`` is held to (the API's first plan when it names none)."""
        if consumer.plan is None:
            return self.plans[0] if self.plans else None
        return next((p for p in self.plans if p.name == consumer.plan), None)

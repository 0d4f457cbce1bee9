"""The service mesh and the tenants' services, as ``platform.yaml`` declares them.

The mesh is Istio. Its data plane mode defaults to ambient: ambient is generally
available since Istio 1.24, adds no sidecar to each pod (so joining the mesh restarts no
workload and costs no per-pod proxy), and L7 features run in a waypoint proxy only
where they are used (https://istio.io/latest/docs/overview/dataplane-modes/). Sidecar
mode stays available for workloads that need per-pod L7 features.

A service here is what a tenant runs and wants routed: its ports, who may call it, and
how its traffic is split between versions. Splitting is either by weight (a canary:
every version has a weight and the weights sum to 100) or by request (A/B: versions
match a header or a cookie, and exactly one version without a match takes the rest).
Names that refer to other parts of the spec (a tenant, a caller) are checked against
them in :mod:`stackyard.spec.coherence`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from stackyard.spec.base import DNS_LABEL, SpecModel, refuse_duplicates
from stackyard.spec.text import Text
from stackyard.spec.units import Count, PositiveDuration

MeshMode = Literal["ambient", "sidecar"]
MtlsMode = Literal["strict", "permissive"]
PortProtocol = Literal["http", "grpc", "tcp"]

# A Kubernetes port name (IANA service name): at most 15 characters, a letter somewhere.
_PORT_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
# A caller: "service" (same tenant) or "tenant/service".
_CALLER = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?/)?[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
# An HTTP header name (RFC 9110 token), written in lower case as HTTP/2 sends it.
_HEADER_NAME = r"^[a-z0-9!#$%&'*+.^_`|~-]{1,128}$"
# A cookie as "name=value" (RFC 6265 cookie-name and cookie-value characters).
_COOKIE = r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}=[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]{1,256}$"

DnsLabel = Annotated[Text, Field(pattern=DNS_LABEL, max_length=63)]


class Mesh(SpecModel):
    """Istio for the tenants' services: mTLS between them and routing of their traffic."""

    enabled: bool = Field(default=False, description="Run the service mesh.")
    mode: MeshMode = Field(
        default="ambient",
        description=(
            "ambient (node proxies and waypoints, no sidecars; GA since Istio 1.24) or "
            "sidecar (an Envoy proxy in every pod)."
        ),
    )
    mtls: MtlsMode = Field(
        default="strict",
        description="strict: only mutual TLS between mesh workloads; permissive also takes "
        "plain text.",
    )
    tenants: list[DnsLabel] | None = Field(
        default=None, description="Tenants whose namespaces join the mesh; default: every tenant."
    )
    namespaces: list[DnsLabel] = Field(
        default_factory=list, description="Further namespaces that join the mesh."
    )

    @field_validator("tenants", "namespaces")
    @classmethod
    def _unique(cls, names: list[str] | None) -> list[str] | None:
        refuse_duplicates(names or [], "name")
        return names


class ServicePort(SpecModel):
    """A port a service listens on."""

    name: Text = Field(
        pattern=_PORT_NAME, max_length=15, description="Port name (at most 15 characters)."
    )
    port: Count = Field(ge=1, le=65535, description="Port number.")
    protocol: PortProtocol = Field(
        default="http", description="http, grpc or tcp (tcp gets no L7 routing)."
    )

    @field_validator("name")
    @classmethod
    def _has_a_letter(cls, name: str) -> str:
        if not any("a" <= c <= "z" for c in name):
            raise ValueError(f"port name {name!r} needs a letter (Kubernetes port names do)")
        return name


class VersionMatch(SpecModel):
    """Which requests go to a version (A/B): a header, a cookie, or both."""

    headers: dict[Annotated[str, Field(pattern=_HEADER_NAME)], Text] = Field(
        default_factory=dict, description="Header names (lower case) and their exact values."
    )
    cookie: Text | None = Field(
        default=None, pattern=_COOKIE, description='A cookie and its value, e.g. "beta=1".'
    )

    @model_validator(mode="after")
    def _something(self) -> VersionMatch:
        if not self.headers and self.cookie is None:
            raise ValueError("a match needs headers or a cookie")
        return self


class ServiceVersion(SpecModel):
    """One version of a service, selected by the pod label ``version: <name>``."""

    name: DnsLabel = Field(description="Version name, the pods' `version` label.")
    weight: Count | None = Field(
        default=None, ge=0, le=100, description="Percent of traffic (canary); weights sum to 100."
    )
    match: VersionMatch | None = Field(
        default=None, description="Requests this version takes (A/B)."
    )


class Retries(SpecModel):
    """How failed requests are retried."""

    attempts: Count = Field(ge=1, le=10, description="Retries after the first attempt.")
    perTryTimeout: PositiveDuration | None = Field(
        default=None, description="Timeout of each attempt."
    )


class Service(SpecModel):
    """A service of a tenant: its ports, its callers and how its traffic is split."""

    name: DnsLabel = Field(description="Service name (a DNS label), unique in its tenant.")
    tenant: DnsLabel = Field(description="The tenant that owns the service.")
    namespace: DnsLabel | None = Field(
        default=None, description="One of the tenant's namespaces; default: its first."
    )
    ports: list[ServicePort] = Field(min_length=1, description="Ports the service listens on.")
    callers: list[Annotated[Text, Field(pattern=_CALLER)]] = Field(
        default_factory=list,
        description='Services allowed to call it: "name" in the same tenant or "tenant/name".',
    )
    versions: list[ServiceVersion] = Field(
        default_factory=list,
        description="Versions by weight (canary, summing to 100) or by match (A/B).",
    )
    rollout: bool = Field(
        default=False, description="Argo Rollouts moves the weights step by step."
    )
    timeout: PositiveDuration | None = Field(default=None, description="Request timeout.")
    retries: Retries | None = Field(default=None, description="Retries of failed requests.")

    @field_validator("ports")
    @classmethod
    def _unique_ports(cls, ports: list[ServicePort]) -> list[ServicePort]:
        refuse_duplicates([p.name for p in ports], "port name")
        refuse_duplicates([str(p.port) for p in ports], "port number")
        return ports

    @field_validator("callers")
    @classmethod
    def _unique_callers(cls, callers: list[str]) -> list[str]:
        refuse_duplicates(callers, "caller")
        return callers

    @field_validator("versions")
    @classmethod
    def _one_way_of_splitting(cls, versions: list[ServiceVersion]) -> list[ServiceVersion]:
        refuse_duplicates([v.name for v in versions], "version name")
        weighted = [v for v in versions if v.weight is not None]
        matched = [v for v in versions if v.match is not None]
        if weighted and matched:
            raise ValueError(
                "versions split traffic by weight (canary) or by match (A/B), not both: "
                f"{weighted[0].name!r} has a weight and {matched[0].name!r} a match"
            )
        if weighted:
            missing = [v.name for v in versions if v.weight is None]
            if missing:
                raise ValueError(f"every version needs a weight; {missing[0]!r} has none")
            total = sum(v.weight or 0 for v in versions)
            if total != 100:
                raise ValueError(f"version weights sum to {total}, not 100")
        elif versions:
            defaults = [v.name for v in versions if v.match is None]
            if len(defaults) != 1:
                raise ValueError(
                    "versions without weights split by match (A/B): exactly one version "
                    "without a match takes the other requests, found "
                    + (", ".join(repr(n) for n in defaults) if defaults else "none")
                )
        return versions

    @property
    def canary(self) -> bool:
        """Whether traffic moves between versions by weight (declared or by a rollout)."""
        return self.rollout or any(v.weight is not None for v in self.versions)

    @property
    def ab(self) -> bool:
        """Whether versions are chosen by request (header or cookie)."""
        return any(v.match is not None for v in self.versions)

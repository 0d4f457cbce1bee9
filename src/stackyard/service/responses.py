"""The API's documented shapes: pydantic models that OpenAPI publishes and responses follow.

Each mirrors the ``as_dict()`` of an application-layer result (the same JSON the command
line prints), so a tool reads one shape from either shell; the API only validates it
into these models on the way out.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Kubernetes(_Shape):
    """The platform's Kubernetes distribution and minor version."""

    distribution: str
    version: str


class RenderedCommit(_Shape):
    """The newest commit that changed the rendered folder."""

    commit: str | None
    at: str | None = Field(description="ISO 8601 commit time")


class PlatformSummary(_Shape):
    """One platform as the fleet lists it."""

    name: str
    repository: str
    remote: str | None
    edition: str
    provider: str
    kubernetes: Kubernetes
    clusters: list[str]
    head: str | None = Field(description="The commit HEAD points at")
    rendered: RenderedCommit
    drift: list[str] | None = Field(
        description="Rendered files that differ from a render of the spec now; "
        "null when unknown (a spec that does not plan)"
    )
    level: str | None = Field(description="Maturity level of the rendered tree")
    errors: int = Field(description="Error findings of the plan")
    warnings: list[str] = Field(description="Deprecated or retired components in use, drift")
    problem: str = Field(description="Why the platform could not be read; empty when it could")


class Fleet(_Shape):
    """Every platform of the fleet."""

    schema_: str = Field(alias="schema", examples=["stackyard.dev/fleet/v1"])
    platforms: list[PlatformSummary]


class Finding(_Shape):
    """One finding of a check, located in the spec."""

    check: str
    severity: str
    message: str
    file: str
    line: int
    column: int
    field: str
    hint: str
    cluster: str | None
    unchecked: bool


class Component(_Shape):
    """A component on a cluster."""

    name: str
    namespace: str
    wave: int
    pods: int
    reason: str
    lifecycle: str = Field(description="maintained, deprecated or retired upstream")


class Excluded(_Shape):
    """A component the plan leaves off a cluster, and why."""

    name: str
    reason: str


class PodSecurity(_Shape):
    """Pod Security Admission levels of the cluster's workload namespaces."""

    enforce: str
    audit: str
    warn: str


class PolicyRule(_Shape):
    """One Kyverno policy of the cluster's template and what it does (enforce, audit)."""

    name: str
    action: str
    summary: str


class Policy(_Shape):
    """The policy template a cluster carries and what it enforces there."""

    template: str
    chosenBy: str = Field(description="How the cluster got it: by name, by label, the default")
    known: bool
    description: str
    podSecurity: PodSecurity
    kyverno: bool = Field(description="Whether Kyverno runs there, so the policies apply")
    policies: list[PolicyRule]


class Cluster(_Shape):
    """A cluster of the platform's plan."""

    name: str
    role: str
    components: list[Component]
    excluded: list[Excluded]
    findings: list[Finding]
    policy: Policy


class AreaRating(_Shape):
    """An assessment area's rating, 1 to 5."""

    area: str
    title: str
    rating: int


class HistoryPoint(_Shape):
    """The assessment recorded for one rendered commit."""

    commit: str
    level: str
    areas: dict[str, int]
    findings: int = Field(description="Open workload findings")
    at: str = Field(description="ISO 8601 time it was recorded")


class Platform(PlatformSummary):
    """One platform in full: its summary, with its clusters in full (``schema`` first)."""

    schema_: str = Field(alias="schema", examples=["stackyard.dev/fleet-platform/v1"])
    clusters: list[Cluster]  # type: ignore[assignment]  # the summary's names, here in full
    findings: list[Finding]
    areas: list[AreaRating]
    history: list[HistoryPoint]

    @model_serializer(mode="wrap")
    def _schema_first(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A subclass's new fields follow its base's; every versioned document starts
        # with its schema, so the response puts it back in front.
        data: dict[str, Any] = handler(self)
        key = "schema" if "schema" in data else "schema_"
        return {key: data.pop(key), **data}


class Findings(_Shape):
    """The findings of a platform's plan."""

    findings: list[Finding]


class Problem(_Shape):
    """One thing wrong with a request's input."""

    location: str
    field: str
    message: str
    hint: str


class Error(_Shape):
    """Why a request failed."""

    detail: str
    problems: list[Problem] = []
    findings: list[Finding] = []


class AddPlatform(_Shape):
    """A platform repository to add to the fleet."""

    repository: str = Field(
        min_length=1,
        max_length=4096,
        description="Path of the repository's work tree on the service's host",
    )
    name: str | None = Field(
        default=None,
        max_length=40,
        pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
        description="The platform's name in the fleet; the spec's name when left out",
    )
    remote: str | None = Field(default=None, max_length=4096, description="Git remote to push to")
    spec_path: str = Field(default="platform.yaml", min_length=1, max_length=500, alias="specPath")
    rendered: str = Field(default="rendered", min_length=1, max_length=500)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Network(_Shape):
    """A new cluster's address plan (``clusters[].network`` of the spec)."""

    nodeRange: str = Field(min_length=1, max_length=200)
    serviceCIDR: str = Field(min_length=1, max_length=100)
    podCIDR: str | None = Field(default=None, max_length=100)
    nodeSubnet: str | None = Field(default=None, max_length=100)
    loadBalancerPool: str | None = Field(default=None, max_length=200)


class RegisterCluster(_Shape):
    """A cluster to register: what its entry under ``clusters`` of the spec will hold."""

    name: str = Field(max_length=40, pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    role: Literal["app", "mgmt", "standalone"] = "app"
    network: Network
    nodePools: list[dict[str, str | int | bool]] = Field(
        min_length=1,
        max_length=20,
        description='Each pool as the spec writes it: {"name": "cp", "role": '
        '"control-plane", "count": 1, "cpu": 2, "memory": "4Gi"}',
    )
    labels: dict[str, str] = Field(default_factory=dict, max_length=50)
    policyTemplate: str | None = Field(default=None, max_length=63)


class Push(_Shape):
    """Where the change's commit was pushed, or why it was not."""

    remote: str
    branch: str
    error: str | None


class ClusterChange(_Shape):
    """What a registration or deregistration did (``cluster-change``)."""

    schema_: str = Field(alias="schema", examples=["stackyard.dev/cluster-change/v1"])
    action: Literal["register", "deregister"]
    cluster: str
    repository: str
    status: Literal["committed", "unchanged", "refused", "needs-confirmation"]
    commit: str | None
    replayed: bool = Field(description="The idempotency key was seen before: its commit")
    push: Push | None
    findings: list[Finding]
    changes: list[dict[str, Any]] = Field(description="As stackyard diff lists them")
    disruptive: int
    warnings: list[str]

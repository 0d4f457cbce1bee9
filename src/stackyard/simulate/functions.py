"""The function catalog: what people and clusters lose when a provider is down (data).

``data/functions.yaml`` holds the words and the buffer of every function; this module
gives it a schema, so a malformed entry fails the test suite, never a user's run.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import cache
from importlib import resources
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from stackyard.errors import CatalogError
from stackyard.yamlio import load_yaml_text

Data = TypeVar("Data", bound=BaseModel)
Impact = Literal["workloads", "delivery", "data", "people"]
BufferName = Literal[
    "eso-refresh-interval",
    "cert-renew-before",
    "prometheus-wal-retention",
    "node-log-files",
    "otel-retry",
    "keycloak-session",
    "vault-aws-lease",
    "node-image-cache",
    "istio-workload-cert",
    "keycloak-access-token",
]


PlatformFunction = Literal[
    "workloads",
    "deploys",
    "image-pulls",
    "cluster-control",
    "machine-management",
    "application-ingress",
    "service-discovery",
    "certificate-issuance",
    "volume-provisioning",
    "load-balancer-addresses",
    "cluster-mesh",
    "mesh-sidecars",
    "kube-api-login",
    "directory-login",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FunctionText(_Strict):
    """How a function reads in a timeline: its name and its three states."""

    title: str
    impact: Impact
    interrupted: str
    kept: str = ""
    exhausted: str = ""
    buffer: BufferName | None = None
    breaksWorkloads: bool = False
    """Exhausting the buffer breaks the cluster's workloads (e.g. expired certificates)."""
    availability: bool = False
    """Tenants' services are unreachable while it is lost (interrupted with nothing kept,
    or past its buffer): the time spends the availability budget."""


class NeedFunction(FunctionText):
    """The function behind a component's run-time need of a capability."""

    id: str
    capability: str
    consumers: tuple[str, ...] = ()
    """Components this entry is for; empty: any consumer."""
    ownLoadBalancer: bool = False
    """The provider is reached at its own load balancer (Teleport's proxy), not through
    the serving cluster's gateway."""


class ServiceFunction(FunctionText):
    """A function a component serves directly: to people, or to the cluster it runs on.

    It names the component, or a capability (catalog ``provides``) for every component
    that provides it.
    """

    id: str
    component: str | None = None
    capability: str | None = None
    serves: Literal["people", "cluster"] = "people"
    """``cluster``: what the component does for its own cluster (node initialisation,
    DNS records), which stops when the component does, unless the whole cluster is down."""
    viaGateway: bool = False
    """People reach it through its cluster's gateway, which is then a provider too."""

    @model_validator(mode="after")
    def _names_what_serves_it(self) -> ServiceFunction:
        if (self.component is None) == (self.capability is None):
            raise ValueError("a service function names a component or a capability, not both")
        return self

    def served_by(self, component: str, provides: Collection[str]) -> bool:
        """Whether ``component``, providing ``provides``, serves this function."""
        return component == self.component or self.capability in provides


class FunctionCatalog(_Strict):
    """Every function the simulation knows, by where it comes from."""

    needs: tuple[NeedFunction, ...]
    services: tuple[ServiceFunction, ...]
    platform: dict[PlatformFunction, FunctionText]

    def for_need(self, consumer: str, capability: str) -> NeedFunction | None:
        """The first entry for ``consumer``'s need of ``capability``."""
        return next(
            (
                n
                for n in self.needs
                if n.capability == capability and (not n.consumers or consumer in n.consumers)
            ),
            None,
        )

    def for_service(self, component: str, provides: Collection[str]) -> list[ServiceFunction]:
        """The functions ``component`` (providing ``provides``) serves directly."""
        return [s for s in self.services if s.served_by(component, provides)]


def load_packaged_data(name: str, model: type[Data]) -> Data:
    """``stackyard/simulate/data/<name>`` checked against ``model``.

    Raises:
        CatalogError: the packaged data breaks its schema (a packaging bug).
    """
    text = resources.files("stackyard.simulate").joinpath(f"data/{name}").read_text()
    document = load_yaml_text(text, f"stackyard/simulate/data/{name}")
    try:
        return model.model_validate(document.data)
    except ValidationError as e:
        raise CatalogError(f"simulate/data/{name}: {e}") from e


@cache
def load_functions() -> FunctionCatalog:
    """The packaged function catalog."""
    return load_packaged_data("functions.yaml", FunctionCatalog)

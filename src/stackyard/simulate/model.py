"""The runtime dependency model: services that can fail and the functions that rely on them.

A service is something that can be down: a component on a cluster (``vault@mgmt``), a
cluster's nodes or control plane (``nodes@app1``, ``control-plane@app1``), or a service
outside the platform (``git``, an external ``harbor``). A function is something the
platform does for a cluster or for people; it needs all of its providers and may bridge
their outage with a buffer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from stackyard.plan import Plan
from stackyard.simulate.functions import FunctionText
from stackyard.simulate.settings import Buffer, RenderedSettings

NODES = "nodes"
CONTROL_PLANE = "control-plane"
CLUSTER_DNS = "coredns"
"""Every distribution runs CoreDNS as the cluster's DNS; the plan does not list it."""
OUTSIDE = -1000
"""Sync wave of services outside the platform: they come back before anything in it."""
OUTSIDE_PLATFORM = "outside"
"""How a function key names a provider outside the platform (an external object store)."""
CLUSTER_BASE = -100
"""Sync wave of nodes and control planes: before every component."""


@dataclass(frozen=True)
class Service:
    """Something that can be down."""

    id: str
    component: str
    cluster: str | None
    wave: int
    description: str

    @property
    def external(self) -> bool:
        """Outside every cluster of the platform."""
        return self.cluster is None


@dataclass(frozen=True)
class FunctionInstance:
    """One function for one consumer, with the services it needs and its buffer."""

    id: str
    text: FunctionText
    cluster: str | None
    consumer: str | None
    providers: tuple[str, ...]
    buffer: Buffer | None
    why: str
    source: str | None = None
    """Where the rendered repository decides this function's behaviour (file and line)."""
    provider: str | None = None
    """The service a consumer's need is met by (``thanos@mgmt``); ``None``: a store outside
    the platform, or a function that is not one consumer's need."""

    @property
    def key(self) -> str:
        """Unique within a model: the function, where it is consumed or served, and from whom.

        A consumer may need one function from several providers (Grafana's dashboard data
        from Thanos, Loki and Tempo), so a consumer's need names its provider too:
        ``dashboards-data/grafana@mgmt/loki@mgmt``; ``outside`` is a store outside the
        platform.
        """
        if self.consumer and not self.consumer.startswith(f"{NODES}@"):
            return f"{self.id}/{self.consumer}/{self.provider or OUTSIDE_PLATFORM}"
        return f"{self.id}@{self.where}"

    @property
    def where(self) -> str:
        """The cluster it serves, or the provider people use."""
        return self.cluster or self.providers[0]

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "function": self.id,
            "title": self.text.title,
            "impact": self.text.impact,
            "cluster": self.cluster,
            "key": self.key,
            "consumer": self.consumer,
            "providers": list(self.providers),
            "buffer": buffer_dict(self.buffer),
            "why": self.why,
            "source": self.source,
        }


@dataclass(frozen=True)
class RuntimeModel:
    """Every service and function of one planned, rendered platform."""

    plan: Plan
    services: Mapping[str, Service]
    functions: tuple[FunctionInstance, ...]
    settings: RenderedSettings
    hard_needs: Mapping[str, tuple[str, ...]]
    """Services each service cannot run without (its cluster's nodes and CNI, hard edges)."""

    @cached_property
    def hard_dependents(self) -> Mapping[str, tuple[str, ...]]:
        """The reverse of ``hard_needs``: who goes down with each service."""
        dependents: dict[str, list[str]] = {}
        for service, needs in self.hard_needs.items():
            for need in needs:
                dependents.setdefault(need, []).append(service)
        return {service: tuple(sorted(d)) for service, d in dependents.items()}

    @cached_property
    def functions_by_service(self) -> Mapping[str, tuple[int, ...]]:
        """Indexes of the functions each service provides or consumes."""
        index: dict[str, list[int]] = {}
        for position, function in enumerate(self.functions):
            services = set(function.providers)
            if function.consumer is not None:
                services.add(function.consumer)
            if function.cluster is not None:
                services.add(f"{NODES}@{function.cluster}")
            for service in services:
                index.setdefault(service, []).append(position)
        return {service: tuple(i) for service, i in index.items()}

    def services_on(self, cluster: str) -> list[str]:
        """Ids of every service on ``cluster``."""
        return [s.id for s in self.services.values() if s.cluster == cluster]

    def as_dict(self) -> dict[str, Any]:
        """JSON shape of the dependency model."""
        return {
            "services": [
                {
                    "id": s.id,
                    "component": s.component,
                    "cluster": s.cluster,
                    "description": s.description,
                }
                for s in self.services.values()
            ],
            "functions": [f.as_dict() for f in self.functions],
        }


def buffer_dict(buffer: Buffer | None) -> dict[str, Any] | None:
    """JSON shape of a buffer, shared by every report."""
    if buffer is None:
        return None
    return {
        "name": buffer.name,
        "what": buffer.what,
        "seconds": buffer.seconds,
        "duration": buffer.label,
        "source": buffer.evidence.source,
        "field": buffer.evidence.field,
        "value": buffer.evidence.value,
    }

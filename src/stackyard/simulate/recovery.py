"""Recovery priorities and the order to bring failed services back.

A service's priority follows from what depends on it:

- P0: the registry. Every pod that restarts, including those of the services being
  recovered, pulls its image from it.
- P1: what clusters need to keep working and changing: control planes and nodes, the
  cluster's own infrastructure (CNI, storage, load balancing, certificates), and every
  provider of a delivery or workload function (Vault, Argo CD, the Git remote).
- P2: what only people or telemetry need: stores, queries, dashboards, alerting, backups,
  and the agents that ship telemetry and backups (they are the function's consumer).
- P3: nothing depends on it at run time.

Targets scale with the spec's RTO: P0 a quarter of it, P1 half, P2 all of it (the
reference architecture: 15 min, 30 min and 1 h for an RTO of 1 h). Within a priority,
services come back in install order (external services, then nodes and control plane,
then sync waves).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from stackyard.simulate.engine import Simulation
from stackyard.simulate.model import CONTROL_PLANE, NODES, RuntimeModel, Service
from stackyard.spec.units import format_duration, parse_duration

Priority = Literal["P0", "P1", "P2", "P3"]
RTO_SHARE: dict[Priority, float | None] = {"P0": 0.25, "P1": 0.5, "P2": 1.0, "P3": None}
INFRASTRUCTURE = frozenset(
    {
        "cni",
        "storage",
        "load-balancer",
        "certificates",
        "secrets-sync",
        "ingress",
        "gateway-api",
        "cluster-mesh",
        "cloud-controller",
        "dns",
    }
)


@dataclass(frozen=True)
class Recovery:
    """One failed service: its priority, target, and when the scenario brought it back.

    ``down_seconds`` counts up to the end of the window; ``recovered`` is False when the
    service is still down then.
    """

    service: Service
    priority: Priority
    reason: str
    target_seconds: float | None
    down_seconds: float
    recovered: bool = True

    @property
    def met(self) -> bool | None:
        """Whether it came back within its target.

        None when there is no target, or when it is still down at the end of a window
        that closed before its target ran out (the scenario does not say).
        """
        if self.target_seconds is None:
            return None
        if self.recovered:
            return self.down_seconds <= self.target_seconds
        # Still down when its target ran out: it cannot have come back in time.
        return False if self.down_seconds >= self.target_seconds else None

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "service": self.service.id,
            "priority": self.priority,
            "reason": self.reason,
            "target": None if self.target_seconds is None else format_duration(self.target_seconds),
            "down": format_duration(self.down_seconds),
            "recovered": self.recovered,
            "met": self.met,
        }


def priority_of(model: RuntimeModel, service: Service) -> tuple[Priority, str]:
    """The recovery priority of ``service`` and why."""
    served = [
        f
        for f in model.functions
        if service.id in f.providers
        or (service.id == f.consumer and f.text.impact in ("delivery", "data"))
    ]
    if service.component in (NODES, CONTROL_PLANE):
        return "P1", "the cluster itself"
    if any(f.id == "image-pulls" for f in served):
        return "P0", "every restarting pod pulls its image from it"
    critical = sorted({f.text.title for f in served if f.text.impact in ("delivery", "workloads")})
    if critical:
        return "P1", "needed for " + ", ".join(critical)
    infrastructure = sorted(INFRASTRUCTURE.intersection(_provides(model, service)))
    if infrastructure:
        return "P1", f"cluster infrastructure ({', '.join(infrastructure)})"
    others = sorted({f.text.title for f in served})
    if others:
        return "P2", "needed for " + ", ".join(others)
    return "P3", "nothing depends on it at run time"


def _provides(model: RuntimeModel, service: Service) -> tuple[str, ...]:
    """The capabilities of the planned component behind ``service`` (none for the rest)."""
    if service.cluster is None:
        return ()
    planned = model.plan.cluster(service.cluster).get(service.component)
    return tuple(planned.component.provides) if planned else ()


def recovery_plan(simulation: Simulation) -> list[Recovery]:
    """Every service the scenario took down, in the order to bring them back."""
    model = simulation.model
    rto = parse_duration(model.plan.spec.platform.slo.rto)
    recoveries = []
    for service_id, spans in simulation.down.items():
        service = model.services[service_id]
        priority, reason = priority_of(model, service)
        share = RTO_SHARE[priority]
        down = sum(end - start for start, end in spans)
        target = None if share is None else rto * share
        recovered = service_id not in simulation.still_down
        recoveries.append(Recovery(service, priority, reason, target, down, recovered))
    return sorted(recoveries, key=lambda r: (r.priority, r.service.wave, r.service.id))

"""Which of the architecture contract C1–C6 hold during a simulated incident.

C1–C3 depend on the incident and are judged from the simulation; C4–C6 are properties of
the configuration that an outage cannot change, so their verdict is the plan's static
check of the same id. Verdicts: ``holds``; ``exceeded`` (the mechanism works but the
incident outlasts its buffer); ``broken`` (the contract does not hold); ``not applicable``
(the spec has nothing the clause is about: no Kyverno for C4, no Vault issuer for C5, no
Cilium on local VMs for C6), which is never reported as ``holds``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from stackyard.plan import Plan
from stackyard.simulate.engine import FunctionOutcome, Simulation
from stackyard.spec.units import format_duration

Verdict = Literal["holds", "exceeded", "broken", "not applicable"]

STATEMENTS = {
    "C1": "app-cluster workloads keep running when mgmt is down",
    "C2": "Prometheus Agent keeps a local WAL buffer",
    "C3": "External Secrets' cache keeps working while Vault is down",
    "C4": "Kyverno enforces on app clusters only",
    "C5": "PKI bootstrap is two-phase (self-signed, then Vault)",
    "C6": "Cilium runs in tunnel mode on local VMs",
}


@dataclass(frozen=True)
class ContractVerdict:
    """One contract clause, its verdict and why."""

    id: str
    statement: str
    verdict: Verdict
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "id": self.id,
            "statement": self.statement,
            "verdict": self.verdict,
            "reason": self.reason,
        }


def judge_contract(simulation: Simulation) -> list[ContractVerdict]:
    """C1–C6 for ``simulation``; a clause the spec gives nothing to is not applicable."""
    verdicts = [
        _c1(simulation),
        _buffered("C2", simulation, "metrics-shipping", "prometheus-agent"),
        _buffered("C3", simulation, "secret-refresh", "external-secrets", stale_ok=True),
        *(_static(simulation, clause) for clause in ("C4", "C5", "C6")),
    ]
    return [_unless_inapplicable(simulation.model.plan, verdict) for verdict in verdicts]


def applies(plan: Plan, clause: str) -> str | None:
    """Why ``clause`` does not apply to ``plan``, or None when it does."""
    platform = plan.spec.platform
    running = {p.name for cluster in plan.clusters for p in cluster.components}
    roles = {cluster.cluster.role for cluster in plan.clusters}
    cni = next(
        (p.name for c in plan.clusters for p in c.components if "cni" in p.component.provides),
        "none",
    )
    reasons = {
        "C1": None if {"mgmt", "app"} <= roles else "no mgmt cluster beside app clusters",
        "C2": None if "prometheus-agent" in running else "no Prometheus Agent runs",
        "C3": None
        if {"external-secrets", "vault"} <= running
        else "no External Secrets reading from Vault",
        "C4": None if "kyverno" in running else "Kyverno does not run",
        "C5": None if "vault-issuer" in running else "no Vault issuer (pki.issuer is not vault)",
        "C6": None
        if platform.provider == "local" and "cilium" in running
        else f"no Cilium on local VMs (provider {platform.provider}, CNI {cni})",
    }
    return reasons.get(clause)


def _unless_inapplicable(plan: Plan, verdict: ContractVerdict) -> ContractVerdict:
    """A broken clause stays broken; one that holds only vacuously is not applicable."""
    reason = applies(plan, verdict.id)
    if reason is None or verdict.verdict == "broken":
        return verdict
    return ContractVerdict(verdict.id, verdict.statement, "not applicable", reason)


def _where(outcomes: list[FunctionOutcome]) -> str:
    return ", ".join(sorted({o.function.where for o in outcomes}))


def _c1(simulation: Simulation) -> ContractVerdict:
    """C1 is about mgmt being down: judged only from what a failure on mgmt does to app clusters.

    An app cluster's own failure (its nodes, its CNI, its istiod) that stops its workloads
    or runs a buffer out is not a C1 matter: mgmt stays up, and the SLOs report the loss.
    What breaks with part of mgmt down also breaks with all of it down, so one mgmt
    service whose failure stops app workloads breaks C1 as well.
    """
    statement = STATEMENTS["C1"]
    roles = {c.cluster.name: c.cluster.role for c in simulation.model.plan.clusters}
    origins = _origins(simulation)
    on_mgmt = {
        service
        for found in origins.values()
        for service in found
        if _role(simulation, roles, service) == "mgmt"
    }
    on_app = [
        o
        for o in simulation.affected()
        if o.function.cluster is not None and roles.get(o.function.cluster) == "app"
    ]
    lost = [o for o in on_app if o.function.id == "workloads" and _from(o, origins, on_mgmt)]
    if lost:
        causes = _targets(simulation, on_mgmt & _origins_of(lost, origins))
        return ContractVerdict(
            "C1", statement, "broken", f"workloads on {_where(lost)} stop with {causes} down"
        )
    ran_out = [o for o in on_app if o.function.text.breaksWorkloads and o.state == "exhausted"]
    from_mgmt = [o for o in ran_out if _from(o, origins, on_mgmt, exhausted=True)]
    if from_mgmt:
        titles = sorted({o.function.text.title for o in from_mgmt})
        causes = _targets(simulation, on_mgmt & _origins_of(from_mgmt, origins))
        return ContractVerdict(
            "C1",
            statement,
            "broken",
            f"{', '.join(titles)} ran out of buffer on {_where(from_mgmt)} with {causes} down",
        )
    workloads = [o for o in simulation.outcomes if o.function.id == "workloads"]
    running = [o for o in workloads if not o.periods]
    down = [o for o in workloads if o.periods]
    parts = [f"workloads on {_where(running)} run throughout"] if running else []
    if down:
        parts.append(f"{_where(down)} failed itself")
    if ran_out:
        titles = sorted({o.function.text.title for o in ran_out})
        parts.append(
            f"{', '.join(titles)} ran out of buffer on {_where(ran_out)} through a failure "
            "of that cluster itself, not of mgmt (see the SLOs)"
        )
    reason = "; ".join(parts) or "no app cluster"
    return ContractVerdict("C1", statement, "holds", reason)


def _role(simulation: Simulation, roles: Mapping[str, str], service: str) -> str | None:
    known = simulation.model.services.get(service)
    cluster = known.cluster if known is not None else None
    return roles.get(cluster) if cluster is not None else None


def _origins(simulation: Simulation) -> dict[str, frozenset[str]]:
    """For each service that was down: the services the scenario failed that it was down for.

    A service the scenario fails is its own origin; one that went down with a service it
    cannot run without has that service's origins.
    """
    failed = {
        s for step in simulation.scenario.steps if step.action == "fail" for s in step.services
    }
    needs = simulation.model.hard_needs
    found: dict[str, frozenset[str]] = {}

    def origin(service: str, seen: frozenset[str]) -> frozenset[str]:
        if service not in found:
            result = {service} if service in failed else set()
            for need in needs.get(service, ()):
                if need in simulation.down and need not in seen:
                    result |= origin(need, seen | {need})
            found[service] = frozenset(result)
        return found[service]

    for service in simulation.down:
        origin(service, frozenset({service}))
    return found


def _origins_of(outcomes: list[FunctionOutcome], origins: dict[str, frozenset[str]]) -> set[str]:
    return {r for o in outcomes for cause in _causes(o) for r in origins.get(cause, {cause})}


def _from(
    outcome: FunctionOutcome,
    origins: dict[str, frozenset[str]],
    on_mgmt: set[str],
    *,
    exhausted: bool = False,
) -> bool:
    """Whether a period of ``outcome`` (one that ran out, with ``exhausted``) came from mgmt."""
    return any(
        on_mgmt & origins.get(cause, frozenset({cause}))
        for period in outcome.periods
        if not exhausted or period.exhausted_at is not None
        for cause in period.causes
    )


def _targets(simulation: Simulation, services: set[str]) -> str:
    """The scenario's failed targets that took ``services`` down, as the user named them."""
    return ", ".join(
        sorted(
            {
                step.target
                for step in simulation.scenario.steps
                if step.action == "fail" and step.services & services
            }
        )
    )


def _causes(outcome: FunctionOutcome) -> set[str]:
    return {cause for period in outcome.periods for cause in period.causes}


def _buffered(
    clause: str, simulation: Simulation, function: str, consumer: str, *, stale_ok: bool = False
) -> ContractVerdict:
    """Judge a cache or buffer clause: did ``consumer``'s buffer for ``function`` bridge it?

    With ``stale_ok``, running out of buffer only makes data stale, not lost (External
    Secrets never deletes synced Secrets when Vault is unreachable), so the clause holds.
    """
    statement = STATEMENTS[clause]
    static = _static(simulation, clause)
    if static.verdict == "broken":
        return static
    outcomes = [
        o
        for o in simulation.affected()
        if o.function.id == function and (o.function.consumer or "").startswith(f"{consumer}@")
    ]
    if not outcomes:
        return ContractVerdict(clause, statement, "holds", "not affected by this incident")
    buffer = outcomes[0].function.buffer
    label = buffer.label if buffer else "unbounded"
    exhausted = [o for o in outcomes if o.state == "exhausted"]
    if not exhausted:
        reason = f"the {label} buffer bridged the outage on {_where(outcomes)}"
        return ContractVerdict(clause, statement, "holds", reason)
    past = format_duration(max(o.lost_seconds for o in exhausted))
    if stale_ok:
        reason = (
            f"synced Secrets stay on {_where(exhausted)}; refresh lost after the {label} "
            f"interval, values stale for up to {past}"
        )
        return ContractVerdict(clause, statement, "holds", reason)
    reason = f"the {label} buffer ran out on {_where(exhausted)}: {past} of data lost"
    return ContractVerdict(clause, statement, "exceeded", reason)


def _static(simulation: Simulation, clause: str) -> ContractVerdict:
    findings = [
        f
        for f in simulation.model.plan.findings
        if f.check == clause and f.severity in ("error", "warning")
    ]
    if findings:
        first = findings[0]
        return ContractVerdict(
            clause, STATEMENTS[clause], "broken", f"{first.message} ({first.location})"
        )
    return ContractVerdict(clause, STATEMENTS[clause], "holds", "static check passes")

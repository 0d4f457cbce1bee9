"""Which of the architecture contract C1–C6 hold during a simulated incident.

C1–C3 depend on the incident and are judged from the simulation; C4–C6 are properties of
the configuration that an outage cannot change, so their verdict is the plan's static
check of the same id. Verdicts: ``holds``; ``exceeded`` (the mechanism works but the
incident outlasts its buffer); ``broken`` (the contract does not hold); ``not applicable``
(the spec has nothing the clause is about: no Kyverno for C4, no Vault issuer for C5, no
Cilium on local VMs for C6), which is never reported as ``holds``.
"""

from __future__ import annotations

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
    statement = STATEMENTS["C1"]
    lost = [
        o
        for o in simulation.affected()
        if o.function.id == "workloads"
        and any(p.split("@")[-1] != o.function.cluster for p in _causes(o))
    ]
    broken_by_buffers = [
        o
        for o in simulation.affected()
        if o.function.text.breaksWorkloads and o.state == "exhausted"
    ]
    if lost:
        return ContractVerdict("C1", statement, "broken", f"workloads on {_where(lost)} stop")
    if broken_by_buffers:
        titles = sorted({o.function.text.title for o in broken_by_buffers})
        return ContractVerdict(
            "C1",
            statement,
            "broken",
            f"{', '.join(titles)} ran out of buffer on {_where(broken_by_buffers)}",
        )
    running = [o for o in simulation.outcomes if o.function.id == "workloads" and not o.periods]
    down = [o for o in simulation.outcomes if o.function.id == "workloads" and o.periods]
    parts = [f"workloads on {_where(running)} run throughout"] if running else []
    if down:
        parts.append(f"{_where(down)} failed itself")
    reason = "; ".join(parts) or "no app cluster"
    return ContractVerdict("C1", statement, "holds", reason)


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

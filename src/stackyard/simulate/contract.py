"""Which of the architecture contract C1–C6 hold during a simulated incident.

C1–C3 depend on the incident and are judged from the simulation; C4–C6 are properties of
the configuration that an outage cannot change, so their verdict is the plan's static
check of the same id. Verdicts: ``holds``; ``exceeded`` (the mechanism works but the
incident outlasts its buffer); ``broken`` (the contract does not hold).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from stackyard.simulate.engine import FunctionOutcome, Simulation
from stackyard.spec.units import format_duration

Verdict = Literal["holds", "exceeded", "broken"]

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
    """C1–C6 for ``simulation``."""
    return [
        _c1(simulation),
        _buffered("C2", simulation, "metrics-shipping", "prometheus-agent"),
        _buffered("C3", simulation, "secret-refresh", "external-secrets", stale_ok=True),
        *(_static(simulation, clause) for clause in ("C4", "C5", "C6")),
    ]


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

"""What an incident does to the spec's SLOs: availability budget, RTO and RPO.

- Availability: the error budget of a 30-day month at the spec's target. Application
  workloads that are down spend it; platform functions that are interrupted (deploys,
  secret refresh, queries) are reported against it too, since people see them.
- RTO: how long each failed service stayed down against the spec's RTO.
- RPO: backups and etcd snapshots that cannot run while their store or their cluster
  is down, which stretches the tier's worst case (schedule gap + time without backups)
  against the spec's RPO. Telemetry past its buffer is not platform data the RPO
  covers: the timeline reports it lost, with the length of the gap.

Everything is measured up to the end of the simulated window. Something still down
then has not been recovered: its verdict is ``exceeds`` once its target ran out inside
the window, ``undecided`` when the window closed before (the scenario does not say).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from stackyard.simulate.backups import DisasterRecovery
from stackyard.simulate.engine import FunctionOutcome, Simulation
from stackyard.simulate.model import CONTROL_PLANE
from stackyard.spec.units import format_duration, parse_duration

MONTH = 30 * 24 * 3600.0
Verdict = Literal["meets", "exceeds", "undecided"]


@dataclass(frozen=True)
class SloEffect:
    """One SLO figure the incident moves."""

    slo: Literal["availability", "rto", "rpo"]
    subject: str
    value: str
    target: str
    verdict: Verdict
    note: str

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "slo": self.slo,
            "subject": self.subject,
            "value": self.value,
            "target": self.target,
            "verdict": self.verdict,
            "note": self.note,
        }


def _open(recovered: bool) -> str:
    return "" if recovered else ", not recovered when the simulated window ends"


def _verdict(seconds: float, target: float, recovered: bool) -> Verdict:
    """Within ``target``; a span still open at the end exceeds it once it reaches it."""
    if recovered:
        return "meets" if seconds <= target else "exceeds"
    return "exceeds" if seconds >= target else "undecided"


def _budget_note(seconds: float, budget: float) -> str:
    return f"{seconds / budget:.0%} of the monthly error budget" if budget > 0 else ""


def _recovered(outcome: FunctionOutcome) -> bool:
    return all(p.recovered for p in outcome.periods)


def slo_effects(simulation: Simulation, recovery: DisasterRecovery) -> list[SloEffect]:
    """Availability, RTO and RPO effects of ``simulation``."""
    platform = simulation.model.plan.spec.platform
    budget = (1 - platform.slo.availability / 100) * MONTH
    target = f"{platform.slo.availability:g}% ({format_duration(budget)} a month)"
    effects: list[SloEffect] = []
    for outcome in simulation.outcomes:
        if outcome.function.id != "workloads":
            continue
        down = outcome.down_seconds
        recovered = _recovered(outcome)
        effects.append(
            SloEffect(
                "availability",
                f"workloads on {outcome.function.cluster}",
                f"{format_duration(down)} down{_open(recovered)}",
                target,
                _verdict(down, budget, recovered),
                _budget_note(down, budget),
            )
        )
    platform_functions = [
        o for o in simulation.affected() if o.function.text.impact in ("delivery", "people")
    ]
    if platform_functions:
        worst = max(platform_functions, key=lambda o: (o.down_seconds, not _recovered(o)))
        down = worst.down_seconds
        recovered = _recovered(worst)
        effects.append(
            SloEffect(
                "availability",
                "platform functions",
                f"{worst.function.text.title} interrupted "
                f"{format_duration(down)}{_open(recovered)}",
                target,
                _verdict(down, budget, recovered),
                _budget_note(down, budget),
            )
        )
    effects.extend(_service_traffic_effects(simulation, budget, target))
    rto = parse_duration(platform.slo.rto)
    still_down = set(simulation.targets_still_down())
    for step_target, longest in _targets_down(simulation).items():
        recovered = step_target not in still_down
        effects.append(
            SloEffect(
                "rto",
                step_target,
                f"down {format_duration(longest)}{_open(recovered)}",
                format_duration(rto),
                _verdict(longest, rto, recovered),
                "",
            )
        )
    effects.extend(_rpo_effects(simulation, recovery))
    return effects


def _service_traffic_effects(simulation: Simulation, budget: float, target: str) -> list[SloEffect]:
    """Tenants' services that cannot be reached spend the budget (``availability`` functions).

    Their time without the function counts: all of it when nothing is kept (the API
    gateway's proxies down), the time past the buffer when something is (istiod down:
    from the moment workload certificates expire).
    """
    effects = []
    for outcome in simulation.affected():
        text = outcome.function.text
        if not text.availability:
            continue
        lost = outcome.lost_seconds
        if lost <= 0:
            continue
        recovered = _recovered(outcome)
        effects.append(
            SloEffect(
                "availability",
                f"{text.title} on {outcome.function.where}",
                f"{format_duration(lost)} unavailable{_open(recovered)}",
                target,
                _verdict(lost, budget, recovered),
                _budget_note(lost, budget),
            )
        )
    return effects


def _targets_down(simulation: Simulation) -> dict[str, float]:
    longest: dict[str, float] = {}
    for step in simulation.scenario.steps:
        if step.action != "fail":
            continue
        spans = [end - start for s in step.services for start, end in simulation.down.get(s, ())]
        if spans:
            longest[step.target] = max(longest.get(step.target, 0.0), max(spans))
    return longest


def _rpo_effects(simulation: Simulation, recovery: DisasterRecovery) -> list[SloEffect]:
    rpo = recovery.rpo_seconds
    target = format_duration(rpo)
    effects = []
    for outcome in simulation.affected():
        function = outcome.function
        if function.id == "backups":
            schedule = recovery.tier_rpo("L2", function.cluster)
            if schedule is None:
                continue
            worst = schedule + outcome.down_seconds
            recovered = _recovered(outcome)
            effects.append(
                SloEffect(
                    "rpo",
                    f"volume backups of {function.cluster}",
                    f"up to {format_duration(worst)} since the last backup{_open(recovered)}",
                    target,
                    _verdict(worst, rpo, recovered),
                    f"schedule gap {format_duration(schedule)} + "
                    f"{format_duration(outcome.down_seconds)} without backups",
                )
            )
    for service_id in sorted(simulation.down):
        service = simulation.model.services[service_id]
        if service.component != CONTROL_PLANE or service.cluster is None:
            continue
        cluster = service.cluster
        schedule = recovery.tier_rpo("L1", cluster)
        spans = simulation.down[service_id]
        if schedule is None:
            continue
        worst = schedule + max(end - start for start, end in spans)
        recovered = service_id not in simulation.still_down
        effects.append(
            SloEffect(
                "rpo",
                f"etcd snapshots of {cluster}",
                f"up to {format_duration(worst)} since the last snapshot{_open(recovered)}",
                target,
                _verdict(worst, rpo, recovered),
                f"schedule gap {format_duration(schedule)} + time without a control plane",
            )
        )
    return effects

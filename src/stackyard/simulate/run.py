"""spec → plan → rendered tree → runtime model → simulated incident, with every verdict.

The one entry point the command line uses; the report it returns is plain data that the
text, JSON and SVG outputs format.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stackyard.plan import Plan
from stackyard.progress import Progress, no_progress
from stackyard.render.build import render_plan
from stackyard.simulate.backups import DisasterRecovery, check_disaster_recovery
from stackyard.simulate.contract import ContractVerdict, judge_contract
from stackyard.simulate.dependencies import build_runtime_model
from stackyard.simulate.engine import Simulation, simulate
from stackyard.simulate.model import RuntimeModel, buffer_dict
from stackyard.simulate.recovery import Recovery, recovery_plan
from stackyard.simulate.scenario import Scenario
from stackyard.simulate.slo import SloEffect, slo_effects
from stackyard.spec.units import format_duration


@dataclass(frozen=True)
class IncidentReport:
    """Everything ``stackyard simulate`` says about one scenario."""

    simulation: Simulation
    contract: tuple[ContractVerdict, ...]
    recovery: tuple[Recovery, ...]
    slo: tuple[SloEffect, ...]
    disaster_recovery: DisasterRecovery

    def as_dict(self) -> dict[str, Any]:
        """JSON shape of the incident.

        ``stackyard.app`` opens it with the versioned ``"schema"`` (``incident``) when it
        is a whole document, as ``simulate --output json`` prints it.
        """
        simulation = self.simulation
        platform = simulation.model.plan.spec.platform
        return {
            "platform": platform.name,
            "scenario": {
                "name": simulation.scenario.name,
                "end": format_duration(simulation.end),
                "endSeconds": simulation.end,
                "stillDown": simulation.targets_still_down(),
                "steps": [
                    {
                        "at": format_duration(s.at),
                        "action": s.action,
                        "target": s.target,
                        "services": sorted(s.services),
                    }
                    for s in simulation.scenario.steps
                ],
                # When each service is down; an end of null: still down when the window ends.
                "down": {
                    service: [
                        {
                            "start": start,
                            "end": None
                            if service in simulation.still_down and i == len(spans) - 1
                            else end,
                        }
                        for i, (start, end) in enumerate(spans)
                    ]
                    for service, spans in simulation.down.items()
                },
            },
            "timeline": [
                {
                    "at": format_duration(e.at),
                    "seconds": e.at,
                    "kind": e.kind,
                    "subject": e.subject,
                    "function": e.function,
                    "where": e.where,
                    "text": e.text,
                    "source": e.source,
                }
                for e in simulation.events
            ],
            "functions": [
                {
                    "key": o.function.key,
                    "function": o.function.id,
                    "title": o.function.text.title,
                    "where": o.function.where,
                    "state": o.state,
                    "buffer": buffer_dict(o.function.buffer),
                    "periods": [
                        {
                            "start": p.start,
                            "end": p.end if p.recovered else None,
                            "exhaustedAt": p.exhausted_at,
                            "causes": list(p.causes),
                        }
                        for p in o.periods
                    ],
                }
                for o in simulation.affected()
            ],
            "contract": [c.as_dict() for c in self.contract],
            "recovery": [r.as_dict() for r in self.recovery],
            "slo": [e.as_dict() for e in self.slo],
            "disasterRecovery": self.disaster_recovery.as_dict(),
        }


def prepare(plan: Plan, progress: Progress = no_progress) -> RuntimeModel:
    """Render ``plan`` in memory and build its runtime model (``progress``: the render)."""
    return build_runtime_model(plan, render_plan(plan, progress))


def run_scenario(model: RuntimeModel, scenario: Scenario) -> IncidentReport:
    """Simulate ``scenario`` and judge it against the contract and the SLOs."""
    simulation = simulate(model, scenario)
    disaster_recovery = check_disaster_recovery(model)
    return IncidentReport(
        simulation,
        tuple(judge_contract(simulation)),
        tuple(recovery_plan(simulation)),
        tuple(slo_effects(simulation, disaster_recovery)),
        disaster_recovery,
    )

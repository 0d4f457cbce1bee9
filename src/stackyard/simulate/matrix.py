"""``--all-single-failures``: every cluster and every service down alone, as a matrix.

Rows are like the reference architecture's failure matrix: for each failure, the
functions it interrupts (with what is kept meanwhile and for how long) and the
workloads that keep running. Services whose failure interrupts nothing are listed
once, not as empty rows; docs/simulation.md says why each of them changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from stackyard.progress import Progress, no_progress
from stackyard.simulate.engine import FunctionOutcome, Simulation, simulate
from stackyard.simulate.model import RuntimeModel
from stackyard.simulate.scenario import outage

WORKLOADS = "workloads"
SIMULATING = "simulating failures"


@dataclass(frozen=True)
class Effect:
    """One function, aggregated over the clusters or services where it is affected."""

    function: str
    title: str
    state: str
    interrupted: str
    kept: str
    buffer: str
    exhausted: str
    where: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "function": self.function,
            "title": self.title,
            "state": self.state,
            "interrupted": self.interrupted,
            "kept": self.kept,
            "buffer": self.buffer,
            "exhausted": self.exhausted,
            "where": list(self.where),
        }


@dataclass(frozen=True)
class MatrixRow:
    """One failure and what it does."""

    target: str
    services: tuple[str, ...]
    effects: tuple[Effect, ...]
    running: tuple[str, ...]

    def effects_on(self, function: str) -> list[Effect]:
        """The effects on ``function`` (one per state it reached)."""
        return [e for e in self.effects if e.function == function]

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "target": self.target,
            "services": list(self.services),
            "effects": [e.as_dict() for e in self.effects],
            "workloadsRunning": list(self.running),
        }


@dataclass(frozen=True)
class FailureMatrix:
    """Every single failure for one duration."""

    duration: float
    rows: tuple[MatrixRow, ...]
    harmless: tuple[str, ...]

    def row(self, target: str) -> MatrixRow:
        """The row of ``target``."""
        return next(r for r in self.rows if r.target == target)

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "durationSeconds": self.duration,
            "rows": [r.as_dict() for r in self.rows],
            "noEffect": list(self.harmless),
        }


def single_failure_targets(model: RuntimeModel) -> list[tuple[str, frozenset[str]]]:
    """Each cluster, then each service (external first), with the services it takes down."""
    targets = [(c.name, frozenset(model.services_on(c.name))) for c in model.plan.clusters]
    ordered = sorted(
        model.services.values(),
        key=lambda s: (s.cluster is not None, s.cluster or "", s.wave, s.id),
    )
    targets.extend((s.id, frozenset({s.id})) for s in ordered)
    return targets


def failure_matrix(
    model: RuntimeModel, duration: float, progress: Progress = no_progress
) -> FailureMatrix:
    """Simulate every single failure for ``duration`` seconds (``progress``: each one)."""
    rows = []
    harmless = []
    targets = single_failure_targets(model)
    for done, (target, services) in enumerate(targets):
        progress(SIMULATING, done, len(targets))
        simulation = simulate(model, outage(f"{target} down", target, services, duration))
        row = _row(target, simulation)
        if row.effects:
            rows.append(row)
        else:
            harmless.append(target)
    progress(SIMULATING, len(targets), len(targets))
    return FailureMatrix(duration, tuple(rows), tuple(harmless))


def _row(target: str, simulation: Simulation) -> MatrixRow:
    grouped: dict[tuple[str, str], list[FunctionOutcome]] = defaultdict(list)
    for outcome in simulation.affected():
        grouped[outcome.function.id, outcome.state].append(outcome)
    effects = []
    for (function, state), outcomes in grouped.items():
        first = outcomes[0].function
        buffers = sorted({o.function.buffer.label for o in outcomes if o.function.buffer})
        effects.append(
            Effect(
                function,
                first.text.title,
                state,
                first.text.interrupted,
                first.text.kept,
                ", ".join(buffers),
                first.text.exhausted if state == "exhausted" else "",
                tuple(sorted({o.function.where for o in outcomes})),
            )
        )
    running = tuple(
        sorted(
            o.function.where
            for o in simulation.outcomes
            if o.function.id == WORKLOADS and not o.periods
        )
    )
    return MatrixRow(target, tuple(sorted(simulation.failed)), tuple(effects), running)

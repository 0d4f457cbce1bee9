"""Run a scenario over the runtime model: when each function is interrupted and comes back.

In between, a function may run on its buffer until the buffer is exhausted.

Deterministic: only the scenario's times and the model's buffers decide the result.
A function is affected while any of its providers is down and its consumer is up (a
consumer that is down itself is reported through what it provides, not twice).

Everything is measured inside the scenario's window, from 0 to ``scenario.end``: a
service that is still down when it ends is down until the end (and marked so), never
for an infinite time that no report could print.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

from stackyard.simulate.model import NODES, FunctionInstance, RuntimeModel
from stackyard.simulate.scenario import Scenario, Step
from stackyard.spec.units import format_duration
from stackyard.wording import counted

INFINITY = math.inf
Interval = tuple[float, float]
State = Literal["held", "kept", "interrupted", "exhausted"]
EventKind = Literal["fail", "recover", "interrupted", "exhausted", "recovered", "still-down"]


@dataclass(frozen=True)
class Period:
    """One stretch in which a function's providers are down.

    ``recovered`` is False when it lasts until the end of the window: ``end`` is then
    the end of the window, not a recovery.
    """

    start: float
    end: float
    exhausted_at: float | None
    causes: tuple[str, ...]
    consumer_down: bool = False
    recovered: bool = True

    @property
    def lost_seconds(self) -> float:
        """Time past the buffer (all of it when the consumer itself is down)."""
        if self.consumer_down:
            return self.end - self.start
        if self.exhausted_at is None:
            return 0.0
        return self.end - self.exhausted_at


@dataclass(frozen=True)
class FunctionOutcome:
    """What happened to one function during the scenario."""

    function: FunctionInstance
    periods: tuple[Period, ...]

    @property
    def state(self) -> State:
        """The worst it got: held, kept on its buffer, interrupted, or buffer exhausted."""
        if not self.periods:
            return "held"
        if any(p.exhausted_at is not None for p in self.periods):
            return "exhausted"
        if any(p.consumer_down for p in self.periods) or not self.function.text.kept:
            return "interrupted"
        return "kept"

    @property
    def down_seconds(self) -> float:
        """Total time affected."""
        return sum(p.end - p.start for p in self.periods)

    @property
    def lost_seconds(self) -> float:
        """Total time past the buffer, or down with nothing kept."""
        if not self.function.text.kept:
            return self.down_seconds
        return sum(p.lost_seconds for p in self.periods)


@dataclass(frozen=True)
class Event:
    """One line of the timeline."""

    at: float
    kind: EventKind
    subject: str
    text: str
    function: str | None = None
    where: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class Simulation:
    """The result of running ``scenario`` on ``model``."""

    model: RuntimeModel
    scenario: Scenario
    down: dict[str, tuple[Interval, ...]]
    """When each service is down, cut at the end of the window."""
    outcomes: tuple[FunctionOutcome, ...]
    events: tuple[Event, ...]
    still_down: frozenset[str] = frozenset()
    """Services still down when the window ends."""

    @property
    def end(self) -> float:
        """When the simulated window ends."""
        return self.scenario.end

    def targets_still_down(self) -> list[str]:
        """The scenario's failed targets with a service still down when the window ends."""
        return [
            step.target for step in _failing_steps(self.scenario) if step.services & self.still_down
        ]

    @property
    def failed(self) -> set[str]:
        """Every service that was down at some point."""
        return set(self.down)

    def affected(self) -> list[FunctionOutcome]:
        """Outcomes of functions that were affected at all."""
        return [o for o in self.outcomes if o.periods]


def simulate(model: RuntimeModel, scenario: Scenario) -> Simulation:
    """Run ``scenario`` on ``model``."""
    down = effective_down(model, down_intervals(scenario))
    still_down = frozenset(s for s, spans in down.items() if spans and spans[-1][1] == INFINITY)
    touched = {i for service in down for i in model.functions_by_service.get(service, ())}
    outcomes = tuple(
        _outcome(function, down, scenario.end) if i in touched else FunctionOutcome(function, ())
        for i, function in enumerate(model.functions)
    )
    windowed = {service: _cut(spans, scenario.end) for service, spans in down.items()}
    simulation = Simulation(model, scenario, windowed, outcomes, (), still_down)
    events = sorted(
        [
            *_step_events(scenario),
            *(e for o in outcomes for e in _function_events(o)),
            *_still_down_events(simulation),
        ],
        key=lambda e: (e.at, _KIND_ORDER[e.kind]),
    )
    return replace(simulation, events=tuple(events))


_KIND_ORDER: dict[EventKind, int] = {
    "fail": 0,
    "interrupted": 1,
    "exhausted": 2,
    "recover": 3,
    "recovered": 4,
    "still-down": 5,
}


def down_intervals(scenario: Scenario) -> dict[str, tuple[Interval, ...]]:
    """For each service that goes down: the intervals it is down (``inf``: stays down)."""
    since: dict[str, float] = {}
    intervals: dict[str, list[Interval]] = {}
    for step in scenario.steps:
        for service in sorted(step.services):
            if step.action == "fail" and service not in since:
                since[service] = step.at
            elif step.action == "recover" and service in since:
                start = since.pop(service)
                if step.at > start:
                    intervals.setdefault(service, []).append((start, step.at))
    for service, start in since.items():
        intervals.setdefault(service, []).append((start, INFINITY))
    return {service: tuple(spans) for service, spans in sorted(intervals.items())}


def effective_down(
    model: RuntimeModel, failed: dict[str, tuple[Interval, ...]]
) -> dict[str, tuple[Interval, ...]]:
    """Add the services that are down because something they cannot run without is."""
    down = {service: union(spans) for service, spans in failed.items()}
    pending = sorted(down)
    while pending:
        service = pending.pop()
        for dependent in model.hard_dependents.get(service, ()):
            merged = union([*down.get(dependent, ()), *down[service]])
            if merged != down.get(dependent):
                down[dependent] = merged
                pending.append(dependent)
    return {service: tuple(spans) for service, spans in sorted(down.items())}


def union(intervals: Iterable[Interval]) -> list[Interval]:
    """Merge overlapping or touching intervals."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def subtract(intervals: list[Interval], removed: list[Interval]) -> list[Interval]:
    """``intervals`` minus ``removed`` (both merged)."""
    result: list[Interval] = []
    for start, end in intervals:
        cursor = start
        for cut_start, cut_end in removed:
            if cut_end <= cursor or cut_start >= end:
                continue
            if cut_start > cursor:
                result.append((cursor, cut_start))
            cursor = max(cursor, cut_end)
        if cursor < end:
            result.append((cursor, end))
    return result


def _cut(spans: Iterable[Interval], end: float) -> tuple[Interval, ...]:
    """``spans`` inside the window from 0 to ``end``."""
    return tuple((start, min(stop, end)) for start, stop in spans if start <= end)


def _outcome(
    function: FunctionInstance, down: dict[str, tuple[Interval, ...]], window: float
) -> FunctionOutcome:
    """Affected while a provider or the consumer is down, up to the end of the window.

    Not while the consumer's whole cluster is: that shows through what the cluster provides.
    """
    providers = union(span for p in function.providers for span in down.get(p, ()))
    # A consumer that delivers the function (an agent, a sync controller) takes it down
    # with it; other consumers' failures show through their own functions.
    delivers = function.text.impact in ("delivery", "data")
    consumer = union(down.get(function.consumer, ())) if function.consumer and delivers else []
    cluster_down = []
    if function.consumer is not None and function.cluster is not None:
        cluster_down = union(down.get(f"{NODES}@{function.cluster}", ()))
    affected = subtract(union([*providers, *consumer]), cluster_down)
    buffer = function.buffer
    periods = []
    for start, stop in affected:
        if start > window:
            continue
        end, recovered = (window, False) if stop == INFINITY else (stop, True)
        if any(s <= start < e for s, e in consumer):
            # The consumer itself is down: nothing is buffered or cached on its behalf.
            cause = (function.consumer or "",)
            periods.append(Period(start, end, None, cause, True, recovered))
            continue
        causes = tuple(
            p for p in function.providers if any(s <= start < e for s, e in down.get(p, ()))
        )
        seconds = buffer.seconds if buffer is not None and function.text.kept else None
        exhausted = start + seconds if seconds is not None and start + seconds < end else None
        periods.append(Period(start, end, exhausted, causes, recovered=recovered))
    return FunctionOutcome(function, tuple(periods))


def _failing_steps(scenario: Scenario) -> list[Step]:
    """The first ``fail`` step of each target."""
    seen: dict[str, Step] = {}
    for step in scenario.steps:
        if step.action == "fail":
            seen.setdefault(step.target, step)
    return list(seen.values())


def _still_down_events(simulation: Simulation) -> Iterable[Event]:
    end = simulation.end
    for step in _failing_steps(simulation.scenario):
        left = step.services & simulation.still_down
        if not left:
            continue
        since = min(simulation.down[service][-1][0] for service in left)  # the open span
        services = counted(len(left), "service")
        yield Event(
            end,
            "still-down",
            step.target,
            f"{step.target} still down when the simulated window ends ({services}, "
            f"down for {format_duration(end - since)}, not recovered)",
        )


def _step_events(scenario: Scenario) -> Iterable[Event]:
    for step in scenario.steps:
        verb = "goes down" if step.action == "fail" else "comes back"
        services = counted(len(step.services), "service")
        yield Event(step.at, step.action, step.target, f"{step.target} {verb} ({services})")


def _function_events(outcome: FunctionOutcome) -> Iterable[Event]:
    function = outcome.function
    text = function.text
    buffer = function.buffer
    source = str(buffer.evidence) if buffer else function.source
    for period in outcome.periods:
        if period.consumer_down:
            yield Event(
                period.start,
                "interrupted",
                function.key,
                f"{text.title} stops: {function.consumer} is down",
                function.id,
                function.where,
            )
            if period.recovered:
                yield Event(
                    period.end,
                    "recovered",
                    function.key,
                    f"{text.title} back",
                    function.id,
                    function.where,
                )
            continue
        interrupted = text.interrupted
        if text.kept:
            bound = f" ({buffer.what}: {buffer.label})" if buffer else ""
            interrupted += f"; {text.kept}{bound}"
        yield Event(
            period.start,
            "interrupted",
            function.key,
            interrupted,
            function.id,
            function.where,
            source,
        )
        if period.exhausted_at is not None and buffer is not None:
            exhausted = text.exhausted or f"{text.title} lost"
            yield Event(
                period.exhausted_at,
                "exhausted",
                function.key,
                f"{exhausted} (after {buffer.label})",
                function.id,
                function.where,
                source,
            )
        if period.recovered:
            yield Event(
                period.end,
                "recovered",
                function.key,
                f"{text.title} back{_catch_up(function, period)}",
                function.id,
                function.where,
                None,
            )


def _catch_up(function: FunctionInstance, period: Period) -> str:
    if period.exhausted_at is not None:
        return f"; {format_duration(period.lost_seconds)} past the buffer were lost"
    if function.buffer is not None and function.text.impact == "data":
        return "; buffered data is sent"
    return ""

"""Run a scenario over the runtime model: when each function is interrupted and comes back.

In between, a function may run on its buffer until the buffer is exhausted.

Deterministic: only the scenario's times and the model's buffers decide the result.
A function is affected while any of its providers is down and its consumer is up (a
consumer that is down itself is reported through what it provides, not twice).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from stackyard.simulate.model import NODES, FunctionInstance, RuntimeModel
from stackyard.simulate.scenario import Scenario
from stackyard.spec.units import format_duration

INFINITY = math.inf
Interval = tuple[float, float]
State = Literal["held", "kept", "interrupted", "exhausted"]
EventKind = Literal["fail", "recover", "interrupted", "exhausted", "recovered"]


@dataclass(frozen=True)
class Period:
    """One stretch in which a function's providers are down."""

    start: float
    end: float
    exhausted_at: float | None
    causes: tuple[str, ...]
    consumer_down: bool = False

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
    outcomes: tuple[FunctionOutcome, ...]
    events: tuple[Event, ...]

    @property
    def end(self) -> float:
        """When the last step happens."""
        return self.scenario.end

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
    touched = {i for service in down for i in model.functions_by_service.get(service, ())}
    outcomes = tuple(
        _outcome(function, down) if i in touched else FunctionOutcome(function, ())
        for i, function in enumerate(model.functions)
    )
    events = sorted(
        [*_step_events(scenario), *(e for o in outcomes for e in _function_events(o))],
        key=lambda e: (e.at, _KIND_ORDER[e.kind]),
    )
    return Simulation(model, scenario, down, outcomes, tuple(events))


_KIND_ORDER: dict[EventKind, int] = {
    "fail": 0,
    "interrupted": 1,
    "exhausted": 2,
    "recover": 3,
    "recovered": 4,
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


def _outcome(function: FunctionInstance, down: dict[str, tuple[Interval, ...]]) -> FunctionOutcome:
    """Affected while a provider or the consumer is down.

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
    for start, end in affected:
        if any(s <= start < e for s, e in consumer):
            # The consumer itself is down: nothing is buffered or cached on its behalf.
            periods.append(Period(start, end, None, (function.consumer or "",), consumer_down=True))
            continue
        causes = tuple(
            p for p in function.providers if any(s <= start < e for s, e in down.get(p, ()))
        )
        seconds = buffer.seconds if buffer is not None and function.text.kept else None
        exhausted = start + seconds if seconds is not None and start + seconds < end else None
        periods.append(Period(start, end, exhausted, causes))
    return FunctionOutcome(function, tuple(periods))


def _step_events(scenario: Scenario) -> Iterable[Event]:
    for step in scenario.steps:
        count = len(step.services)
        noun = "service" if count == 1 else "services"
        verb = "goes down" if step.action == "fail" else "comes back"
        yield Event(step.at, step.action, step.target, f"{step.target} {verb} ({count} {noun})")


def _function_events(outcome: FunctionOutcome) -> Iterable[Event]:
    function = outcome.function
    text = function.text
    buffer = function.buffer
    source = str(buffer.evidence) if buffer else None
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
            if period.end != INFINITY:
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
        if period.end != INFINITY:
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

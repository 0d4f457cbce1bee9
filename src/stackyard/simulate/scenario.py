"""What fails when: a single ``--fail TARGET --for DURATION`` or a scenario file.

A scenario file is YAML::

    name: mgmt down, Vault first
    steps:
      - {at: 0s, fail: mgmt}
      - {at: 1h, recover: vault}
      - {at: 2h, recover: thanos}
      - {at: 3h, recover: mgmt}

Steps run in time order (file order breaks ties). ``fail`` takes a target down,
``recover`` brings it back; a target is a cluster, a component (everywhere it runs),
``component@cluster``, or a service outside the platform (``git``, an external
``harbor``).

The simulated window runs from 0 to ``for:`` when the file gives it, else to the last
step; a scenario that leaves something down runs on for one RTO past its last step, so
the report can say the target was not recovered in time. Everything still down when
the window ends is reported so. No window is longer than ``MAX_WINDOW`` (a year): the
simulation models nothing longer (the error budget is monthly, the longest buffer is
the 90-day certificate lifetime, backup gaps are measured over a year), and a longer
span only costs time.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from stackyard.errors import COMMAND_LINE, InputError, Location, Problem
from stackyard.simulate.model import RuntimeModel
from stackyard.simulate.targets import resolve_target
from stackyard.spec.text import Text
from stackyard.spec.units import Duration, format_duration, parse_duration
from stackyard.yamlio import LocatedDocument, read_yaml_document, validate_document

MAX_SCENARIO_BYTES = 1024 * 1024
MAX_STEPS = 1000
MAX_WINDOW = 365 * 86400.0
"""The longest simulated window, a year (see the module docstring for why)."""
MAX_WINDOW_TEXT = "365d"
MAX_SHOWN = 40
"""Characters of a rejected value repeated in a message (a 400-digit duration is not)."""
_DURATION_SYNTAX = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+")
_VERBS = {"fail": "fails", "recover": "recovers"}


@dataclass(frozen=True)
class Step:
    """One change: ``target`` (its services) goes down or comes back at ``at`` seconds."""

    at: float
    action: Literal["fail", "recover"]
    target: str
    services: frozenset[str]


@dataclass(frozen=True)
class Scenario:
    """A named sequence of steps, sorted by time, simulated from 0 to ``end`` seconds."""

    name: str
    steps: tuple[Step, ...]
    end: float


class _StepFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: Duration = Field(description="Time from the start of the incident, e.g. 90m.")
    fail: Text | None = Field(default=None, description="Target that goes down.")
    recover: Text | None = Field(default=None, description="Target that comes back.")

    @model_validator(mode="after")
    def _one_action(self) -> _StepFile:
        if (self.fail is None) == (self.recover is None):
            raise ValueError("give exactly one of 'fail' or 'recover'")
        return self


class _ScenarioFile(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    # Text: the name is the SVG's title and heading, where a control character is not XML.
    name: Text = Field(min_length=1, max_length=200)
    window: Duration | None = Field(
        default=None, alias="for", description="How long to simulate, from 0, e.g. 6h."
    )
    steps: list[_StepFile] = Field(min_length=1, max_length=MAX_STEPS)


def outage(name: str, target: str, services: frozenset[str], seconds: float) -> Scenario:
    """``services`` (named ``target``) down from 0 for ``seconds``."""
    return Scenario(
        name,
        (Step(0.0, "fail", target, services), Step(seconds, "recover", target, services)),
        seconds,
    )


def single_failure(model: RuntimeModel, target: str, duration: str) -> Scenario:
    """``target`` down from 0 for ``duration``.

    Raises:
        InputError: unknown target, or a duration that is not positive or longer than a year.
    """
    seconds = window_seconds(duration, COMMAND_LINE, "--for")
    services = resolve_target(model, target, Location("--fail"))
    return outage(f"{target} down for {duration}", target, services, seconds)


def load_scenario(model: RuntimeModel, path: Path) -> Scenario:
    """Read and check a scenario file; every problem names its file, line and field.

    Raises:
        InputError: unreadable or hostile YAML, unknown keys, bad durations or targets,
            repeated steps, steps after the window.
    """
    document = read_yaml_document(path, max_bytes=MAX_SCENARIO_BYTES)
    parsed = validate_document(_ScenarioFile, document)
    steps: list[Step] = []
    problems: list[Problem] = []
    for index, step in enumerate(parsed.steps):
        try:
            steps.append(_step(model, document, index, step))
        except InputError as e:
            problems.extend(e.problems)
    window = None
    if parsed.window is not None:
        try:
            window = window_seconds(parsed.window, document.locate(("for",)), "for")
        except InputError as e:
            problems.extend(e.problems)
    if problems:
        raise InputError(problems)
    problems = [*_repeated(document, steps), *_after(document, steps, window)]
    if problems:
        raise InputError(problems)
    ordered = tuple(step for _, step in sorted(enumerate(steps), key=lambda p: (p[1].at, p[0])))
    return Scenario(parsed.name, ordered, _end(model, ordered) if window is None else window)


def window_seconds(text: str, where: Location, field: str) -> float:
    """Seconds in ``text``, the length of a simulated window: above zero, at most a year.

    Raises:
        InputError: not a duration, zero, or longer than ``MAX_WINDOW``; the problem
            names ``field``, the value and the bound.
    """
    seconds = _seconds(text, where, field)
    if seconds <= 0:
        message = f"{_shown(text)} is not a positive duration; write e.g. 30m, 3h or 2h40m"
        raise InputError([Problem(where, field, message)])
    return seconds


def _seconds(text: str, where: Location, field: str) -> float:
    """Seconds in a duration from 0 to ``MAX_WINDOW``."""
    if text.strip() != "0" and not _DURATION_SYNTAX.fullmatch(text.strip()):
        message = f"{_shown(text)} is not a duration; write e.g. 30s, 15m, 1h or 2h40m"
        raise InputError([Problem(where, field, message)])
    try:
        seconds = parse_duration(text)
    except ValueError:  # well-formed but beyond a float: 400 digits of hours
        seconds = math.inf
    if not seconds <= MAX_WINDOW:
        message = (
            f"{_shown(text)} is longer than {MAX_WINDOW_TEXT} (a year), the longest window "
            "stackyard simulates"
        )
        raise InputError([Problem(where, field, message)])
    return seconds


def _step(model: RuntimeModel, document: LocatedDocument, index: int, step: _StepFile) -> Step:
    """One checked step; problems name ``steps[index]`` and the field."""
    action: Literal["fail", "recover"] = "fail" if step.fail is not None else "recover"
    target = step.fail if step.fail is not None else step.recover
    assert target is not None  # the validator guarantees one of them
    at = _seconds(step.at, document.locate(("steps", index, "at")), f"steps[{index}].at")
    try:
        services = resolve_target(model, target, document.locate(("steps", index, action)))
    except InputError as e:
        field = f"steps[{index}].{action}"
        raise InputError([replace(p, field=field) for p in e.problems]) from None
    return Step(at, action, target, services)


def _repeated(document: LocatedDocument, steps: list[Step]) -> list[Problem]:
    """A step that repeats an earlier one, or undoes it at the same instant.

    Both are mistakes (a copied line, a time not changed): at one instant, a target
    either fails or recovers.
    """
    problems = []
    first: dict[tuple[float, str], int] = {}
    for index, step in enumerate(steps):
        earlier = first.setdefault((step.at, step.target), index)
        if earlier == index:
            continue
        other = steps[earlier]
        when = format_duration(step.at)
        if other.action == step.action:
            message = f"repeats steps[{earlier}] ({step.action} {step.target} at {when})"
        else:
            message = (
                f"{_VERBS[step.action]} {step.target!r} at {when}, the instant steps[{earlier}] "
                f"{_VERBS[other.action]} it; give them different times"
            )
        problems.append(Problem(document.locate(("steps", index)), f"steps[{index}]", message))
    return problems


def _after(document: LocatedDocument, steps: list[Step], window: float | None) -> list[Problem]:
    """Steps later than the window given with ``for:``."""
    if window is None:
        return []
    return [
        Problem(
            document.locate(("steps", index, "at")),
            f"steps[{index}].at",
            f"{format_duration(step.at)} is after the end of the simulated window "
            f"(for: {format_duration(window)}); move the step or lengthen 'for'",
        )
        for index, step in enumerate(steps)
        if step.at > window
    ]


def _end(model: RuntimeModel, steps: tuple[Step, ...]) -> float:
    """The last step; one RTO later when something is still down after it (at most a year)."""
    last = max((s.at for s in steps), default=0.0)
    down: set[str] = set()
    for step in steps:
        if step.action == "fail":
            down |= step.services
        else:
            down -= step.services
    if not down:
        return last
    rto = parse_duration(model.plan.spec.platform.slo.rto)
    return max(last, min(last + rto, MAX_WINDOW))


def _shown(text: str) -> str:
    """``text`` quoted for a message, shortened when it is absurdly long."""
    if len(text) <= MAX_SHOWN:
        return repr(text)
    return repr(f"{text[: MAX_SHOWN // 2]}…{text[-10:]}") + f" ({len(text)} characters)"

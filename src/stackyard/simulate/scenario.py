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
``harbor``). Everything still down after the last step stays down.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from stackyard.errors import InputError, Location, Problem, SpecError
from stackyard.simulate.model import RuntimeModel
from stackyard.simulate.targets import resolve_target
from stackyard.spec import field_path
from stackyard.spec.units import Duration, parse_duration
from stackyard.yamlio import LocatedDocument, read_yaml_file

MAX_SCENARIO_BYTES = 1024 * 1024
MAX_STEPS = 1000


@dataclass(frozen=True)
class Step:
    """One change: ``target`` (its services) goes down or comes back at ``at`` seconds."""

    at: float
    action: Literal["fail", "recover"]
    target: str
    services: frozenset[str]


@dataclass(frozen=True)
class Scenario:
    """A named sequence of steps, sorted by time."""

    name: str
    steps: tuple[Step, ...]

    @property
    def end(self) -> float:
        """When the last step happens."""
        return max((s.at for s in self.steps), default=0.0)


class _StepFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: Duration = Field(description="Time from the start of the incident, e.g. 90m.")
    fail: str | None = Field(default=None, description="Target that goes down.")
    recover: str | None = Field(default=None, description="Target that comes back.")

    @model_validator(mode="after")
    def _one_action(self) -> _StepFile:
        if (self.fail is None) == (self.recover is None):
            raise ValueError("give exactly one of 'fail' or 'recover'")
        return self


class _ScenarioFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    steps: list[_StepFile] = Field(min_length=1, max_length=MAX_STEPS)


def outage(name: str, target: str, services: frozenset[str], seconds: float) -> Scenario:
    """``services`` (named ``target``) down from 0 for ``seconds``."""
    return Scenario(
        name, (Step(0.0, "fail", target, services), Step(seconds, "recover", target, services))
    )


def single_failure(model: RuntimeModel, target: str, duration: str) -> Scenario:
    """``target`` down from 0 for ``duration``.

    Raises:
        InputError: unknown target or a duration that is not positive.
    """
    seconds = _duration(duration, Location("--for"), "--for")
    services = resolve_target(model, target, Location("--fail"))
    return outage(f"{target} down for {duration}", target, services, seconds)


def load_scenario(model: RuntimeModel, path: Path) -> Scenario:
    """Read and check a scenario file; every problem names its file, line and field.

    Raises:
        InputError: unreadable or hostile YAML, unknown keys, bad durations or targets.
    """
    documents = read_yaml_file(path, max_bytes=MAX_SCENARIO_BYTES)
    source = str(path)
    if len(documents) != 1 or not isinstance(documents[0].data, dict):
        raise InputError(
            [Problem(Location(source, 1, 1), "", "a scenario file is one YAML mapping")]
        )
    document = documents[0]
    try:
        parsed = _ScenarioFile.model_validate(document.data)
    except ValidationError as e:
        raise SpecError([_problem(document, error) for error in e.errors()]) from None
    steps: list[Step] = []
    problems: list[Problem] = []
    for index, step in enumerate(parsed.steps):
        action: Literal["fail", "recover"] = "fail" if step.fail is not None else "recover"
        target = step.fail if step.fail is not None else step.recover
        assert target is not None  # the validator guarantees one of them
        where = document.locate(("steps", index, action))
        try:
            services = resolve_target(model, target, where)
        except InputError as e:
            problems.extend(e.problems)
            continue
        steps.append(Step(parse_duration(step.at), action, target, services))
    if problems:
        raise InputError(problems)
    ordered = sorted(enumerate(steps), key=lambda pair: (pair[1].at, pair[0]))
    return Scenario(parsed.name, tuple(step for _, step in ordered))


def _duration(text: str, where: Location, field: str) -> float:
    try:
        seconds = parse_duration(text)
    except ValueError as e:
        raise InputError([Problem(where, field, str(e))]) from None
    if seconds <= 0:
        raise InputError([Problem(where, field, f"{text!r} is not a positive duration")])
    return seconds


def _problem(document: LocatedDocument, error: object) -> Problem:
    details = error if isinstance(error, dict) else {}
    path = tuple(details.get("loc", ()))
    field = field_path(tuple(p for p in path if isinstance(p, str | int))) or "(file)"
    return Problem(document.locate(path), field, str(details.get("msg", error)))

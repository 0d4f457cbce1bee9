"""``simulate``: failure domains and SLOs of a planned platform, in one of four modes.

With no failure asked for, the runtime dependency model and the disaster-recovery check
(:class:`SimulationModel`); ``fail`` and ``duration``: one failure; ``scenario``: a
multi-step scenario file (both an :class:`Incident`); ``all_single_failures`` and
``duration``: every single cluster and service failure (:class:`FailureMatrixResult`).

The policies live here: which options combine (:func:`check_simulate_usage`, whose
problems name the command-line flags), that a plan with error findings is refused
(:func:`~stackyard.app.planning.plan_without_errors`, the same policy as render), and
what ``strict`` means (:attr:`Incident.broken`: a contract clause that does not hold or
an SLO exceeded).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stackyard.app.planning import plan_without_errors
from stackyard.app.results import Describes
from stackyard.app.runbooks import measured_recoveries
from stackyard.errors import COMMAND_LINE, InputError, Problem
from stackyard.fsio.write import write_text
from stackyard.progress import Progress, no_progress
from stackyard.recovery.records import read_records
from stackyard.simulate.backups import DisasterRecovery, check_disaster_recovery
from stackyard.simulate.matrix import FailureMatrix, failure_matrix
from stackyard.simulate.model import RuntimeModel
from stackyard.simulate.run import IncidentReport, prepare, run_scenario
from stackyard.simulate.scenario import load_scenario, single_failure, window_seconds
from stackyard.simulate.svg import incident_svg
from stackyard.simulate.text import dr_text, incident_text, matrix_text, priorities_text
from stackyard.versioning import schema_id

# A verdict that keeps a contract clause whole; any other breaks it under ``strict``.
_HOLDING = ("holds", "not applicable")


@dataclass(frozen=True)
class SimulateRequest:
    """What to simulate besides the spec; the field docs name the command-line flags.

    ``fail`` (``--fail``): a cluster, a component, ``component@cluster``, ``git`` or
    ``harbor``; ``duration`` (``--for``): how long, e.g. ``30m``; ``scenario``
    (``--scenario``): a scenario file; ``all_single_failures``
    (``--all-single-failures``); ``svg`` (``--svg``): also draw the incident there;
    ``strict`` (``--strict``): an incident that breaks the contract or an SLO fails;
    ``drills`` (``--drills``): a folder of drill records (``dr/drills``), whose measured
    recovery times replace the documented estimates of the disaster-recovery check.
    """

    fail: str | None = None
    duration: str | None = None
    scenario: Path | None = None
    all_single_failures: bool = False
    svg: Path | None = None
    strict: bool = False
    drills: Path | None = None


@dataclass(frozen=True)
class SimulationModel(Describes):
    """The runtime dependency model and the RPO/RTO check (no failure asked for).

    It never fails: the model is a description, not a verdict.
    """

    model: RuntimeModel
    disaster_recovery: DisasterRecovery

    def text(self) -> str:
        """Recovery priorities, then the backup check, for people."""
        lines = [*priorities_text(self.model), "", *dr_text(self.disaster_recovery)]
        return "\n".join(lines) + "\n"

    def as_dict(self) -> dict[str, Any]:
        """The versioned JSON document (``simulation-model``)."""
        return {
            "schema": schema_id("simulation-model"),
            "model": self.model.as_dict(),
            "disasterRecovery": self.disaster_recovery.as_dict(),
        }


@dataclass(frozen=True)
class Incident:
    """One simulated incident (``--fail`` or ``--scenario``) and its verdicts."""

    report: IncidentReport
    strict: bool = False

    @property
    def broken(self) -> tuple[str, ...]:
        """What the incident breaks: contract clauses that do not hold, SLOs exceeded.

        Each as ``"C1: violated"`` or ``"rto harbor: exceeds"``; empty when everything
        holds. This is what ``strict`` fails on.
        """
        clauses = [
            f"{c.id}: {c.verdict}" for c in self.report.contract if c.verdict not in _HOLDING
        ]
        slos = [
            f"{e.slo} {e.subject}: {e.verdict}" for e in self.report.slo if e.verdict == "exceeds"
        ]
        return (*clauses, *slos)

    @property
    def failed(self) -> bool:
        """Whether the shell should fail (exit 1): strict, and something broke."""
        return self.strict and bool(self.broken)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the result failed, one sentence; empty when it did not."""
        if not self.failed:
            return ()
        return (f"the incident breaks {', '.join(self.broken)} (--strict)",)

    def text(self) -> str:
        """The incident timeline, verdicts and recovery order, for people."""
        return incident_text(self.report)

    def svg(self) -> str:
        """The incident as an SVG chart."""
        return incident_svg(self.report)

    def as_dict(self) -> dict[str, Any]:
        """The versioned JSON document (``incident``)."""
        return {"schema": schema_id("incident"), **self.report.as_dict()}


@dataclass(frozen=True)
class FailureMatrixResult(Describes):
    """Every single cluster and service failure for one duration.

    It never fails: the matrix lists effects, it judges no single incident.
    """

    matrix: FailureMatrix
    model: RuntimeModel

    def text(self) -> str:
        """The matrix grouped by failure, with recovery priorities, for people."""
        return matrix_text(self.matrix, self.model)

    def as_dict(self) -> dict[str, Any]:
        """The versioned JSON document (``failure-matrix``)."""
        return {"schema": schema_id("failure-matrix"), **self.matrix.as_dict()}


SimulationResult = SimulationModel | Incident | FailureMatrixResult


def check_simulate_usage(request: SimulateRequest) -> None:
    """Refuse options that do not combine, before the spec is read.

    Raises:
        InputError: every usage problem, each naming the flags (``--fail``, ``--for``,
            ``--scenario``, ``--all-single-failures``, ``--svg``), or a ``--for`` that
            is not a duration.
    """
    modes = [
        name
        for name, on in (
            ("--fail", request.fail is not None),
            ("--scenario", request.scenario is not None),
            ("--all-single-failures", request.all_single_failures),
        )
        if on
    ]
    one_failure = request.fail is not None or request.all_single_failures
    problems = []
    if len(modes) > 1:
        problems.append(f"{' and '.join(modes)} cannot be combined; choose one")
    if request.scenario is None and one_failure and request.duration is None:
        problems.append("--for DURATION is required with --fail and --all-single-failures")
    if request.duration is not None and not one_failure:
        where = " (a scenario file gives its window as 'for:')" if request.scenario else ""
        problems.append(f"--for applies to --fail or --all-single-failures{where}")
    if request.svg is not None and request.fail is None and request.scenario is None:
        problems.append("--svg draws one incident: use it with --fail or --scenario")
    if request.drills is not None and modes:
        problems.append(
            f"--drills applies to the disaster-recovery check: use it without {' and '.join(modes)}"
        )
    if problems:
        raise InputError([Problem(COMMAND_LINE, "", p) for p in problems])
    if request.duration is not None:
        window_seconds(request.duration, COMMAND_LINE, "--for")


def simulate(
    spec: Path,
    request: SimulateRequest | None = None,
    *,
    progress: Progress = no_progress,
) -> SimulationResult:
    """Plan ``spec``, build its runtime model and simulate what ``request`` asks for.

    With ``request.svg``, the incident's chart is written there too.

    Raises:
        InputError: options that do not combine (:func:`check_simulate_usage`), an
            unknown failure target, a scenario file that is not a valid scenario, a
            drill record that is not one.
        YamlError, SpecError: the spec is not a readable, valid platform spec.
        PlanRefusedError: the spec plans with error findings (nothing is simulated).
    """
    request = request or SimulateRequest()
    check_simulate_usage(request)
    model = prepare(plan_without_errors(spec), progress)
    if request.all_single_failures:
        assert request.duration is not None  # checked above
        seconds = window_seconds(request.duration, COMMAND_LINE, "--for")
        return FailureMatrixResult(failure_matrix(model, seconds, progress), model)
    if request.fail is None and request.scenario is None:
        measured = None
        if request.drills is not None:
            measured = measured_recoveries(read_records(request.drills))
        return SimulationModel(model, check_disaster_recovery(model, measured))
    if request.scenario is not None:
        scenario = load_scenario(model, request.scenario)
    else:
        assert request.fail is not None and request.duration is not None  # checked above
        scenario = single_failure(model, request.fail, request.duration)
    incident = Incident(run_scenario(model, scenario), request.strict)
    if request.svg is not None:
        write_text(request.svg, incident.svg(), option="--svg")
    return incident

"""``stackyard.app.simulate`` without the command line: usage, refusal, strict, modes."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.app import (
    FailureMatrixResult,
    Incident,
    PlanRefusedError,
    SimulateRequest,
    SimulationModel,
    check_simulate_usage,
    simulate,
)
from stackyard.errors import InputError
from tests.plan.conftest import example_text
from tests.simulate.conftest import LOCAL


@pytest.mark.parametrize(
    ("request_", "flags"),
    [
        (
            SimulateRequest(fail="mgmt", duration="1h", all_single_failures=True),
            "--fail and --all-single-failures cannot be combined",
        ),
        (
            SimulateRequest(fail="mgmt", scenario=Path("s.yaml")),
            "--fail and --scenario cannot be combined",
        ),
        (SimulateRequest(fail="mgmt"), "--for DURATION is required with --fail"),
        (SimulateRequest(all_single_failures=True), "--for DURATION is required"),
        (SimulateRequest(duration="1h"), "--for applies to --fail or --all-single-failures"),
        (SimulateRequest(scenario=Path("s.yaml"), duration="1h"), "'for:'"),
        (SimulateRequest(svg=Path("x.svg")), "--svg draws one incident"),
        (SimulateRequest(all_single_failures=True, duration="1h", svg=Path("x.svg")), "--svg"),
        (SimulateRequest(fail="mgmt", duration="soon"), "--for"),
    ],
)
def test_usage_errors_raise_input_error_naming_the_flags(
    request_: SimulateRequest, flags: str, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-spec.yaml"  # usage is refused before the spec is read
    with pytest.raises(InputError) as error:
        simulate(missing, request_)
    assert flags in str(error.value)
    assert all(p.location.file == "command line" for p in error.value.problems)
    with pytest.raises(InputError):
        check_simulate_usage(request_)


def test_every_usage_problem_is_reported_at_once() -> None:
    request = SimulateRequest(fail="mgmt", all_single_failures=True, svg=None)
    with pytest.raises(InputError) as error:
        check_simulate_usage(request)
    messages = [p.message for p in error.value.problems]
    assert len(messages) == 2 and "cannot be combined" in messages[0] and "--for" in messages[1]


def test_strict_fails_only_an_incident_that_breaks_the_contract_or_an_slo() -> None:
    lost = simulate(LOCAL, SimulateRequest(fail="mgmt", duration="3h", strict=True))
    assert isinstance(lost, Incident)
    assert lost.broken and lost.failed
    assert lost.reasons == (f"the incident breaks {', '.join(lost.broken)} (--strict)",)
    lenient = simulate(LOCAL, SimulateRequest(fail="mgmt", duration="3h"))
    assert isinstance(lenient, Incident)
    assert lenient.broken == lost.broken and not lenient.failed  # not strict: a report only
    assert lenient.reasons == ()
    short = simulate(LOCAL, SimulateRequest(fail="harbor", duration="10m", strict=True))
    assert isinstance(short, Incident)
    assert short.broken == () and not short.failed


def test_broken_names_each_clause_and_slo_that_does_not_hold() -> None:
    result = simulate(LOCAL, SimulateRequest(fail="mgmt", duration="3h"))
    assert isinstance(result, Incident)
    report = result.report
    clauses = {
        f"{c.id}: {c.verdict}"
        for c in report.contract
        if c.verdict not in ("holds", "not applicable")
    }
    slos = {f"{e.slo} {e.subject}: exceeds" for e in report.slo if e.verdict == "exceeds"}
    assert set(result.broken) == clauses | slos and slos


def test_each_mode_returns_its_own_versioned_result(tmp_path: Path) -> None:
    model = simulate(LOCAL)
    assert isinstance(model, SimulationModel) and not model.failed
    assert list(model.as_dict()) == ["schema", "model", "disasterRecovery"]
    assert model.as_dict()["schema"] == "stackyard.dev/simulation-model/v1"
    assert "Recovery priorities" in model.text()
    matrix = simulate(LOCAL, SimulateRequest(all_single_failures=True, duration="30m"))
    assert isinstance(matrix, FailureMatrixResult) and not matrix.failed
    assert next(iter(matrix.as_dict())) == "schema"
    assert matrix.as_dict()["schema"] == "stackyard.dev/failure-matrix/v1"
    assert matrix.as_dict()["durationSeconds"] == 1800
    chart = tmp_path / "mgmt.svg"
    incident = simulate(LOCAL, SimulateRequest(fail="mgmt", duration="1h", svg=chart))
    assert isinstance(incident, Incident)
    assert next(iter(incident.as_dict())) == "schema"
    assert incident.as_dict()["schema"] == "stackyard.dev/incident/v1"
    assert chart.read_text(encoding="utf-8") == incident.svg()


def test_a_scenario_file_is_simulated(tmp_path: Path) -> None:
    scenario = tmp_path / "lost.yaml"
    scenario.write_text("name: mgmt lost\nsteps:\n  - {at: 0s, fail: mgmt}\n", encoding="utf-8")
    incident = simulate(LOCAL, SimulateRequest(scenario=scenario))
    assert isinstance(incident, Incident)
    assert incident.as_dict()["scenario"]["stillDown"] == ["mgmt"]


def test_a_plan_with_error_findings_is_refused_as_render_refuses_it(tmp_path: Path) -> None:
    spec = tmp_path / "platform.yaml"
    text = example_text("aws-standard").replace("  cni: cilium", "  cni: canal")
    spec.write_text(text.replace("  ciliumRoutingMode: eni", ""), encoding="utf-8")
    with pytest.raises(PlanRefusedError) as refused:
        simulate(spec, SimulateRequest(fail="mgmt", duration="1h"))
    assert "SY404" in {f.check for f in refused.value.findings}

"""The failure matrix and the model's render report progress; results never depend on it."""

from __future__ import annotations

from stackyard.plan import make_plan
from stackyard.simulate.matrix import failure_matrix, single_failure_targets
from stackyard.simulate.run import prepare
from stackyard.spec import load_spec
from tests.progress import Recorder
from tests.simulate.conftest import LOCAL, example_model


def test_the_failure_matrix_reports_each_scenario() -> None:
    model = example_model("local-multicluster")
    recorder = Recorder()
    matrix = failure_matrix(model, 1800.0, recorder)
    recorder.assert_well_formed()
    assert recorder.steps() == ["simulating failures"]
    assert recorder.calls[-1][2] == len(single_failure_targets(model))
    assert matrix == failure_matrix(model, 1800.0)


def test_preparing_the_model_reports_its_render() -> None:
    plan = make_plan(load_spec(LOCAL))
    recorder = Recorder()
    model = prepare(plan, recorder)
    recorder.assert_well_formed()
    assert recorder.steps() == ["rendering"]
    assert model.as_dict() == prepare(plan).as_dict()

"""A consumer of an object store outside the platform still stops its uploads when it fails."""

from __future__ import annotations

import pytest

from stackyard.simulate.matrix import failure_matrix
from stackyard.simulate.run import run_scenario
from stackyard.simulate.scenario import single_failure
from tests.simulate.conftest import example_model


@pytest.mark.parametrize("example", ["aws-standard", "aws-enterprise"])
def test_velero_down_fails_scheduled_backups_to_s3(example: str) -> None:
    model = example_model(example)
    assert "velero@prod" not in failure_matrix(model, 3600.0).harmless
    report = run_scenario(model, single_failure(model, "velero@prod", "1h"))
    backups = [o for o in report.simulation.affected() if o.function.id == "backups"]
    assert [o.function.where for o in backups] == ["prod"]
    assert backups[0].function.consumer == "velero@prod"


def test_loki_down_stops_its_own_uploads_to_s3() -> None:
    model = example_model("aws-standard")
    report = run_scenario(model, single_failure(model, "loki@prod", "1h"))
    assert "object-uploads" in {o.function.id for o in report.simulation.affected()}


def test_with_minio_in_the_plan_the_store_edge_still_decides() -> None:
    model = example_model("local-multicluster")
    report = run_scenario(model, single_failure(model, "velero@app1", "1h"))
    backups = [o for o in report.simulation.affected() if o.function.id == "backups"]
    # One function per consumer: the MinIO edge, no second one for an outside store.
    assert len(backups) == 1
    assert "minio@mgmt" in backups[0].function.providers

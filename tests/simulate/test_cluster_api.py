"""Cluster API lives on mgmt: with it down, its clusters run on but their machines are frozen."""

from __future__ import annotations

from stackyard.simulate.engine import FunctionOutcome
from stackyard.simulate.run import IncidentReport, run_scenario
from stackyard.simulate.scenario import single_failure
from tests.conftest import EXAMPLES
from tests.simulate.conftest import example_model, model_from_text

MULTICLUSTER = (EXAMPLES / "aws-multicluster.yaml").read_text(encoding="utf-8")


def down(target: str, duration: str = "3h", text: str | None = None) -> IncidentReport:
    model = example_model("aws-multicluster") if text is None else model_from_text(text)
    return run_scenario(model, single_failure(model, target, duration))


def outcomes(report: IncidentReport, function: str) -> dict[str, FunctionOutcome]:
    return {o.function.cluster: o for o in report.simulation.outcomes if o.function.id == function}


def test_with_mgmt_down_app_clusters_run_but_cannot_change_their_machines() -> None:
    report = down("mgmt")
    machines = outcomes(report, "machine-management")
    assert set(machines) == {"prod", "staging"}
    # Interrupted for the whole outage; what is kept (running machines) has no end.
    assert all(o.state == "kept" for o in machines.values())
    assert all(o.down_seconds == 3 * 3600 for o in machines.values())
    text = machines["prod"].function.text
    assert "cannot scale, replace failed machines or upgrade" in text.interrupted
    assert "workloads keep running" in text.kept
    workloads = outcomes(report, "workloads")
    assert {c: o.state for c, o in workloads.items()} == {"prod": "held", "staging": "held"}
    assert outcomes(report, "cluster-control")["prod"].state == "held"


def test_the_providers_down_alone_freeze_the_machines_and_nothing_else() -> None:
    report = down("cluster-api-controllers@mgmt")
    affected = {
        (o.function.id, o.function.cluster) for o in report.simulation.outcomes if o.state != "held"
    }
    assert affected == {("machine-management", "prod"), ("machine-management", "staging")}


def test_the_operator_down_alone_changes_nothing() -> None:
    report = down("cluster-api-operator@mgmt")
    assert all(o.state == "held" for o in report.simulation.outcomes)


def test_a_cluster_made_by_hand_does_not_depend_on_cluster_api() -> None:
    text = MULTICLUSTER.replace(
        "    role: app                     # provisioning: auto",
        "    role: app\n    provisioning: manual  #",
    )
    machines = outcomes(down("mgmt", text=text), "machine-management")
    assert set(machines) == {"staging"}


def test_clusters_in_a_vcenter_depend_on_mgmt_as_aws_ones_do() -> None:
    text = (EXAMPLES / "onprem-vsphere.yaml").read_text(encoding="utf-8")
    report = down("mgmt", text=text)
    machines = outcomes(report, "machine-management")
    assert set(machines) == {"prod"}
    assert machines["prod"].state == "kept" and machines["prod"].down_seconds == 3 * 3600
    assert outcomes(report, "workloads")["prod"].state == "held"
    alone = down("cluster-api-controllers@mgmt", text=text)
    affected = {
        (o.function.id, o.function.cluster) for o in alone.simulation.outcomes if o.state != "held"
    }
    assert affected == {("machine-management", "prod")}

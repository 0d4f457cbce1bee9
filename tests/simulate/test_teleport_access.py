"""Teleport's access to the app clusters depends on the management cluster's Teleport.

Each app cluster's Teleport agent needs the ``access`` capability of mgmt's Teleport at run
time (soft): with mgmt down, nobody reaches the app clusters through Teleport and no
session is recorded, while their workloads run on (contract C1). The agent reaches the
proxy at its own load balancer, so mgmt's gateway is no provider of it.
"""

from __future__ import annotations

from functools import cache

from stackyard.simulate.model import RuntimeModel
from stackyard.simulate.run import IncidentReport, run_scenario
from stackyard.simulate.scenario import single_failure
from tests.conftest import EXAMPLES
from tests.enterprise_clusters import APP_CLUSTERS, enterprise_with_app_clusters
from tests.simulate.conftest import model_from_text

HOUR = 3600.0
ACCESS = "teleport-kube-access"


@cache
def model() -> RuntimeModel:
    return model_from_text(enterprise_with_app_clusters(), str(EXAMPLES / "platform.yaml"))


def down(component: str, duration: str = "2h") -> IncidentReport:
    return run_scenario(model(), single_failure(model(), component, duration))


def access_events(report: IncidentReport, kind: str) -> set[tuple[float, str | None]]:
    return {
        (e.at, e.where) for e in report.simulation.events if e.function == ACCESS and e.kind == kind
    }


def test_the_agents_depend_on_mgmts_teleport() -> None:
    functions = [f for f in model().functions if f.id == ACCESS]
    assert sorted(f.cluster for f in functions) == sorted(APP_CLUSTERS)
    gateway = {
        f"{p.name}@mgmt"
        for p in model().plan.cluster("mgmt").components
        if "ingress" in p.component.dataPath
    }
    assert gateway  # mgmt has a gateway, which other cross-cluster needs pass through
    for function in functions:
        assert function.consumer == f"teleport-kube-agent@{function.cluster}"
        assert "teleport@mgmt" in function.providers
        # The proxy has its own load balancer: mgmt's gateway is not on the way.
        assert not gateway & set(function.providers)


def test_mgmt_down_stops_teleport_access_to_every_app_cluster_until_it_is_back() -> None:
    report = down("mgmt")
    assert access_events(report, "interrupted") == {(0.0, c) for c in APP_CLUSTERS}
    assert access_events(report, "recovered") == {(2 * HOUR, c) for c in APP_CLUSTERS}
    [event, *_] = [e for e in report.simulation.events if e.function == ACCESS]
    assert "through Teleport" in event.text and "recorded" in event.text
    workloads = [o for o in report.simulation.outcomes if o.function.id == "workloads"]
    assert {o.function.cluster for o in workloads} == set(APP_CLUSTERS)
    assert all(o.state == "held" for o in workloads)
    assert {c.id: c.verdict for c in report.contract}["C1"] == "holds"


def test_teleport_down_alone_stops_access_to_every_app_cluster() -> None:
    report = down("teleport")
    assert access_events(report, "interrupted") == {(0.0, c) for c in APP_CLUSTERS}
    assert access_events(report, "recovered") == {(2 * HOUR, c) for c in APP_CLUSTERS}

"""The service mesh and the API gateway at run time: what istiod, ztunnel and the gateway take down.

The spec is the mesh-and-APIs spec of the spec tests (one standalone cluster, the shop
tenant in the mesh, one API): istiod down freezes configuration and certificate
rotation but not traffic, until the workload certificates run out; the API gateway's
proxies down fail the APIs, its controller down does not.
"""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

import pytest

from stackyard.app import SimulateRequest, simulate
from stackyard.plan import make_plan
from stackyard.simulate.engine import FunctionOutcome
from stackyard.simulate.model import RuntimeModel
from stackyard.simulate.run import IncidentReport, prepare, run_scenario
from stackyard.simulate.scenario import single_failure
from stackyard.spec import load_spec
from tests.app.schemas import assert_matches
from tests.conftest import ROOT
from tests.simulate.conftest import example_model

SPEC = ROOT / "tests" / "simulate" / "data" / "mesh.yaml"
HOUR = 3600.0


@cache
def mesh_model() -> RuntimeModel:
    return prepare(make_plan(load_spec(SPEC)))


def incident(target: str, duration: str) -> IncidentReport:
    model = mesh_model()
    return run_scenario(model, single_failure(model, target, duration))


def outcomes(report: IncidentReport, function: str) -> list[FunctionOutcome]:
    return [o for o in report.simulation.affected() if o.function.id == function]


def c1(report: IncidentReport) -> str:
    return next(v.verdict for v in report.contract if v.id == "C1")


def unavailable(report: IncidentReport) -> dict[str, str]:
    """Availability lines of the tenants' service traffic: subject -> value."""
    return {
        e.subject: e.value
        for e in report.slo
        if e.slo == "availability" and not e.subject.startswith(("workloads", "platform"))
    }


def test_istiod_down_for_an_hour_freezes_configuration_but_traffic_flows() -> None:
    report = incident("istiod", "1h")
    [mesh] = outcomes(report, "mesh-traffic")
    assert mesh.state == "kept"  # on ztunnel's last configuration and certificates
    assert "no workload certificate rotation" in mesh.function.text.interrupted
    assert "keep serving" in mesh.function.text.kept
    assert mesh.function.buffer is not None and mesh.function.buffer.seconds == 12 * HOUR
    assert not outcomes(report, "api-traffic")
    assert not outcomes(report, "workloads")
    assert c1(report) != "broken"
    assert unavailable(report) == {}  # nothing past the buffer: no budget spent


def test_istiod_down_for_two_days_breaks_mtls_once_certificates_expire() -> None:
    report = incident("istiod", "48h")
    [mesh] = outcomes(report, "mesh-traffic")
    assert mesh.state == "exhausted"
    [period] = mesh.periods
    assert period.exhausted_at == 12 * HOUR
    exhausted = [e for e in report.simulation.events if e.kind == "exhausted"]
    assert any("mTLS between meshed services fails" in e.text for e in exhausted)
    # one standalone cluster: no mgmt for C1 to be about, whatever breaks on it
    assert c1(report) == "not applicable"
    # from the expiry at 12h to the recovery at 48h, meshed services cannot talk
    assert unavailable(report) == {"meshed service traffic on one": "36h unavailable"}


def test_istiod_down_on_the_app_clusters_is_not_a_mgmt_outage() -> None:
    """The mesh example: istiod runs on app1 and app2, mgmt stays up.

    Certificates expire after 12 h and mTLS fails on both app clusters: the availability
    SLO spends that time, but C1 (app workloads when mgmt is down) is not what broke.
    """
    model = example_model("mesh-local")
    report = run_scenario(model, single_failure(model, "istiod", "48h"))
    assert {o.function.cluster for o in outcomes(report, "mesh-traffic")} == {"app1", "app2"}
    assert {o.state for o in outcomes(report, "mesh-traffic")} == {"exhausted"}
    [verdict] = [v for v in report.contract if v.id == "C1"]
    assert verdict.verdict == "holds"
    assert "meshed service traffic ran out of buffer on app1, app2" in verdict.reason
    assert "not of mgmt" in verdict.reason
    assert unavailable(report) == {
        "meshed service traffic on app1": "36h unavailable",
        "meshed service traffic on app2": "36h unavailable",
    }


def test_the_api_gateways_proxies_down_fail_the_apis() -> None:
    report = incident("envoy-gateway-proxy", "30m")
    [api] = outcomes(report, "api-traffic")
    assert api.state == "interrupted"
    assert "requests to the backend APIs fail" in api.function.text.interrupted
    assert not outcomes(report, "api-gateway-configuration")
    assert unavailable(report) == {"API traffic through the API gateway on one": "30m unavailable"}


def test_keycloak_down_rejects_api_calls_once_issued_tokens_expire() -> None:
    report = incident("keycloak", "1h")
    [tokens] = outcomes(report, "api-tokens")
    assert tokens.state == "exhausted"
    assert tokens.periods[0].exhausted_at == 300.0  # Keycloak's default token lifespan
    assert unavailable(report) == {"access tokens for API clients on one": "55m unavailable"}


def test_the_api_gateways_controller_down_keeps_the_last_configuration() -> None:
    report = incident("envoy-gateway", "30m")
    [config] = outcomes(report, "api-gateway-configuration")
    assert config.state == "kept"
    assert "keep serving with their last configuration" in config.function.text.kept
    assert not outcomes(report, "api-traffic")  # the proxies are a service of their own


def test_ztunnel_down_stops_ambient_traffic_on_its_nodes() -> None:
    report = incident("ztunnel", "10m")
    [ambient] = outcomes(report, "ambient-traffic")
    assert ambient.state == "interrupted"
    assert "ztunnel carries their connections" in ambient.function.text.interrupted


def test_the_gateways_proxies_go_down_with_their_nodes_not_with_their_controller() -> None:
    model = mesh_model()
    proxies = [s for s in model.services if s.startswith("envoy-gateway-proxy@")]
    assert proxies
    for proxy in proxies:
        cluster = proxy.split("@")[1]
        assert f"nodes@{cluster}" in model.hard_needs[proxy]
        assert f"envoy-gateway@{cluster}" not in model.hard_needs[proxy]


@pytest.mark.parametrize(
    ("request_", "schema"),
    [
        (SimulateRequest(fail="istiod", duration="48h"), "incident"),
        (SimulateRequest(fail="envoy-gateway-proxy", duration="1h"), "incident"),
        (SimulateRequest(all_single_failures=True, duration="1h"), "failure-matrix"),
        (SimulateRequest(), "simulation-model"),
    ],
)
def test_mesh_outputs_match_their_schemas(request_: SimulateRequest, schema: str) -> None:
    assert_matches(schema, simulate(Path(SPEC), request_).as_dict())


def test_in_sidecar_mode_the_sidecars_rely_on_istiod(tmp_path: Path) -> None:
    spec = tmp_path / "mesh.yaml"
    spec.write_text(
        SPEC.read_text().replace("  enabled: true\n", "  enabled: true\n  mode: sidecar\n")
    )
    shutil.copytree(SPEC.parent / "apis", tmp_path / "apis")
    model = prepare(make_plan(load_spec(spec)))
    assert not [s for s in model.services if s.startswith("ztunnel@")]
    report = run_scenario(model, single_failure(model, "istiod", "48h"))
    [sidecars] = outcomes(report, "mesh-sidecars")
    assert sidecars.state == "exhausted"
    assert "new pods in injected namespaces are refused" in sidecars.function.text.interrupted
    assert sidecars.periods[0].exhausted_at == 12 * HOUR
    assert not outcomes(report, "mesh-traffic")

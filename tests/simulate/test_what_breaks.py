"""Admission webhooks, the data path and inapplicable contract clauses: what really breaks."""

from __future__ import annotations

from dataclasses import replace

import pytest

from stackyard.plan import make_plan
from stackyard.render.build import render_plan
from stackyard.simulate.matrix import failure_matrix
from stackyard.simulate.run import run_scenario
from stackyard.simulate.scenario import single_failure
from stackyard.simulate.settings import RenderedSettings
from stackyard.simulate.text import incident_text
from stackyard.spec import load_spec
from tests.conftest import EXAMPLES
from tests.simulate.conftest import example_model, local_text, model_from_text

# Components whose loss changes nothing at run time, each justified in docs/simulation.md.
TRULY_HARMLESS = {"kyverno-policies@app1", "kyverno-policies@app2"}


def affected(model_name: str, target: str, duration: str = "1h") -> dict[str, set[str]]:
    """Function id -> the places it is affected when ``target`` is down."""
    model = example_model(model_name)
    report = run_scenario(model, single_failure(model, target, duration))
    found: dict[str, set[str]] = {}
    for outcome in report.simulation.affected():
        found.setdefault(outcome.function.id, set()).add(outcome.function.where)
    return found


def test_kyverno_down_rejects_new_pods_in_tenant_namespaces_while_running_pods_continue() -> None:
    model = example_model("local-multicluster")
    report = run_scenario(model, single_failure(model, "kyverno@app1", "1h"))
    admission = [o for o in report.simulation.affected() if o.function.id == "kyverno-admission"]
    assert [o.function.where for o in admission] == ["app1"]
    text = admission[0].function.text
    assert "rejects new and changed Pods" in text.interrupted
    assert "running pods keep running" in text.kept
    # The evidence is the rendered policy's failurePolicy line.
    source = admission[0].function.source or ""
    assert "manifests/app1/kyverno-policies/workload-policies.yaml:" in source
    assert "spec.failurePolicy = Fail" in source
    workloads = [o for o in report.simulation.outcomes if o.function.id == "workloads"]
    assert workloads and not any(o.periods for o in workloads)


def test_kyverno_in_audit_mode_blocks_nothing() -> None:
    text = local_text().replace("mode: enforce", "mode: audit")
    model = model_from_text(text)
    report = run_scenario(model, single_failure(model, "kyverno@app1", "1h"))
    assert not [o for o in report.simulation.affected() if o.function.id == "kyverno-admission"]
    assert "kyverno@app1" in failure_matrix(model, 3600.0).harmless


@pytest.mark.parametrize("target", ["cilium-gateway-api@app1", "metallb@app1"])
def test_gateway_and_load_balancer_carry_application_ingress(target: str) -> None:
    assert affected("local-multicluster", target)["application-ingress"] == {"app1"}


def test_cluster_dns_down_stops_name_resolution_and_what_needs_it() -> None:
    found = affected("local-multicluster", "coredns@app1")
    assert found["service-discovery"] == {"app1"}
    assert found["secret-refresh"] == {"app1"}  # External Secrets resolves Vault's name


def test_mgmt_gateway_down_cuts_app_clusters_off_from_mgmt_services() -> None:
    found = affected("local-multicluster", "cilium-gateway-api@mgmt")
    assert {"app1", "app2"} <= found["secret-refresh"]
    assert {"app1", "app2"} <= found["metrics-shipping"]
    assert "dashboards" in found  # people reach Grafana through the gateway
    assert "application-ingress" not in found  # mgmt runs no applications


def test_cert_manager_down_stops_issuance_and_its_webhook_rejects_certificates() -> None:
    model = example_model("local-multicluster")
    report = run_scenario(model, single_failure(model, "cert-manager@app1", "1h"))
    ids = {o.function.id: o for o in report.simulation.affected()}
    assert ids["certificate-issuance"].state == "kept"  # existing certificates stay valid
    webhook = ids["cert-manager-admission"].function
    assert "chart default" in (webhook.source or "")


def test_every_single_failure_that_matters_affects_something() -> None:
    model = example_model("local-multicluster")
    matrix = failure_matrix(model, 3600.0)
    assert set(matrix.harmless) == TRULY_HARMLESS
    rows = {row.target for row in matrix.rows}
    for target in ("kyverno@app1", "cilium-gateway-api@app1", "metallb@app1", "coredns@app1"):
        assert target in rows


@pytest.mark.parametrize(
    ("example", "inapplicable"),
    [
        ("community-poc", {"C1", "C2", "C3", "C4", "C5", "C6"}),
        ("aws-enterprise", {"C1", "C2", "C6"}),
        ("local-multicluster", set()),
    ],
)
def test_contract_clauses_that_do_not_apply_are_not_applicable(
    example: str, inapplicable: set[str]
) -> None:
    model = example_model(example)
    cluster = model.plan.clusters[0].name
    report = run_scenario(model, single_failure(model, cluster, "30m"))
    verdicts = {c.id: c.verdict for c in report.contract}
    assert {k for k, v in verdicts.items() if v == "not applicable"} == inapplicable
    data = report.as_dict()
    assert {c["id"] for c in data["contract"] if c["verdict"] == "not applicable"} == inapplicable
    text = incident_text(report)
    for clause in inapplicable:
        assert f"{clause} not applicable" in text and f"{clause} holds" not in text


def test_buffers_come_from_what_render_recorded_not_from_reparsing_files() -> None:
    tree = render_plan(make_plan(load_spec(EXAMPLES / "local-multicluster.yaml")))
    recorded = tree.settings.setting("secret-refresh-interval", "app1")
    assert recorded is not None
    line = tree.files[recorded.written.file].splitlines()[recorded.written.line - 1]
    assert "refreshInterval: 1h" in line
    # With the file contents gone, the buffer is the same: nothing is re-parsed.
    emptied = replace(tree, files={})
    buffer = RenderedSettings(emptied).buffer("eso-refresh-interval", "app1", "mgmt")
    assert buffer.seconds == 3600.0
    assert buffer.evidence.source == f"{recorded.written.file}:{recorded.written.line}"
    wal = RenderedSettings(emptied).buffer("prometheus-wal-retention", "app1", "mgmt")
    assert wal.label == "2h40m" and "prometheus-agent.yaml:" in wal.evidence.source


def test_no_internal_source_names_in_simulate_output() -> None:
    model = example_model("local-multicluster")
    report = run_scenario(model, single_failure(model, "mgmt", "3h"))
    out = incident_text(report) + str(report.as_dict())
    assert "seed" not in out.lower() and "§" not in out

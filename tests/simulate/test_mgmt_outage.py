"""Seed 004's headline incident: mgmt down for 3 h, on the shipped local example."""

from __future__ import annotations

from stackyard.simulate.engine import Event
from stackyard.simulate.run import IncidentReport, run_scenario
from stackyard.simulate.scenario import single_failure
from tests.simulate.conftest import example_model

HOUR = 3600.0


def mgmt_down(duration: str = "3h") -> IncidentReport:
    model = example_model("local-multicluster")
    return run_scenario(model, single_failure(model, "mgmt", duration))


def events(report: IncidentReport, kind: str, function: str) -> list[Event]:
    return [e for e in report.simulation.events if e.kind == kind and e.function == function]


def test_secret_refresh_is_lost_after_the_refresh_interval_read_from_the_store() -> None:
    report = mgmt_down()
    exhausted = events(report, "exhausted", "secret-refresh")
    assert {(e.at, e.where) for e in exhausted} == {(HOUR, "app1"), (HOUR, "app2")}
    assert exhausted[0].source is not None
    assert "manifests/app1/external-secrets/cluster-secret-store.yaml:9" in exhausted[0].source
    interrupted = events(report, "interrupted", "secret-refresh")
    assert {e.at for e in interrupted} == {0.0}
    assert "cache" in interrupted[0].text


def test_metrics_are_lost_after_the_agent_wal_retention() -> None:
    report = mgmt_down()
    exhausted = events(report, "exhausted", "metrics-shipping")
    assert {(e.at, e.where) for e in exhausted} == {
        (2 * HOUR + 40 * 60, w) for w in ("app1", "app2")
    }
    assert (
        exhausted[0].source
        and "values/clusters/app1/prometheus-agent.yaml:15" in exhausted[0].source
    )
    recovered = events(report, "recovered", "metrics-shipping")
    assert all("20m past the buffer were lost" in e.text for e in recovered)


def test_app_workloads_run_throughout_and_c1_holds() -> None:
    report = mgmt_down()
    workloads = [o for o in report.simulation.outcomes if o.function.id == "workloads"]
    assert {o.function.cluster for o in workloads} == {"app1", "app2"}
    assert all(o.state == "held" for o in workloads)
    verdicts = {c.id: c.verdict for c in report.contract}
    assert verdicts["C1"] == "holds"
    assert verdicts["C2"] == "exceeded"  # 3 h outlasts the 2h40m WAL
    assert verdicts["C3"] == "holds"  # synced Secrets stay; only freshness is lost


def test_deploys_stop_and_no_new_certificates_from_the_start() -> None:
    report = mgmt_down()
    deploys = events(report, "interrupted", "deploys")
    assert {(e.at, e.where) for e in deploys} == {(0.0, "app1"), (0.0, "app2")}
    certificates = events(report, "interrupted", "certificate-issuance")
    assert {(e.at, e.where) for e in certificates} == {(0.0, "app1"), (0.0, "app2")}
    # The renewal window (720 h) outlasts the outage: existing certificates hold.
    assert not events(report, "exhausted", "certificate-issuance")
    for function in ("deploys", "certificate-issuance", "secret-refresh", "metrics-shipping"):
        assert {e.at for e in events(report, "recovered", function)} == {3 * HOUR}


def test_recovery_order_brings_the_control_plane_and_vault_before_observability() -> None:
    recovery = mgmt_down().recovery
    order = [r.service.id for r in recovery]
    priorities = [r.priority for r in recovery]
    assert priorities == sorted(priorities)
    assert order.index("control-plane@mgmt") < order.index("vault@mgmt")
    assert order.index("vault@mgmt") < order.index("thanos@mgmt")
    assert order.index("argo-cd@mgmt") < order.index("grafana@mgmt")
    missed = {r.service.id: r.met for r in recovery}
    assert missed["vault@mgmt"] is False  # 3 h against a 30 min P1 target


def test_slo_effects_name_the_rto_breach_and_the_stretched_backup_rpo() -> None:
    effects = {(e.slo, e.subject): e for e in mgmt_down().slo}
    assert effects["rto", "mgmt"].verdict == "exceeds"
    assert effects["availability", "workloads on app1"].verdict == "meets"
    assert effects["rpo", "volume backups of app1"].value == "up to 27h since the last backup"
    assert effects["rpo", "volume backups of app1"].verdict == "exceeds"
    short = {(e.slo, e.subject): e for e in mgmt_down("30m").slo}
    assert short["rto", "mgmt"].verdict == "meets"
    assert short["rpo", "volume backups of app1"].verdict == "exceeds"  # 24h30m > 24h


def test_lost_telemetry_is_not_judged_against_the_rpo() -> None:
    report = mgmt_down()
    assert events(report, "exhausted", "metrics-shipping")  # the gap is in the timeline
    rpo_subjects = {e.subject for e in report.slo if e.slo == "rpo"}
    assert rpo_subjects == {
        "volume backups of app1",
        "volume backups of app2",
        "etcd snapshots of mgmt",
    }


def test_results_are_deterministic() -> None:
    assert mgmt_down().as_dict() == mgmt_down().as_dict()


def test_mgmt_down_past_the_certificate_renewal_window_breaks_c1() -> None:
    # 800 h outlasts the 720 h renewal window of the certificates the Vault issuer on mgmt
    # signs for the app clusters: their workloads' TLS fails because mgmt is down.
    report = mgmt_down("800h")
    [verdict] = [c for c in report.contract if c.id == "C1"]
    assert verdict.verdict == "broken"
    assert verdict.reason == (
        "certificate issuance by the Vault issuer ran out of buffer on app1, app2 with mgmt down"
    )


def test_an_app_clusters_own_certificate_failure_is_not_c1() -> None:
    # cert-manager on app1 down as long: app1's certificates expire, but mgmt stayed up.
    model = example_model("local-multicluster")
    report = run_scenario(model, single_failure(model, "cert-manager@app1", "800h"))
    assert events(report, "exhausted", "certificate-issuance")
    [verdict] = [c for c in report.contract if c.id == "C1"]
    assert verdict.verdict == "holds"
    assert "through a failure of that cluster itself, not of mgmt" in verdict.reason

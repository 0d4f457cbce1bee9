"""Verdicts follow the spec: a changed setting renders differently and simulates differently."""

from __future__ import annotations

from stackyard.simulate.run import IncidentReport, run_scenario
from stackyard.simulate.scenario import single_failure
from tests.simulate.conftest import local_text, model_from_text


def incident(text: str, target: str, duration: str) -> IncidentReport:
    model = model_from_text(text)
    return run_scenario(model, single_failure(model, target, duration))


def exhausted_at(report: IncidentReport, function: str) -> set[float]:
    return {
        e.at for e in report.simulation.events if e.kind == "exhausted" and e.function == function
    }


def contract(report: IncidentReport) -> dict[str, str]:
    return {c.id: c.verdict for c in report.contract}


def test_a_shorter_wal_retention_loses_metrics_sooner_and_breaks_c2_for_a_2h_outage() -> None:
    default = incident(local_text(), "thanos", "2h")
    assert exhausted_at(default, "metrics-shipping") == set()
    assert contract(default)["C2"] == "holds"

    shorter = local_text().replace("walRetention: 2h40m", "walRetention: 1h")
    changed = incident(shorter, "thanos", "2h")
    assert exhausted_at(changed, "metrics-shipping") == {3600.0}
    assert contract(changed)["C2"] == "exceeded"
    agent = [o for o in changed.simulation.outcomes if o.function.id == "metrics-shipping"]
    sources = {o.function.buffer.evidence.value for o in agent if o.function.buffer}
    assert "1h" in sources


def test_a_longer_refresh_interval_keeps_the_secret_cache_through_a_3h_vault_outage() -> None:
    default = incident(local_text(), "vault", "3h")
    assert exhausted_at(default, "secret-refresh") == {3600.0}
    longer = local_text().replace("refreshInterval: 1h", "refreshInterval: 4h")
    changed = incident(longer, "vault", "3h")
    assert exhausted_at(changed, "secret-refresh") == set()


def test_a_tighter_rto_turns_a_met_recovery_into_a_missed_one() -> None:
    met = incident(local_text(), "argo-cd", "20m")
    assert {r.service.id: r.met for r in met.recovery}["argo-cd@mgmt"] is True
    tight = local_text().replace("rto: 1h", "rto: 30m")
    missed = incident(tight, "argo-cd", "20m")
    assert {r.service.id: r.met for r in missed.recovery}["argo-cd@mgmt"] is False

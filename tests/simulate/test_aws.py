"""The AWS example: Vault-issued STS credentials and SSO sessions outlast short outages only."""

from __future__ import annotations

from stackyard.simulate.run import run_scenario
from stackyard.simulate.scenario import single_failure
from tests.simulate.conftest import example_model


def test_load_balancer_credentials_run_out_after_their_lease_without_breaking_c1() -> None:
    model = example_model("aws-enterprise")
    report = run_scenario(model, single_failure(model, "vault", "1h"))
    exhausted = {(e.function, e.at) for e in report.simulation.events if e.kind == "exhausted"}
    assert ("cloud-credentials", 900.0) in exhausted
    # One standalone cluster: no mgmt for C1 to be about, and nothing broke workloads.
    assert {c.id: c.verdict for c in report.contract}["C1"] == "not applicable"
    short = run_scenario(model, single_failure(model, "vault", "10m"))
    assert not [e for e in short.simulation.events if e.kind == "exhausted"]


def test_sso_sessions_end_at_the_rendered_realm_lifetime() -> None:
    model = example_model("aws-enterprise")
    report = run_scenario(model, single_failure(model, "keycloak", "12h"))
    ends = {
        e.at
        for e in report.simulation.events
        if e.function == "sso-login" and e.kind == "exhausted"
    }
    assert ends == {36000.0}
    sources = {e.source for e in report.simulation.events if e.function == "sso-login" and e.source}
    assert sources and all("keycloak/realm-platform.yaml:" in s for s in sources)

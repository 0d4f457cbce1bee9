"""SY963: an application takes a client id the platform realm already has."""

from __future__ import annotations

import pytest

from stackyard.plan import Finding, make_plan
from stackyard.spec import load_spec_text
from tests.plan.conftest import EXAMPLES, example_text

STANDARD = example_text("aws-standard")


def found(text: str, code: str) -> list[Finding]:
    plan = make_plan(load_spec_text(text, "platform.yaml", EXAMPLES))  # beside their OpenAPI files
    return [f for f in plan.findings if f.check == code]


def test_an_application_taking_a_platform_client_id_is_an_error() -> None:
    application = (
        "  oidcClients:\n    - {name: grafana, redirectUris: [https://g.example.com/cb]}\n"
    )
    text = STANDARD.replace("  mfa:\n", application + "  mfa:\n")
    (finding,) = found(text, "SY963")
    assert finding.severity == "error"
    assert "client id 'grafana' is already the client of grafana" in finding.message
    assert (
        finding.location.line
        == text.splitlines().index(
            "    - {name: grafana, redirectUris: [https://g.example.com/cb]}"
        )
        + 1
    )


def test_an_oidc_client_named_like_an_api_consumer_is_an_error() -> None:
    text = example_text("aws-enterprise").replace("    - name: wiki\n", "    - name: mobile-app\n")
    (finding,) = found(text, "SY963")
    assert "a consumer of API orders" in finding.message


@pytest.mark.parametrize("example", ["aws-standard", "aws-enterprise", "mesh-local"])
def test_the_examples_have_no_such_finding(example: str) -> None:
    text = example_text(example)
    assert found(text, "SY963") == []


def test_the_fleet_services_id_is_free_when_it_signs_in_with_a_provider_of_its_own() -> None:
    application = (
        "  oidcClients:\n    - {name: stackyard, redirectUris: [https://s.example.com/cb]}\n"
    )
    text = STANDARD.replace("  mfa:\n", application + "  mfa:\n")
    with_realm = text + "fleet:\n  service:\n    enabled: true\n"
    (finding,) = found(with_realm, "SY963")
    assert "client id 'stackyard' is already the client of stackyard-fleet" in finding.message
    own = with_realm + "    oidc: {issuer: https://login.example.com/realms/ops, clientId: x}\n"
    assert found(own, "SY963") == []  # the realm has no client of the service then

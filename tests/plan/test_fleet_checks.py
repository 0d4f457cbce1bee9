"""SY980 and SY981: the fleet service deployed on mgmt must be deliverable and sign people in."""

from __future__ import annotations

import pytest

from stackyard.plan import Finding, make_plan
from stackyard.spec import load_spec_text
from tests.plan.conftest import EXAMPLES, example_text

SWITCH = "fleet:\n  service:\n    enabled: true\n"
PUBLIC_CLIENT = "    oidc: {issuer: https://login.example.com/realms/ops}\n"


def found(text: str, code: str) -> list[Finding]:
    plan = make_plan(load_spec_text(text, "platform.yaml", EXAMPLES))
    return [f for f in plan.findings if f.check == code]


def test_postgresql_without_external_secrets_is_an_error() -> None:
    text = example_text("community-poc") + SWITCH + PUBLIC_CLIENT + "    database: postgresql\n"
    (finding,) = found(text, "SY980")
    assert finding.severity == "error"
    assert "runs no External Secrets" in finding.message
    assert finding.field == "fleet.service.database"
    assert finding.cluster == "poc"
    assert finding.location.line == text.splitlines().index("    database: postgresql") + 1


def test_a_client_secret_without_external_secrets_is_an_error() -> None:
    secret = PUBLIC_CLIENT.replace("}", ", clientSecretRef: {key: ops/fleet, property: s}}")
    (finding,) = found(example_text("community-poc") + SWITCH + secret, "SY980")
    assert finding.field == "fleet.service.oidc.clientSecretRef"


def test_a_platform_without_mgmt_or_standalone_cluster_cannot_run_it() -> None:
    text = example_text("local-multicluster") + SWITCH + PUBLIC_CLIENT
    text = text.replace("    role: mgmt\n", "    role: app\n")
    findings = found(text, "SY980")
    assert [f.field for f in findings] == ["fleet.service.enabled"]
    assert "no mgmt or standalone cluster" in findings[0].message


@pytest.mark.parametrize(
    ("example", "extra"),
    [
        ("community-poc", PUBLIC_CLIENT),  # SQLite and a public client need no secret sync
        ("aws-standard", "    database: postgresql\n"),  # External Secrets runs there
        ("aws-standard", ""),
    ],
)
def test_a_deliverable_service_has_no_such_finding(example: str, extra: str) -> None:
    assert found(example_text(example) + SWITCH + extra, "SY980") == []


def test_no_sign_in_is_an_error() -> None:
    text = example_text("community-poc") + SWITCH
    (finding,) = found(text, "SY981")
    assert finding.severity == "error"
    assert finding.field == "fleet.service.enabled"
    assert "without a sign-in" in finding.message


@pytest.mark.parametrize(
    ("example", "extra"),
    [("community-poc", PUBLIC_CLIENT), ("aws-standard", ""), ("community-poc", "")],
)
def test_a_sign_in_or_no_service_has_no_such_finding(example: str, extra: str) -> None:
    switch = SWITCH if extra or example == "aws-standard" else ""
    assert found(example_text(example) + switch + extra, "SY981") == []

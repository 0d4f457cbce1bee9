"""SY961: a declared directory is said to be checked but not yet federated into Keycloak."""

from __future__ import annotations

import pytest

from stackyard.plan import Finding, make_plan
from stackyard.spec import load_spec_text
from tests.plan.conftest import EXAMPLES, example_text

STANDARD = example_text("aws-standard")
DIRECTORIES = (
    "identity:\n"
    "  directories:\n"
    "    - name: corp\n"
    "      type: active-directory\n"
    "      url: ldaps://dc1.corp.example.com\n"
    '      bindDN: "CN=svc-keycloak,OU=Service Accounts,DC=corp,DC=example,DC=com"\n'
    "      bindPassword: {secret: keycloak-ldap-bind, key: password}\n"
    '      users: {baseDN: "OU=Staff,DC=corp,DC=example,DC=com"}\n'
    "    - name: lab\n"
    "      type: ldap\n"
    "      url: ldap://ldap.lab.example.com\n"
    "      bindDN: cn=keycloak,dc=lab,dc=example,dc=com\n"
    "      bindPassword: {secret: lab-bind, key: password}\n"
    "      users: {baseDN: ou=people,dc=lab,dc=example,dc=com}\n"
    "      tls: {startTLS: true}\n"
)


def found(text: str) -> list[Finding]:
    plan = make_plan(load_spec_text(text, "platform.yaml", EXAMPLES))  # beside their OpenAPI files
    return [f for f in plan.findings if f.check == "SY961"]


def test_each_declared_directory_is_a_warning_at_its_entry() -> None:
    text = STANDARD + DIRECTORIES
    findings = found(text)
    assert [f.severity for f in findings] == ["warning", "warning"]
    lines = text.splitlines()
    for finding, name in zip(findings, ("corp", "lab"), strict=True):
        assert f"directory {name} is checked by `stackyard identity check`" in finding.message
        assert "not yet federated into Keycloak" in finding.message
        assert finding.location.line == lines.index(f"    - name: {name}") + 1


@pytest.mark.parametrize("example", ["aws-standard", "aws-enterprise", "mesh-local"])
def test_a_spec_without_directories_has_no_such_finding(example: str) -> None:
    assert found(example_text(example)) == []

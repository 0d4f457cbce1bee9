"""SY966–SY969: cluster-admin for people, admins without MFA, a tool's group with no role,
a tenant nobody administers; each at the file and line of what causes it."""

from __future__ import annotations

import pytest

from stackyard.plan import Finding, make_plan
from stackyard.spec import load_spec_text
from tests.plan.conftest import EXAMPLE_NAMES, EXAMPLES, example_text

# The example without its own identity section: each test declares the groups it judges.
ENTERPRISE = example_text("aws-enterprise").split("\nidentity:", 1)[0] + "\n"
SPEC = "platform.yaml"
CODES = ("SY966", "SY967", "SY968", "SY969")


def findings(text: str, code: str) -> list[Finding]:
    plan = make_plan(load_spec_text(text, SPEC, EXAMPLES))  # beside their OpenAPI files
    return [f for f in plan.findings if f.check == code]


def line_of(text: str, needle: str) -> int:
    """The 1-based line where ``needle`` first appears."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def spec(groups: str, mfa: str = "  mfa: {methods: [otp]}\n") -> str:
    return f"{ENTERPRISE}identity:\n{mfa}  groups:\n{groups}"


ALL_GOOD = (
    "    - {name: platform-admins, role: platform-admin}\n"
    "    - {name: web-admins, role: tenant-admin, tenant: team-web}\n"
    "    - {name: data-admins, role: tenant-admin, tenant: team-data}\n"
    "    - {name: auditors, role: auditor}\n"
)


@pytest.mark.parametrize("code", CODES)
def test_a_complete_declaration_has_no_access_finding(code: str) -> None:
    assert findings(spec(ALL_GOOD), code) == []


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_the_examples_have_no_access_warning_or_error(name: str) -> None:
    text = example_text(name)
    for code in CODES:
        assert [f for f in findings(text, code) if f.severity != "info"] == []


def test_cluster_admin_for_a_group_is_an_error_naming_it_at_its_role() -> None:
    text = spec(ALL_GOOD + "    - name: sre-oncall\n      role: cluster-admin\n")
    [finding] = findings(text, "SY966")
    assert finding.severity == "error"
    assert "group sre-oncall has role cluster-admin" in finding.message
    assert "no human group is bound to cluster-admin" in finding.message
    assert "break-glass access is the admin certificate kept in Vault" in finding.message
    assert finding.location.file.endswith(SPEC)
    assert finding.location.line == line_of(text, "role: cluster-admin")
    assert finding.field == "identity.groups[4].role"


def test_admins_without_any_mfa_policy_are_warned_at_the_first_admin_group() -> None:
    text = spec(ALL_GOOD, mfa="")
    [finding] = findings(text, "SY967")
    assert finding.severity == "warning"
    assert "platform-admins, web-admins, data-admins" in finding.message
    assert "auditors" not in finding.message
    assert finding.location.line == line_of(text, "name: platform-admins")


def test_mfa_required_none_is_warned_at_that_setting() -> None:
    text = spec(ALL_GOOD, mfa="  mfa:\n    methods: [otp]\n    required: none\n")
    [finding] = findings(text, "SY967")
    assert "mfa.required is none" in finding.message
    assert finding.location.line == line_of(text, "required: none")


@pytest.mark.parametrize("required", ["admins", "everyone"])
def test_mfa_for_admins_or_everyone_is_enough(required: str) -> None:
    mfa = f"  mfa: {{methods: [webauthn], required: {required}}}\n"
    assert findings(spec(ALL_GOOD, mfa=mfa), "SY967") == []


def test_no_admin_group_needs_no_mfa_warning() -> None:
    groups = "    - {name: auditors, role: auditor}\n"
    assert findings(spec(groups, mfa=""), "SY967") == []


def test_argo_cds_admin_group_left_undeclared_is_a_group_with_no_role() -> None:
    groups = (
        "    - {name: ops, role: platform-admin}\n"
        "    - {name: web-admins, role: tenant-admin, tenant: team-web}\n"
        "    - {name: data-admins, role: tenant-admin, tenant: team-data}\n"
    )
    text = spec(groups)
    [finding] = findings(text, "SY968")
    assert finding.severity == "warning"
    assert "group platform-admins is mapped by Argo CD (admin)" in finding.message
    assert "a group with no role" in finding.message
    assert finding.location.line == line_of(text, "  groups:")


def test_the_fleet_services_viewer_group_left_undeclared_is_a_group_with_no_role() -> None:
    text = spec(ALL_GOOD) + "fleet:\n  service:\n    enabled: true\n"
    [finding] = findings(text, "SY968")
    assert "group platform-viewers is mapped by Stackyard fleet service (viewer)" in (
        finding.message
    )


def test_a_fleet_service_signing_in_with_a_provider_of_its_own_maps_no_realm_group() -> None:
    text = spec(ALL_GOOD) + (
        "fleet:\n  service:\n    enabled: true\n    oidc:\n"
        "      issuer: https://login.example.com/realms/ops\n      clientId: fleet\n"
    )
    plan = make_plan(load_spec_text(text, SPEC, EXAMPLES))
    assert any(c.has("stackyard-fleet") for c in plan.clusters)
    # platform-viewers is the realm's group for the service's viewers; its own provider
    # has groups of its own, which the spec does not describe.
    assert [f for f in plan.findings if f.check == "SY968"] == []


def test_without_keycloak_the_tools_sign_in_elsewhere_and_map_no_realm_group() -> None:
    groups = "    - {name: ops, role: platform-admin}\n"
    text = spec(groups) + "components:\n  keycloak: {enabled: false}\n"
    plan = make_plan(load_spec_text(text, SPEC, EXAMPLES))
    assert any(c.has("argo-cd") for c in plan.clusters)
    assert not any(c.has("keycloak") for c in plan.clusters)
    assert [f for f in plan.findings if f.check == "SY968"] == []


def test_without_groups_the_tools_groups_are_not_questioned() -> None:
    assert findings(ENTERPRISE, "SY968") == []


def test_a_tool_that_does_not_run_maps_no_group() -> None:
    text = spec("    - {name: ops, role: platform-admin}\n")
    text += "components:\n  argo-cd: {enabled: false}\n"
    plan = make_plan(load_spec_text(text, SPEC, EXAMPLES))
    assert not any(c.has("argo-cd") for c in plan.clusters)
    assert [f for f in plan.findings if f.check == "SY968"] == []


def test_a_tenant_without_a_tenant_admin_group_is_information_at_the_tenant() -> None:
    groups = (
        "    - {name: platform-admins, role: platform-admin}\n"
        "    - {name: web-admins, role: tenant-admin, tenant: team-web}\n"
        "    - {name: data-devs, role: developer, tenant: team-data}\n"
    )
    text = spec(groups)
    [finding] = findings(text, "SY969")
    assert finding.severity == "info"
    assert "tenant team-data has no tenant-admin group" in finding.message
    assert finding.location.line == line_of(text, "- name: team-data")


def test_without_groups_tenants_are_not_questioned() -> None:
    assert findings(ENTERPRISE, "SY969") == []

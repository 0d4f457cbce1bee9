"""The hardening checks (SY951-SY953) fire on the gap they encode, and only then."""

from __future__ import annotations

from stackyard.plan import Finding, Plan, make_plan
from stackyard.spec import load_spec_text
from tests.plan.conftest import example_text

COMMUNITY = example_text("community-poc")
STANDARD = example_text("aws-standard").split("\nhardening:", 1)[0].rstrip("\n") + "\n"
ENTERPRISE = example_text("aws-enterprise").split("\nhardening:", 1)[0].rstrip("\n") + "\n"
LOCAL = example_text("local-multicluster")


def plan_of(text: str) -> Plan:
    return make_plan(load_spec_text(text, "platform.yaml"))


def found(text: str, check: str) -> list[Finding]:
    return [f for f in plan_of(text).findings if f.check == check]


def test_audit_without_loki_is_an_error_at_the_audit_section() -> None:
    text = COMMUNITY + "hardening: {}\n"
    [finding] = found(text, "SY951")
    assert finding.severity == "error"
    assert "no cluster runs a log store" in finding.message
    assert finding.location.line == text.splitlines().index("hardening: {}") + 1


def test_audit_with_loki_and_a_log_agent_everywhere_is_fine() -> None:
    assert found(STANDARD + "hardening: {encryptionAtRest: {keyRotation: 90d}}\n", "SY951") == []
    assert found(LOCAL + "hardening: {encryptionAtRest: {keyRotation: 90d}}\n", "SY951") == []


def test_an_audit_level_of_none_needs_no_store() -> None:
    assert found(COMMUNITY + "hardening: {audit: {level: None}}\n", "SY951") == []


def test_a_cluster_without_a_log_agent_is_named() -> None:
    text = LOCAL.replace("components:", "components:\n  promtail: {enabled: false}", 1)
    if text == LOCAL:
        text = LOCAL + "components:\n  promtail: {enabled: false}\n"
    findings = found(text + "hardening: {}\n", "SY951")
    assert {f.cluster for f in findings} == {"mgmt", "app1", "app2"}
    assert all("runs no log agent" in f.message for f in findings)


def test_builtin_encryption_without_rotation_warns() -> None:
    [finding] = found(STANDARD + "hardening: {}\n", "SY952")
    assert finding.severity == "warning"
    assert "declares no keyRotation" in finding.message


def test_a_declared_rotation_silences_the_warning() -> None:
    text = STANDARD + "hardening: {encryptionAtRest: {provider: vault-kms, keyRotation: 30d}}\n"
    assert found(text, "SY952") == []


def test_aws_kms_off_aws_is_an_error() -> None:
    text = COMMUNITY + (
        "hardening: {encryptionAtRest: {provider: aws-kms, key: alias/k8s, keyRotation: 90d}}\n"
    )
    [finding] = found(text, "SY952")
    assert finding.severity == "error"
    assert "runs on onprem" in finding.message
    assert finding.field == "hardening.encryptionAtRest.provider"


def test_aws_kms_cannot_rotate_faster_than_ninety_days() -> None:
    text = STANDARD + (
        "hardening: {encryptionAtRest: {provider: aws-kms, key: alias/k8s, keyRotation: 30d}}\n"
    )
    [finding] = found(text, "SY952")
    assert "shorter than AWS KMS" in finding.message
    ok = text.replace("keyRotation: 30d", "keyRotation: 365d")
    assert found(ok, "SY952") == []


def test_cis_lists_the_privileged_namespaces_it_exempts() -> None:
    [finding] = found(ENTERPRISE + "hardening: {encryptionAtRest: {keyRotation: 90d}}\n", "SY953")
    assert finding.severity == "info"
    for needed in ("longhorn-system (longhorn)", "logging (alloy)", "falco (falco)", "cilium"):
        assert needed in finding.message


def test_cis_off_needs_no_exemptions() -> None:
    assert found(ENTERPRISE + "hardening: {cis: false}\n", "SY953") == []
    assert found(STANDARD + "hardening: {}\n", "SY953") == []  # auto: off for Standard


def test_no_hardening_section_no_hardening_findings() -> None:
    for text in (COMMUNITY, STANDARD, ENTERPRISE, LOCAL):
        assert [f for f in plan_of(text).findings if f.check.startswith("SY95")] == []

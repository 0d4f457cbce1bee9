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


VAULT_KMS = "hardening: {encryptionAtRest: {provider: vault-kms, keyRotation: 90d}}\n"


def vault_kms(address: str) -> str:
    return (
        "hardening: {encryptionAtRest: {provider: vault-kms, keyRotation: 90d, "
        f"vaultAddress: '{address}'}}}}\n"
    )


def test_vault_kms_on_the_cluster_running_vault_is_an_error() -> None:
    [finding] = found(ENTERPRISE + VAULT_KMS, "SY954")
    assert finding.severity == "error" and finding.cluster == "prod"
    assert "never starts again" in finding.message
    assert finding.field == "hardening.encryptionAtRest.provider"
    assert "vaultAddress" in finding.hint and "aws-kms" in finding.hint


def test_only_the_management_cluster_deadlocks_the_app_clusters_use_its_vault() -> None:
    findings = found(LOCAL + VAULT_KMS, "SY954")
    assert [f.cluster for f in findings] == ["mgmt"]  # app1 and app2 call mgmt's Vault
    [finding] = findings
    assert "app1, app2 could use the Vault on mgmt" in finding.hint
    assert "aws-kms" not in finding.hint  # not on AWS: SY952 would refuse it


def test_an_external_vault_is_quiet() -> None:
    assert found(LOCAL + vault_kms("https://vault.corp.example:8200"), "SY954") == []
    assert found(ENTERPRISE + vault_kms("https://vault.corp.example"), "SY954") == []


def test_the_platforms_own_vault_named_as_vault_address_still_deadlocks() -> None:
    domain = plan_of(LOCAL).spec.platform.domain
    [finding] = found(LOCAL + vault_kms(f"https://vault.{domain}/"), "SY954")
    assert finding.cluster == "mgmt"
    assert finding.field == "hardening.encryptionAtRest.vaultAddress"


def test_vault_kms_with_no_vault_anywhere_is_an_error() -> None:
    [finding] = found(COMMUNITY + VAULT_KMS, "SY954")
    assert "no cluster runs Vault" in finding.message and finding.cluster is None
    assert found(COMMUNITY + vault_kms("https://vault.corp.example"), "SY954") == []


def test_other_providers_need_no_vault() -> None:
    assert found(LOCAL + "hardening: {encryptionAtRest: {keyRotation: 90d}}\n", "SY954") == []

"""The hardening section: CIS by edition, encryption providers and their keys, audit limits,
each mistake reported at its file and line."""

from __future__ import annotations

import pytest

from stackyard.errors import Problem, SpecError
from stackyard.spec import load_spec_text


def problems(text: str) -> list[Problem]:
    with pytest.raises(SpecError) as info:
        load_spec_text(text, "platform.yaml")
    return info.value.problems


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_no_hardening_section_keeps_cis_off(minimal_text: str) -> None:
    platform = load_spec_text(minimal_text, "platform.yaml").platform
    assert platform.hardening is None
    assert not platform.cis


@pytest.mark.parametrize(
    ("edition", "expected"), [("community", False), ("standard", False), ("enterprise", True)]
)
def test_cis_auto_is_on_for_enterprise_only(
    minimal_text: str, edition: str, expected: bool
) -> None:
    text = minimal_text.replace("edition: standard", f"edition: {edition}") + "hardening: {}\n"
    platform = load_spec_text(text, "platform.yaml").platform
    assert platform.cis is expected


def test_an_explicit_cis_wins_over_the_edition(minimal_text: str) -> None:
    text = minimal_text + "hardening: {cis: true}\n"
    assert load_spec_text(text, "platform.yaml").platform.cis


def test_defaults_follow_the_cis_benchmark_audit_limits(minimal_text: str) -> None:
    hardening = load_spec_text(minimal_text + "hardening: {}\n", "platform.yaml").platform.hardening
    assert hardening is not None
    audit = hardening.audit
    assert (audit.level, audit.maxAge, audit.maxBackups, audit.maxSize) == ("Metadata", 30, 10, 100)
    assert hardening.encryptionAtRest.provider == "builtin"
    assert hardening.encryptionAtRest.keyRotation is None


def test_aws_kms_without_a_key_is_refused_at_its_line(minimal_text: str) -> None:
    text = minimal_text + "hardening:\n  encryptionAtRest:\n    provider: aws-kms\n"
    [problem] = problems(text)
    assert "encryptionAtRest" in problem.field
    assert "needs key" in problem.message
    assert problem.location.line == line_of(text, "provider: aws-kms")


def test_builtin_with_a_key_is_refused(minimal_text: str) -> None:
    text = minimal_text + "hardening:\n  encryptionAtRest: {provider: builtin, key: abc}\n"
    [problem] = problems(text)
    assert "never appears in Git" in problem.message


@pytest.mark.parametrize(
    ("snippet", "needle", "field"),
    [
        ("hardening: {audit: {level: Everything}}", "Everything", "hardening.audit.level"),
        ("hardening: {audit: {maxAge: 0}}", "maxAge", "hardening.audit.maxAge"),
        (
            "hardening: {encryptionAtRest: {keyRotation: soon}}",
            "soon",
            "hardening.encryptionAtRest.keyRotation",
        ),
        ("hardening: {cis: maybe}", "maybe", "hardening.cis"),
        ("hardening: {fips: true}", "fips", "hardening.fips"),
    ],
)
def test_bad_values_name_file_line_and_field(
    minimal_text: str, snippet: str, needle: str, field: str
) -> None:
    text = minimal_text + snippet + "\n"
    found = problems(text)
    assert found, snippet
    assert any(p.field.startswith(field) for p in found), [str(p) for p in found]
    assert all(p.location.line == line_of(text, needle) for p in found)
    assert all(str(p).startswith("platform.yaml:") for p in found)


def test_vault_kms_defaults_its_transit_key(minimal_text: str) -> None:
    text = minimal_text + "hardening: {encryptionAtRest: {provider: vault-kms, keyRotation: 90d}}\n"
    hardening = load_spec_text(text, "platform.yaml").platform.hardening
    assert hardening is not None
    assert hardening.encryptionAtRest.transit_key == "kubernetes-secrets"


@pytest.mark.parametrize(
    "address", ["http://vault.corp.example", "vault.corp.example", "https://user@vault.corp"]
)
def test_a_vault_address_must_be_an_https_url(minimal_text: str, address: str) -> None:
    text = minimal_text + (
        f"hardening:\n  encryptionAtRest:\n    provider: vault-kms\n    vaultAddress: {address}\n"
    )
    [problem] = problems(text)
    assert problem.field == "hardening.encryptionAtRest.vaultAddress"
    assert problem.location.line == line_of(text, "vaultAddress")


def test_a_vault_address_belongs_to_vault_kms_only(minimal_text: str) -> None:
    text = minimal_text + (
        "hardening:\n  encryptionAtRest:\n    provider: builtin\n"
        "    vaultAddress: https://vault.corp.example\n"
    )
    [problem] = problems(text)
    assert "provider builtin does not use it" in problem.message


def test_an_external_vault_address_is_kept(minimal_text: str) -> None:
    text = minimal_text + (
        "hardening: {encryptionAtRest: {provider: vault-kms, "
        "vaultAddress: 'https://vault.corp.example:8200'}}\n"
    )
    hardening = load_spec_text(text, "platform.yaml").platform.hardening
    assert hardening is not None
    assert hardening.encryptionAtRest.vaultAddress == "https://vault.corp.example:8200"

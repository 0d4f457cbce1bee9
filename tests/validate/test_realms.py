"""Realm files inside Keycloak's realm ConfigMaps are checked against Keycloak's realm
schema (the KeycloakRealmImport CRD's ``spec.realm``), located at their line in the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.plan import make_plan
from stackyard.render.build import render_plan
from stackyard.spec import load_spec_text
from stackyard.validate.realms import check_realm, check_realms, is_realm_configmap
from stackyard.validate.repository import read_repository
from stackyard.validate.run import validate_directory

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
REALM = "manifests/prod/keycloak/realm-platform.yaml"


@pytest.fixture(scope="module")
def enterprise(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The aws-enterprise example (directory, groups, MFA, SAML and OIDC) rendered."""
    text = (EXAMPLES / "aws-enterprise.yaml").read_text(encoding="utf-8")
    plan = make_plan(load_spec_text(text, "platform.yaml", EXAMPLES))
    root = tmp_path_factory.mktemp("enterprise")
    for path, content in render_plan(plan):
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
    return root


def planted(root: Path, tmp_path: Path, old: str, new: str) -> tuple[Path, str]:
    """A copy of the realm ConfigMap with one fault, alone in a tree."""
    text = (root / REALM).read_text(encoding="utf-8")
    assert old in text, old
    text = text.replace(old, new, 1)
    target = tmp_path / REALM
    target.parent.mkdir(parents=True)
    target.write_text(text, encoding="utf-8")
    return tmp_path, text


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_rendered_realms_are_valid(enterprise: Path) -> None:
    repository = read_repository(enterprise)
    realms = [p for p, d in repository.objects() if is_realm_configmap(d.data)]
    assert REALM in realms
    assert list(check_realms(repository)) == []


def test_the_schema_is_keycloaks_realm_representation() -> None:
    assert check_realm({"realm": "x", "enabled": True, "browserFlow": "browser"}) == []
    (problem,) = check_realm({"realm": "x", "browserFlows": "browser"})
    assert problem.path == "browserFlows"
    assert "unknown field" in problem.message and "browserFlow" in problem.message


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        (
            '"bruteForceProtected": true',
            '"bruteForceProtected": "yes"',
            '"bruteForceProtected"',
            "bruteForceProtected: expected boolean, got string",
        ),
        (
            '"providerId": "group-ldap-mapper",',
            '"providerId": "group-ldap-mapper",\n                "priority": 3,',
            '"priority": 3,',
            "unknown field",
        ),
        (
            '"requirement": "ALTERNATIVE",',
            '"requirement": ["ALTERNATIVE"],',
            '"requirement": ["ALTERNATIVE"]',
            "requirement: expected string, got array",
        ),
    ],
)
def test_a_planted_fault_is_an_error_at_its_line(
    enterprise: Path, tmp_path: Path, old: str, new: str, needle: str, message: str
) -> None:
    root, text = planted(enterprise, tmp_path, old, new)
    (finding,) = check_realms(read_repository(root))
    assert finding.severity == "error"
    assert finding.location.file.endswith(REALM)
    assert finding.location.line == line_of(text, needle)
    assert message in finding.message
    assert finding.message.startswith("ConfigMap keycloak-realm-platform platform-realm.json")


def test_validate_reports_it_and_fails(enterprise: Path, tmp_path: Path) -> None:
    root, _ = planted(enterprise, tmp_path, '"enabled": true', '"enabled": 1')
    report = validate_directory(root)
    assert [f.check for f in report.findings if f.severity == "error"] == ["realm"]


def test_a_realm_file_that_is_not_json_is_an_error(enterprise: Path, tmp_path: Path) -> None:
    root, text = planted(enterprise, tmp_path, '"realm": "platform",', '"realm": platform,')
    (finding,) = check_realms(read_repository(root))
    assert "not JSON" in finding.message
    assert finding.location.line == line_of(text, '"realm": platform,')

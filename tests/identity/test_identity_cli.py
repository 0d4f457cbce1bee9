"""``stackyard identity check`` as a user runs it: text, JSON matching its schema, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from stackyard.cli.main import app
from tests.app.schemas import assert_matches, printed
from tests.identity.conftest import WriteSpec, directory_yaml
from tests.servers import free_port
from tests.slapd import BIND_PASSWORD, PEOPLE, Slapd

TLS = "      tls: {caFile: ca.pem}\n"


@pytest.fixture(autouse=True)
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LDAP_BIND_PASSWORD", BIND_PASSWORD)


def test_json_of_a_directory_that_works(write_spec: WriteSpec, slapd: Slapd) -> None:
    spec = write_spec(directory_yaml(slapd.ldaps_url, extra=TLS))
    data = printed("identity", "check", str(spec), "--password-env", "LDAP_BIND_PASSWORD")
    assert_matches("directory-check", data)
    (directory,) = data["directories"]
    assert directory["ok"] and directory["bound"] and directory["users"]["count"] == PEOPLE
    assert data["summary"] == {"directories": 1, "failed": 0}


def test_json_of_faults_exits_1(write_spec: WriteSpec, slapd: Slapd) -> None:
    spec = write_spec(
        directory_yaml(slapd.ldaps_url, users_base="ou=nobody,dc=example,dc=com", extra=TLS),
        directory_yaml(f"ldap://127.0.0.1:{free_port()}", name="down"),
    )
    data = printed("identity", "check", str(spec), "--password-env", "LDAP_BIND_PASSWORD", code=1)
    assert_matches("directory-check", data)
    checks = [[f["check"] for f in d["findings"]] for d in data["directories"]]
    assert checks == [["directory-base-dn"], ["directory-cleartext", "directory-unreachable"]]
    assert data["summary"] == {"directories": 2, "failed": 2}


def test_text_names_counts_samples_and_findings(
    write_spec: WriteSpec, slapd: Slapd, tmp_path: Path
) -> None:
    spec = write_spec(directory_yaml(slapd.ldaps_url, extra=TLS))
    secret = tmp_path / "password"
    secret.write_text(BIND_PASSWORD, encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["identity", "check", str(spec), "--password-file", str(secret)],
        env={"COLUMNS": "300"},
    )
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "corp (ldap, ldaps://127.0.0.1:" in out
    assert "bind as cn=keycloak,ou=services,dc=example,dc=com: ok (encrypted)" in out
    assert (
        f"users: {PEOPLE} under ou=people,dc=example,dc=com matching (objectClass=inetOrgPerson)"
        in out
    )
    assert "sample: user00, user01, user02, user03, user04" in out
    assert "groups: 3 under ou=groups,dc=example,dc=com" in out
    assert "members of platform-admins: 2 listed; resolved to users: user00, user01" in out
    assert "1 directory checked: 1 ok, 0 with errors" in out


def test_text_of_a_wrong_password_exits_1_and_says_why(
    write_spec: WriteSpec, slapd: Slapd, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LDAP_BIND_PASSWORD", "wrong")
    spec = write_spec(directory_yaml(slapd.ldaps_url, extra=TLS))
    result = CliRunner().invoke(
        app,
        ["identity", "check", str(spec), "--password-env", "LDAP_BIND_PASSWORD"],
        env={"COLUMNS": "300"},
    )
    assert result.exit_code == 1
    assert "bind as cn=keycloak,ou=services,dc=example,dc=com: failed" in result.stdout
    assert "invalid credentials" in result.stdout
    assert "directory 'corp' has 1 error finding" in result.stderr


def test_no_password_is_bad_input(write_spec: WriteSpec, slapd: Slapd) -> None:
    spec = write_spec(directory_yaml(slapd.ldaps_url, extra=TLS))
    result = CliRunner().invoke(app, ["identity", "check", str(spec)])
    assert result.exit_code == 2
    assert "the bind password is needed" in result.stderr


def test_a_literal_password_in_the_spec_is_bad_input(write_spec: WriteSpec, slapd: Slapd) -> None:
    text = directory_yaml(slapd.ldaps_url).replace(
        "bindPassword: {secret: ldap-bind, key: password}", "bindPassword: hunter2"
    )
    spec = write_spec(text)
    result = CliRunner().invoke(
        app, ["identity", "check", str(spec), "--password-env", "LDAP_BIND_PASSWORD"]
    )
    assert result.exit_code == 2
    assert "write no password in the spec" in result.stderr
    assert "hunter2" not in result.stderr

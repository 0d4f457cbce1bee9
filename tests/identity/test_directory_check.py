"""``identity check`` against a real OpenLDAP server: what Keycloak's searches find, and
each fault reported as a finding at the spec field to fix."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from stackyard.app import DirectoryCheckResult, check_directories
from stackyard.errors import InputError
from stackyard.findings import Finding
from stackyard.identity import check_directory
from stackyard.spec import load_spec
from tests.identity.conftest import WriteSpec, directory_yaml
from tests.servers import free_port
from tests.slapd import (
    BIND_DN,
    BIND_PASSWORD,
    GROUPS,
    HARD_SIZE_LIMIT,
    PEOPLE,
    PEOPLE_DN,
    Slapd,
)


def check(spec: Path, password: str = BIND_PASSWORD, **options: object) -> DirectoryCheckResult:
    return check_directories(
        spec, password_env="BIND_PASSWORD", environ={"BIND_PASSWORD": password}, **options
    )  # type: ignore[arg-type]


def only_error(result: DirectoryCheckResult) -> Finding:
    (report,) = result.directories
    errors = report.errors
    assert len(errors) == 1, [str(f) for f in report.findings]
    return errors[0]


def line_of(spec: Path, needle: str) -> int:
    lines = spec.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if needle in line)


def test_ldaps_with_the_declared_ca_finds_every_user_and_group(
    write_spec: WriteSpec, slapd: Slapd
) -> None:
    spec = write_spec(directory_yaml(slapd.ldaps_url, extra="      tls: {caFile: ca.pem}\n"))
    result = check(spec)
    assert not result.failed, result.reasons
    (report,) = result.directories
    assert report.bound and report.encrypted and report.findings == ()
    assert report.users is not None and report.groups is not None
    # more users than a search without paging may return: the search pages, as Keycloak does
    assert PEOPLE > HARD_SIZE_LIMIT
    assert report.users.count == PEOPLE
    assert report.users.sample == ("user00", "user01", "user02", "user03", "user04")
    assert report.groups.count == len(GROUPS)
    assert set(report.groups.sample) == set(GROUPS)
    members = report.members
    assert members is not None
    assert members.listed == len(GROUPS[members.group])
    assert list(members.resolved) == GROUPS[members.group][:5]
    assert members.unresolved == ()


def test_starttls_with_the_declared_ca_binds(write_spec: WriteSpec, slapd: Slapd) -> None:
    extra = "      tls: {startTLS: true, caFile: ca.pem}\n"
    result = check(write_spec(directory_yaml(slapd.ldap_url, extra=extra)))
    assert not result.failed, result.reasons
    assert result.directories[0].encrypted


def test_plain_ldap_works_but_warns_that_the_password_crosses_in_clear(
    write_spec: WriteSpec, slapd: Slapd
) -> None:
    spec = write_spec(directory_yaml(slapd.ldap_url))
    result = check(spec)
    assert not result.failed
    (finding,) = result.directories[0].findings
    assert (finding.check, finding.severity) == ("directory-cleartext", "warning")
    assert finding.location.line == line_of(spec, "url:")


def test_a_base_dn_that_does_not_exist(write_spec: WriteSpec, slapd: Slapd) -> None:
    base = "ou=staff,dc=example,dc=com"
    spec = write_spec(
        directory_yaml(slapd.ldaps_url, users_base=base, extra="      tls: {caFile: ca.pem}\n")
    )
    result = check(spec)
    assert result.failed
    finding = only_error(result)
    assert finding.check == "directory-base-dn"
    assert f"the users base DN {base!r} does not exist (noSuchObject)" in finding.message
    assert finding.field == "identity.directories[0].users.baseDN"
    assert finding.location.file == str(spec)
    assert finding.location.line == line_of(spec, "users:")
    assert result.reasons == ("directory 'corp' has 1 error finding",)


def test_a_filter_matching_nothing(write_spec: WriteSpec, slapd: Slapd) -> None:
    spec = write_spec(
        directory_yaml(
            slapd.ldaps_url,
            users_filter="(objectClass=posixAccount)",
            extra="      tls: {caFile: ca.pem}\n",
        )
    )
    result = check(spec)
    finding = only_error(result)
    assert finding.check == "directory-empty"
    assert "no user under 'ou=people,dc=example,dc=com' matches '(objectClass=posixAccount)'" in (
        finding.message
    )
    assert finding.field == "identity.directories[0].users.filter"
    assert result.directories[0].users is not None
    assert result.directories[0].users.count == 0


def test_a_filter_that_does_not_parse(write_spec: WriteSpec, slapd: Slapd) -> None:
    spec = write_spec(
        directory_yaml(
            slapd.ldaps_url,
            groups_filter="(objectClass=group",
            extra="      tls: {caFile: ca.pem}\n",
        )
    )
    finding = only_error(check(spec))
    assert finding.check == "directory-filter"
    assert "the groups filter '(objectClass=group' is not an LDAP filter" in finding.message
    assert finding.field == "identity.directories[0].groups.filter"


def test_a_wrong_password(write_spec: WriteSpec, slapd: Slapd) -> None:
    spec = write_spec(directory_yaml(slapd.ldaps_url, extra="      tls: {caFile: ca.pem}\n"))
    result = check(spec, password="not-the-password")
    finding = only_error(result)
    assert finding.check == "directory-bind"
    assert "invalid credentials for 'cn=keycloak,ou=services,dc=example,dc=com'" in finding.message
    assert "Secret 'ldap-bind' (key 'password')" in finding.hint
    assert not result.directories[0].bound
    assert result.directories[0].users is None


def test_a_certificate_from_an_unknown_ca(write_spec: WriteSpec, slapd: Slapd) -> None:
    spec = write_spec(directory_yaml(slapd.ldaps_url, extra="      tls: {caFile: other-ca.pem}\n"))
    finding = only_error(check(spec))
    assert finding.check == "directory-tls"
    assert "the server's certificate is not signed by the CA in tls.caFile" in finding.message
    assert finding.field == "identity.directories[0].tls.caFile"


def test_starttls_with_an_unknown_ca(write_spec: WriteSpec, slapd: Slapd) -> None:
    extra = "      tls: {startTLS: true, caFile: other-ca.pem}\n"
    finding = only_error(check(write_spec(directory_yaml(slapd.ldap_url, extra=extra))))
    assert finding.check == "directory-tls"
    assert "not signed by the CA in tls.caFile" in finding.message


def test_without_a_ca_file_the_system_cas_do_not_trust_a_private_ca(
    write_spec: WriteSpec, slapd: Slapd
) -> None:
    finding = only_error(check(write_spec(directory_yaml(slapd.ldaps_url))))
    assert finding.check == "directory-tls"
    assert "not signed by the system's trusted CAs" in finding.message


def test_a_certificate_that_does_not_name_the_host(write_spec: WriteSpec, slapd: Slapd) -> None:
    url = f"ldaps://localhost:{slapd.ldaps_port}"  # the certificate names 127.0.0.1 only
    finding = only_error(
        check(write_spec(directory_yaml(url, extra="      tls: {caFile: ca.pem}\n")))
    )
    assert finding.check == "directory-tls"
    assert "the server's certificate does not name 'localhost'" in finding.message


def test_a_server_that_is_down(write_spec: WriteSpec) -> None:
    spec = write_spec(directory_yaml(f"ldap://127.0.0.1:{free_port()}"))
    finding = only_error(check(spec))
    assert finding.check == "directory-unreachable"
    assert "cannot connect to 127.0.0.1:" in finding.message
    assert finding.location.line == line_of(spec, "url:")


def test_a_server_that_never_answers_times_out(write_spec: WriteSpec) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # accepts connections (in the backlog) and never says a word
        port = silent.getsockname()[1]
        spec = write_spec(directory_yaml(f"ldap://127.0.0.1:{port}"))
        finding = only_error(check(spec, timeout=1))
    assert finding.check == "directory-unreachable"
    assert "did not answer within 1 seconds" in finding.message


def test_members_outside_the_user_search_are_reported(write_spec: WriteSpec, slapd: Slapd) -> None:
    # Only user00..user09 match: the other groups' members are not users Keycloak imports.
    spec = write_spec(
        directory_yaml(
            slapd.ldaps_url,
            users_filter="(&(objectClass=inetOrgPerson)(uid=user0*))",
            groups_filter="(cn=viewers)",
            extra="      tls: {caFile: ca.pem}\n",
        )
    )
    result = check(spec)
    assert not result.failed
    report = result.directories[0]
    assert report.members is not None and report.members.resolved == ()
    (finding,) = report.findings
    assert (finding.check, finding.severity) == ("directory-members", "warning")
    assert "5 of the first 5 members of group 'viewers' are not users" in finding.message


def test_a_missing_attribute_is_named(write_spec: WriteSpec, slapd: Slapd) -> None:
    extra = "      tls: {caFile: ca.pem}\n"
    text = directory_yaml(slapd.ldaps_url, extra=extra).replace(
        'users: {baseDN: "ou=people,dc=example,dc=com"}',
        'users: {baseDN: "ou=people,dc=example,dc=com", usernameAttribute: employeeNumber}',
    )
    finding = only_error(check(write_spec(text)))
    assert finding.check == "directory-attribute"
    assert "no user found has the attribute 'employeeNumber'" in finding.message
    assert finding.field == "identity.directories[0].users.usernameAttribute"


def test_each_directory_is_reported_and_one_can_be_chosen(
    write_spec: WriteSpec, slapd: Slapd
) -> None:
    spec = write_spec(
        directory_yaml(slapd.ldaps_url, extra="      tls: {caFile: ca.pem}\n"),
        directory_yaml(f"ldap://127.0.0.1:{free_port()}", name="legacy"),
    )
    both = check(spec)
    assert [d.name for d in both.directories] == ["corp", "legacy"]
    assert [d.failed for d in both.directories] == [False, True]
    assert both.reasons == ("directory 'legacy' has 1 error finding",)
    chosen = check(spec, directory="corp")
    assert [d.name for d in chosen.directories] == ["corp"] and not chosen.failed


def test_the_password_comes_from_a_file(
    write_spec: WriteSpec, slapd: Slapd, tmp_path: Path
) -> None:
    spec = write_spec(directory_yaml(slapd.ldaps_url, extra="      tls: {caFile: ca.pem}\n"))
    secret = tmp_path / "bind-password"
    secret.write_text(BIND_PASSWORD + "\n", encoding="utf-8")
    assert not check_directories(spec, password_file=secret).failed


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "the bind password is needed"),
        ({"password_env": "UNSET_VARIABLE", "environ": {}}, "UNSET_VARIABLE is not set"),
        (
            {"password_env": "X", "password_file": Path("f"), "environ": {}},
            "not both",
        ),
        ({"password_env": "X", "environ": {"X": "y"}, "directory": "nope"}, "unknown directory"),
    ],
)
def test_bad_input_is_refused_before_connecting(
    write_spec: WriteSpec, slapd: Slapd, options: dict[str, object], message: str
) -> None:
    spec = write_spec(directory_yaml(slapd.ldap_url))
    with pytest.raises(InputError) as info:
        check_directories(spec, **options)  # type: ignore[arg-type]
    assert message in str(info.value)


def test_a_missing_ca_file_is_refused_at_its_line(write_spec: WriteSpec, slapd: Slapd) -> None:
    spec = write_spec(directory_yaml(slapd.ldaps_url, extra="      tls: {caFile: missing.pem}\n"))
    with pytest.raises(InputError) as info:
        check(spec)
    (problem,) = info.value.problems
    assert problem.location.line == line_of(spec, "caFile")
    assert problem.field == "identity.directories[0].tls.caFile"


def test_a_spec_without_directories_is_refused(write_spec: WriteSpec) -> None:
    spec = write_spec()
    spec.write_text(spec.read_text(encoding="utf-8").replace("identity:\n  directories:\n", ""))
    with pytest.raises(InputError, match="declares no directory"):
        check(spec)


def test_without_paging_the_server_returns_only_its_size_limit(slapd: Slapd) -> None:
    """The test directory's limit is real: a client that does not page misses users."""
    bind = ["-x", "-H", slapd.ldap_url, "-D", BIND_DN, "-w", BIND_PASSWORD]
    done = subprocess.run(
        ["ldapsearch", "-LLL", *bind, "-b", PEOPLE_DN, "(objectClass=inetOrgPerson)", "uid"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 4, done.stderr  # sizeLimitExceeded
    assert done.stdout.count("dn: ") == HARD_SIZE_LIMIT < PEOPLE


def test_small_pages_are_followed_to_the_last(write_spec: WriteSpec, slapd: Slapd) -> None:
    spec = write_spec(directory_yaml(slapd.ldaps_url, extra="      tls: {caFile: ca.pem}\n"))
    loaded = load_spec(spec)
    (directory,) = loaded.platform.identity.directories
    report = check_directory(
        directory,
        BIND_PASSWORD,
        document=loaded.document,
        index=0,
        ca_data=slapd.ca_file.read_text(encoding="ascii"),
        page_size=7,
        sample_size=30,
    )
    assert not report.failed, [str(f) for f in report.findings]
    assert report.users is not None and report.users.count == PEOPLE  # 4 pages
    assert report.users.sample == tuple(f"user{n:02d}" for n in range(PEOPLE))

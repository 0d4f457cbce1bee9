"""The identity section: directories with per-type defaults, and the errors that keep
passwords out of the spec and the company directory read-only."""

from __future__ import annotations

import pytest

from stackyard.errors import Problem, SpecError
from stackyard.spec import load_spec_text

DIRECTORY = """
identity:
  directories:
    - name: corp
      type: {type}
      url: {url}
      bindDN: cn=keycloak,ou=services,dc=example,dc=com
      bindPassword: {password}
      users: {{baseDN: "ou=people,dc=example,dc=com"}}
      groups: {{baseDN: "ou=groups,dc=example,dc=com"}}
{extra}"""


def spec(minimal_text: str, **values: str) -> str:
    fields = {
        "type": "ldap",
        "url": "ldaps://ldap.example.com",
        "password": "{secret: ldap-bind, key: password}",
        "extra": "",
        **values,
    }
    return minimal_text + DIRECTORY.format(**fields)


def problems(text: str) -> list[Problem]:
    with pytest.raises(SpecError) as info:
        load_spec_text(text, "platform.yaml")
    return info.value.problems


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_no_identity_section_declares_no_directory(minimal_text: str) -> None:
    platform = load_spec_text(minimal_text, "platform.yaml").platform
    assert platform.identity.directories == []


@pytest.mark.parametrize(
    ("kind", "user_filter", "username", "uuid", "group_filter"),
    [
        ("ldap", "(objectClass=inetOrgPerson)", "uid", "entryUUID", "(objectClass=groupOfNames)"),
        (
            "active-directory",
            "(&(objectClass=user)(objectCategory=person))",
            "sAMAccountName",
            "objectGUID",
            "(objectClass=group)",
        ),
    ],
)
def test_each_type_fills_in_keycloaks_defaults(
    minimal_text: str, kind: str, user_filter: str, username: str, uuid: str, group_filter: str
) -> None:
    platform = load_spec_text(spec(minimal_text, type=kind), "platform.yaml").platform
    directory = platform.identity.directory("corp")
    assert directory is not None and directory.groups is not None
    assert directory.users.filter == user_filter
    assert directory.users.usernameAttribute == username
    assert directory.users.uuidAttribute == uuid
    assert directory.groups.filter == group_filter
    assert (directory.groups.nameAttribute, directory.groups.memberAttribute) == ("cn", "member")
    assert directory.editMode == "READ_ONLY"
    assert (directory.host, directory.port, directory.encrypted) == ("ldap.example.com", 636, True)


def test_a_declared_filter_wins_over_the_default(minimal_text: str) -> None:
    text = spec(minimal_text).replace(
        'users: {baseDN: "ou=people,dc=example,dc=com"}',
        'users: {baseDN: "ou=people,dc=example,dc=com", filter: "(objectClass=person)"}',
    )
    directory = load_spec_text(text, "platform.yaml").platform.identity.directories[0]
    assert directory.users.filter == "(objectClass=person)"
    assert directory.users.usernameAttribute == "uid"


def test_a_literal_password_is_refused_at_its_line(minimal_text: str) -> None:
    text = spec(minimal_text, password="hunter2")
    (problem,) = problems(text)
    assert problem.location.line == line_of(text, "bindPassword:")
    assert "bindPassword" in problem.field
    assert "write no password in the spec" in problem.message
    assert "hunter2" not in str(problem)


def test_writable_is_refused_with_the_reason(minimal_text: str) -> None:
    text = spec(minimal_text, extra="      editMode: WRITABLE\n")
    (problem,) = problems(text)
    assert problem.location.line == line_of(text, "editMode:")
    assert "never write to the company directory" in problem.message


@pytest.mark.parametrize(
    "url",
    ["http://ldap.example.com", "ldap://", "ldaps://ldap.example.com:99999", "ldap://a b"],
)
def test_a_url_that_is_not_ldap_is_refused(minimal_text: str, url: str) -> None:
    text = spec(minimal_text, url=url)
    (problem,) = problems(text)
    assert problem.location.line == line_of(text, "url:")
    assert problem.field.endswith("url")


def test_starttls_on_ldaps_is_refused(minimal_text: str) -> None:
    text = spec(minimal_text, extra="      tls: {startTLS: true}\n")
    (problem,) = problems(text)
    assert "StartTLS" in problem.message or "startTLS" in problem.message


def test_a_ca_file_outside_the_spec_folder_is_refused(minimal_text: str) -> None:
    text = spec(minimal_text, extra="      tls: {caFile: ../ca.pem}\n")
    (problem,) = problems(text)
    assert problem.location.line == line_of(text, "caFile")
    assert "relative to the spec file's folder" in problem.message


def test_a_directory_name_given_twice_is_located_at_the_second(minimal_text: str) -> None:
    text = spec(minimal_text)
    entry = text.split("  directories:\n", 1)[1]
    text += entry.replace("name: corp", "name: corp")
    (problem,) = problems(text)
    assert problem.location.line == len(text.splitlines()) - len(entry.splitlines()) + 1
    assert problem.field == "identity.directories[1].name"
    assert "already used by identity.directories[0]" in problem.message


def test_an_unknown_key_beside_directories_is_an_error(minimal_text: str) -> None:
    text = minimal_text + "identity:\n  mfa: {required: true}\n"
    (problem,) = problems(text)
    assert "mfa" in str(problem)

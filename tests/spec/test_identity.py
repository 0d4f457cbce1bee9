"""The identity section: directories with per-type defaults, and the errors that keep
passwords out of the spec and the company directory read-only."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.errors import Problem, SpecError
from stackyard.spec import load_spec_text

SPEC_DATA = Path(__file__).resolve().parent / "data"

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
    text = minimal_text + "identity:\n  roles: []\n"
    (problem,) = problems(text)
    assert "roles" in str(problem)


# Groups, MFA and applications, on a spec with a tenant and a directory that reads groups.
ACCESS = """tenants:
  - name: shop
    clusters: [one]
identity:
  directories:
    - name: corp
      type: ldap
      url: ldaps://ldap.example.com
      bindDN: cn=keycloak,ou=services,dc=example,dc=com
      bindPassword: {{secret: ldap-bind, key: password}}
      users: {{baseDN: "ou=people,dc=example,dc=com"}}
      groups: {{baseDN: "ou=groups,dc=example,dc=com"}}
{extra}"""


def access(minimal_text: str, extra: str) -> str:
    return minimal_text + ACCESS.format(extra=extra)


def test_groups_mfa_and_applications_load_with_their_defaults(minimal_text: str) -> None:
    text = access(
        minimal_text,
        "  mfa: {methods: [webauthn, otp]}\n"
        "  groups:\n"
        "    - {name: Platform Admins, directory: corp, role: platform-admin}\n"
        "    - {name: shop-devs, role: developer, tenant: shop, clusters: [one]}\n"
        "    - {name: readers, role: viewer}\n"
        "  samlProviders:\n"
        "    - {name: erp, entityId: 'urn:example:erp', acsUrl: https://erp.example.com/acs}\n"
        "  oidcClients:\n"
        "    - {name: wiki, redirectUris: ['https://wiki.example.com/*', 'http://localhost:8080/cb']}\n",
    )
    identity = load_spec_text(text, "platform.yaml").platform.identity
    assert identity.mfa is not None
    assert (identity.mfa.methods, identity.mfa.required) == (["webauthn", "otp"], "admins")
    assert [g.name for g in identity.admin_groups()] == ["Platform Admins"]
    group = identity.group("shop-devs")
    assert group is not None and (group.directory, group.tenant) == (None, "shop")
    (saml,) = identity.samlProviders
    assert (saml.nameIdFormat, saml.signAssertions) == ("email", True)
    assert identity.oidcClients[0].public is False


@pytest.mark.parametrize(
    ("group", "message"),
    [
        ("{name: devs, role: developer}", "role developer is a tenant's: name the tenant"),
        ("{name: admins, role: tenant-admin}", "role tenant-admin is a tenant's"),
        ("{name: admins, role: platform-admin, tenant: shop}", "drop tenant 'shop'"),
        ("{name: audit, role: auditor, tenant: shop}", "drop tenant 'shop'"),
        ("{name: a/b, role: viewer}", "should match pattern"),
    ],
)
def test_a_tenant_is_required_or_refused_by_the_role(
    minimal_text: str, group: str, message: str
) -> None:
    text = access(minimal_text, f"  groups:\n    - {group}\n")
    (problem,) = problems(text)
    assert problem.location.line == line_of(text, group)
    assert problem.field.startswith("identity.groups[0]")
    assert message in problem.message


@pytest.mark.parametrize(
    ("group", "field", "message", "hint"),
    [
        (
            "{name: devs, role: developer, tenant: web}",
            "identity.groups[0].tenant",
            "unknown tenant 'web'",
            "tenants are: shop",
        ),
        (
            "{name: devs, role: viewer, directory: hr}",
            "identity.groups[0].directory",
            "unknown directory 'hr'",
            "directories are: corp",
        ),
        (
            "{name: devs, role: viewer, clusters: [two]}",
            "identity.groups[0].clusters[0]",
            "unknown cluster 'two'",
            "clusters are: one",
        ),
    ],
)
def test_a_group_names_only_what_the_spec_declares(
    minimal_text: str, group: str, field: str, message: str, hint: str
) -> None:
    text = access(minimal_text, f"  groups:\n    - {group}\n")
    (problem,) = problems(text)
    assert problem.location.line == line_of(text, group)
    assert (problem.field, problem.message) == (field, message)
    assert hint in problem.hint


def test_a_group_of_a_directory_without_a_group_search_is_refused(minimal_text: str) -> None:
    text = access(minimal_text, "  groups:\n    - {name: devs, role: viewer, directory: corp}\n")
    text = text.replace('      groups: {baseDN: "ou=groups,dc=example,dc=com"}\n', "")
    (problem,) = problems(text)
    assert problem.field == "identity.groups[0].directory"
    assert "has no group search" in problem.message


def test_a_group_mapped_twice_is_located_at_the_second(minimal_text: str) -> None:
    text = access(
        minimal_text,
        "  groups:\n    - {name: devs, role: viewer}\n"
        "    - {name: devs, role: developer, tenant: shop}\n",
    )
    (problem,) = problems(text)
    assert problem.field == "identity.groups[1].name"
    assert problem.location.line == line_of(text, "role: developer")
    assert "already mapped by identity.groups[0]" in problem.message


@pytest.mark.parametrize(
    ("mfa", "message"),
    [
        ("{methods: []}", "at least 1 item"),
        ("{methods: [otp, otp]}", "method 'otp' is given twice"),
        ("{methods: [sms]}", "'sms' is not one of: otp, webauthn"),
        ("{methods: [otp], required: all}", "not one of: admins, everyone, none"),
    ],
)
def test_an_mfa_policy_is_checked(minimal_text: str, mfa: str, message: str) -> None:
    text = access(minimal_text, f"  mfa: {mfa}\n")
    (problem,) = problems(text)
    assert problem.location.line == line_of(text, "mfa:")
    assert message in problem.message


@pytest.mark.parametrize(
    ("application", "message"),
    [
        (
            "samlProviders:\n    - {name: erp, entityId: 'https://erp', acsUrl: 'http://erp.example.com/acs'}",
            "plain http",
        ),
        (
            "samlProviders:\n    - {name: erp, entityId: 'erp', acsUrl: 'https://erp.example.com/acs'}",
            "not an entity ID",
        ),
        (
            "oidcClients:\n    - {name: wiki, redirectUris: ['http://wiki.example.com/cb']}",
            "plain http",
        ),
        (
            "oidcClients:\n    - {name: wiki, redirectUris: ['wiki.example.com/cb']}",
            "not a redirect URI",
        ),
        ("oidcClients:\n    - {name: wiki, redirectUris: []}", "at least 1 item"),
        ("oidcClients:\n    - {name: Wiki, redirectUris: ['https://w.example.com/']}", "pattern"),
    ],
)
def test_an_application_address_is_https(minimal_text: str, application: str, message: str) -> None:
    text = access(minimal_text, f"  {application}\n")
    (problem,) = problems(text)
    assert problem.location.line == len(text.splitlines())
    assert message in problem.message


def test_application_names_are_unique_across_saml_and_oidc(minimal_text: str) -> None:
    text = access(
        minimal_text,
        "  samlProviders:\n"
        "    - {name: erp, entityId: 'urn:x:erp', acsUrl: https://erp.example.com/acs}\n"
        "    - {name: crm, entityId: 'urn:x:erp', acsUrl: https://crm.example.com/acs}\n"
        "  oidcClients:\n    - {name: erp, redirectUris: [https://erp.example.com/cb]}\n",
    )
    found = {(p.field, p.location.line): p.message for p in problems(text)}
    assert found == {
        ("identity.oidcClients[0].name", len(text.splitlines())): "application name 'erp' is "
        "already used by identity.samlProviders[0]",
        ("identity.samlProviders[1].entityId", line_of(text, "name: crm")): "entity ID "
        "'urn:x:erp' is already used by identity.samlProviders[0]",
    }


def test_a_ca_file_is_read_with_the_spec_certificates_only(
    minimal_text: str, tmp_path: Path
) -> None:
    block = (SPEC_DATA / "ca" / "corp-ca.pem").read_text(encoding="ascii")
    # openssl's text around the block, as "openssl x509 -text" or a PKCS#12 export writes it
    (tmp_path / "ca.pem").write_text(f"Bag Attributes\nsubject=CN = corp\n{block}", "ascii")
    text = spec(minimal_text, extra="      tls: {caFile: ca.pem}\n")
    loaded = load_spec_text(text, "platform.yaml", tmp_path)
    assert loaded.directory_cas["corp"].pem == block


def test_a_missing_ca_file_is_refused_at_its_field(minimal_text: str, tmp_path: Path) -> None:
    text = spec(minimal_text, extra="      tls: {caFile: ca.pem}\n")
    with pytest.raises(SpecError) as info:
        load_spec_text(text, "platform.yaml", tmp_path)
    (problem,) = info.value.problems
    assert problem.location.line == line_of(text, "caFile")
    assert problem.field == "identity.directories[0].tls.caFile"
    assert "ca.pem: cannot read the CA file" in problem.message


def test_a_ca_file_linking_outside_the_spec_folder_is_refused(
    minimal_text: str, tmp_path: Path
) -> None:
    (tmp_path / "repo").mkdir()
    (tmp_path / "ca.pem").write_bytes((SPEC_DATA / "ca" / "corp-ca.pem").read_bytes())
    (tmp_path / "repo" / "ca.pem").symlink_to(tmp_path / "ca.pem")
    text = spec(minimal_text, extra="      tls: {caFile: ca.pem}\n")
    with pytest.raises(SpecError) as info:
        load_spec_text(text, "platform.yaml", tmp_path / "repo")
    (problem,) = info.value.problems
    assert "outside the spec's folder" in problem.message

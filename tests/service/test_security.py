"""How ``stackyard serve``'s options secure the service, decided before anything listens."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from stackyard.errors import InputError
from stackyard.service.auth import DEFAULT_GROUP_ROLES, parse_group_roles, roles_of
from stackyard.service.security import OPEN, SecurityOptions, security_from_options
from stackyard.service.sessions import cookie_secure
from stackyard.service.users import Role

ISSUER = "https://sso.example.com/realms/platform"


def _problems(error: pytest.ExceptionInfo[InputError]) -> list[str]:
    return [str(problem) for problem in error.value.problems]


def test_without_sign_in_only_loopback_is_served_unless_told_otherwise() -> None:
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert security_from_options(SecurityOptions(host=host)) is OPEN
    assert security_from_options(SecurityOptions(host="0.0.0.0", insecure_no_auth=True)) is OPEN
    with pytest.raises(InputError) as refused:
        security_from_options(SecurityOptions(host="10.0.0.5"))
    (problem,) = _problems(refused)
    assert problem.startswith("command line: --host: refusing to serve on 10.0.0.5 without sign-in")


def test_a_public_url_is_an_https_address_at_the_root_of_its_host() -> None:
    for url, problem in (
        ("fleet.example.com", "'fleet.example.com' is not an http(s) URL"),
        ("http://fleet.example.com", "http://fleet.example.com is plain HTTP to another host"),
        ("https://example.com/fleet", "https://example.com/fleet has a path"),
    ):
        with pytest.raises(InputError) as refused:
            security_from_options(SecurityOptions(host="127.0.0.1", public_url=url))
        assert _problems(refused)[0].startswith(f"command line: --public-url: {problem}")
    assert (
        security_from_options(
            SecurityOptions(host="127.0.0.1", public_url="https://fleet.example.com/")
        )
        is OPEN
    )


def test_sign_in_options_without_an_issuer_or_a_client_id_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError) as no_issuer:
        security_from_options(
            SecurityOptions(
                host="127.0.0.1", oidc_client_id="stackyard", oidc_group_roles=("ops=operator",)
            )
        )
    assert _problems(no_issuer) == [
        "command line: --oidc-client-id: needs --oidc-issuer",
        "command line: --oidc-group-role: needs --oidc-issuer",
    ]
    with pytest.raises(InputError) as incomplete:
        security_from_options(
            SecurityOptions(
                host="0.0.0.0",
                data_dir=tmp_path,
                oidc_issuer="http://sso.example.com",
                oidc_group_roles=("ops=root", "nobody"),
                insecure_no_auth=True,
            )
        )
    assert _problems(incomplete) == [
        "command line: --insecure-no-auth: contradicts --oidc-issuer: choose one",
        "command line: --oidc-issuer: http://sso.example.com is plain HTTP to another host "
        "(use https://; plain http only to a loopback address)",
        "command line: --oidc-client-id: is needed with --oidc-issuer",
        "command line: --oidc-group-role: 'root' is not a role (one of viewer, operator, admin)",
        "command line: --oidc-group-role: 'nobody' is not GROUP=ROLE",
    ]
    assert not (tmp_path / "session-secret").exists()


def test_the_session_secret_is_made_once_in_the_data_directory_readable_by_its_owner_only(
    tmp_path: Path,
) -> None:
    first = security_from_options(
        SecurityOptions(
            host="0.0.0.0", data_dir=tmp_path, oidc_issuer=ISSUER, oidc_client_id="stackyard"
        )
    )
    secret = tmp_path / "session-secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    again = security_from_options(
        SecurityOptions(
            host="0.0.0.0", data_dir=tmp_path, oidc_issuer=ISSUER, oidc_client_id="stackyard"
        )
    )
    assert first.session is not None and again.session is not None
    assert first.session.secret == again.session.secret
    assert len(first.session.secret) >= 32
    assert first.session.secret not in repr(first.oidc)
    assert first.session.secure  # a network address: browsers come over TLS
    assert first.oidc is not None and first.oidc.client_secret is None  # a public client
    assert first.oidc.group_roles == DEFAULT_GROUP_ROLES


def test_a_named_secret_file_must_exist_and_hold_a_long_enough_secret(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(InputError) as absent:
        security_from_options(
            SecurityOptions(
                host="127.0.0.1",
                oidc_issuer=ISSUER,
                oidc_client_id="stackyard",
                session_secret_file=missing,
            )
        )
    assert _problems(absent)[0].startswith(
        f"command line: --session-secret-file: cannot read {missing}"
    )
    assert not missing.exists()
    short = tmp_path / "short"
    short.write_text("hunter2\n", encoding="utf-8")
    with pytest.raises(InputError) as too_short:
        security_from_options(
            SecurityOptions(
                host="127.0.0.1",
                oidc_issuer=ISSUER,
                oidc_client_id="stackyard",
                session_secret_file=short,
            )
        )
    assert "holds 7 characters; a session secret needs at least 32" in _problems(too_short)[0]
    empty = tmp_path / "client-secret"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(InputError) as no_client_secret:
        security_from_options(
            SecurityOptions(
                host="127.0.0.1",
                data_dir=tmp_path,
                oidc_issuer=ISSUER,
                oidc_client_id="stackyard",
                oidc_client_secret_file=empty,
            )
        )
    assert _problems(no_client_secret) == [
        f"command line: --oidc-client-secret-file: {empty} is empty"
    ]


def test_the_cookie_is_secure_unless_browsers_use_plain_http_to_loopback() -> None:
    assert not cookie_secure("127.0.0.1", None)
    assert not cookie_secure("0.0.0.0", "http://localhost:8080")
    assert cookie_secure("0.0.0.0", None)
    assert cookie_secure("127.0.0.1", "https://fleet.example.com")
    assert cookie_secure("127.0.0.1", "http://fleet.example.com")


def test_groups_map_to_roles_with_or_without_keycloaks_leading_slash() -> None:
    mapping = parse_group_roles(["platform-team=operator", "sre=admin"])
    assert mapping == {"platform-team": Role.operator, "sre": Role.admin}
    assert roles_of(["/platform-team", "other"], mapping) == {Role.operator}
    assert roles_of(["stackyard-viewers"], mapping) == frozenset()
    assert parse_group_roles([]) == DEFAULT_GROUP_ROLES


def test_a_ca_file_for_the_provider_must_hold_a_certificate_and_needs_an_issuer(
    tmp_path: Path,
) -> None:
    not_pem = tmp_path / "ca.pem"
    not_pem.write_text("not a certificate\n", encoding="utf-8")
    with pytest.raises(InputError) as without_issuer:
        security_from_options(SecurityOptions(host="127.0.0.1", oidc_ca_file=not_pem))
    assert _problems(without_issuer) == ["command line: --oidc-ca-file: needs --oidc-issuer"]
    for path, problem in (
        (tmp_path / "missing.pem", f"there is no file {tmp_path / 'missing.pem'}"),
        (not_pem, f"{not_pem} holds no CA certificate"),
    ):
        with pytest.raises(InputError) as refused:
            security_from_options(
                SecurityOptions(
                    host="127.0.0.1",
                    data_dir=tmp_path,
                    oidc_issuer="https://sso.example.com/realms/platform",
                    oidc_client_id="stackyard",
                    oidc_ca_file=path,
                )
            )
        assert _problems(refused)[0].startswith(f"command line: --oidc-ca-file: {problem}")

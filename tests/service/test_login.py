"""Signing in through a real OIDC provider, against the service on a real socket.

Every test runs the whole flow as a browser does — the service's ``/login``, the provider's
form, the service's callback — with an HTTP client that follows no redirect, so each hop
is checked; on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import json
import ssl
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner

from stackyard.app import Fleet
from stackyard.service import create_app
from stackyard.service.csrf import FIELD
from stackyard.service.security import Security, SecurityOptions, security_from_options
from stackyard.service.sessions import COOKIE
from tests.oidc import (
    CLIENT_ID,
    CLIENT_SECRET,
    OidcProvider,
    authorize,
    oidc_provider,
    server_tls,
    sign_in,
    start_sign_in,
)
from tests.oidc_server import s256
from tests.servers import free_port, serve_in_thread, stop_serving
from tests.service.live import live_service
from tests.service.pagetext import hidden


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    """A client with a cookie jar that follows no redirect."""
    with httpx.Client(follow_redirects=False, timeout=30) as client:
        yield client


def _session(cookie: str) -> dict[str, Any]:
    """What a session cookie holds (signed, not encrypted: readable without the secret)."""
    payload = cookie.split(".")[0]
    document: dict[str, Any] = json.loads(base64.b64decode(payload))
    return document


def _signed(secret: str, session: dict[str, Any]) -> str:
    """A session cookie as the service would sign ``session`` with ``secret``."""
    payload = base64.b64encode(json.dumps(session).encode())
    return TimestampSigner(secret).sign(payload).decode()


def _with_cookie(url: str, cookie: str) -> httpx.Response:
    return httpx.get(url, headers={"Cookie": f"{COOKIE}={cookie}"}, timeout=30)


def test_signing_in_uses_pkce_and_keeps_only_name_roles_and_expiry_in_a_safe_cookie(
    service: str, browser: httpx.Client
) -> None:
    first = browser.get(f"{service}/platforms/x?tab=1")
    assert first.status_code == 303
    assert first.headers["location"] == "/login?next=%2Fplatforms%2Fx%3Ftab%3D1"

    authorization = start_sign_in(browser, service, "/")
    query = parse_qs(urlsplit(authorization).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43  # base64url of a SHA-256 digest
    assert query["redirect_uri"] == [f"{service}/auth/callback"]
    assert query["state"] and query["nonce"]
    assert "openid" in query["scope"][0].split()

    done = browser.get(authorize(browser, authorization, "vera"))
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/"
    set_cookie = done.headers["set-cookie"].lower()
    assert set_cookie.startswith(f"{COOKIE}=")
    assert "httponly" in set_cookie
    assert "samesite=lax" in set_cookie
    assert "max-age=28800" in set_cookie
    assert "secure" not in set_cookie  # plain HTTP on loopback: no TLS to send it over
    session = _session(browser.cookies[COOKIE])
    assert list(session) == ["user"]
    assert sorted(session["user"]) == ["expires", "name", "roles"]
    assert session["user"]["name"] == "vera"
    assert session["user"]["roles"] == ["viewer"]

    page = browser.get(f"{service}/")
    assert page.status_code == 200
    assert "vera" in page.text
    assert 'href="/logout"' in page.text
    assert browser.get(f"{service}/api/v1/platforms").status_code == 200


def test_the_api_answers_401_with_a_challenge_to_a_caller_without_session_or_token(
    service: str,
) -> None:
    anonymous = httpx.get(f"{service}/api/v1/platforms", timeout=30)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == 'Bearer realm="stackyard"'
    assert "sign in" in anonymous.json()["detail"]

    token = httpx.get(
        f"{service}/api/v1/platforms", headers={"Authorization": "Bearer nonsense"}, timeout=30
    )
    assert token.status_code == 401
    assert token.headers["www-authenticate"] == 'Bearer realm="stackyard", error="invalid_token"'


def test_a_viewer_may_read_but_not_change_and_an_operator_may_change(
    service: str, browser: httpx.Client, repositories: dict[str, Path], fleet: Fleet
) -> None:
    body = {"repository": str(repositories["community-poc"])}
    assert sign_in(browser, service, "vera").status_code == 303
    refused = browser.post(f"{service}/api/v1/platforms", json=body)
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "vera may not change platforms: it needs the operator role; membership of one of "
        "these groups grants it: stackyard-admins, stackyard-operators"
    )
    assert fleet.store.audit_events() == []

    with httpx.Client(follow_redirects=False, timeout=30) as other:
        assert sign_in(other, service, "otto").status_code == 303
        page = other.get(f"{service}/").text  # a change with the session needs its CSRF token
        headers = {"X-CSRF-Token": hidden(page, FIELD)}
        added = other.post(f"{service}/api/v1/platforms", json=body, headers=headers)
        assert added.status_code == 201, added.text
    (event,) = fleet.store.audit_events()
    assert (event.actor, event.action) == ("otto", "platform.add")
    assert browser.get(f"{service}/api/v1/platforms").json()["platforms"][0]["name"] == (
        "community-poc"
    )


def test_a_user_whose_groups_grant_no_role_gets_no_session_and_is_told_which_groups_do(
    service: str, browser: httpx.Client
) -> None:
    refused = sign_in(browser, service, "nemo")
    assert refused.status_code == 403
    assert "nemo signed in, but none of their groups grants access" in refused.text
    assert "stackyard-admins, stackyard-operators, stackyard-viewers" in refused.text
    assert browser.get(f"{service}/").status_code == 303
    assert browser.get(f"{service}/api/v1/platforms").status_code == 401


def test_a_callback_with_another_state_or_from_another_browser_is_refused(
    service: str, browser: httpx.Client
) -> None:
    callback = authorize(browser, start_sign_in(browser, service), "otto")
    forged = callback.replace("state=", "state=x")
    wrong_state = browser.get(forged)
    assert wrong_state.status_code == 400
    assert "its state does not match" in wrong_state.text

    callback = authorize(browser, start_sign_in(browser, service), "otto")
    elsewhere = httpx.get(callback, timeout=30)  # the code, but not the browser that asked
    assert elsewhere.status_code == 400
    assert COOKIE not in elsewhere.cookies
    assert browser.get(f"{service}/api/v1/platforms").status_code == 401


def test_a_flow_without_its_pkce_code_verifier_is_refused_before_the_code_is_used(
    service: str, browser: httpx.Client, oidc_security: Security
) -> None:
    assert oidc_security.session is not None
    authorization = start_sign_in(browser, service)
    flow = _session(browser.cookies[COOKIE])
    (key,) = [k for k in flow if k.startswith("_state_")]
    assert flow[key]["data"]["code_verifier"]
    del flow[key]["data"]["code_verifier"]
    callback = authorize(browser, authorization, "ada")

    refused = _with_cookie(callback, _signed(oidc_security.session.secret, flow))
    assert refused.status_code == 400
    assert "no PKCE code verifier" in refused.text

    # the code was not spent: the flow with its verifier still completes
    assert browser.get(callback).status_code == 303


def test_a_changed_or_expired_session_cookie_is_no_session(
    service: str, browser: httpx.Client, oidc_security: Security
) -> None:
    assert oidc_security.session is not None
    assert sign_in(browser, service, "vera").status_code == 303
    cookie = browser.cookies[COOKIE]
    payload, timestamp, signature = cookie.split(".")
    promoted = _session(cookie)
    promoted["user"]["roles"] = ["admin"]
    tampered = ".".join(
        [base64.b64encode(json.dumps(promoted).encode()).decode(), timestamp, signature]
    )
    for bad in (tampered, f"{payload}.{timestamp}.{signature[:-2]}AA"):
        assert _with_cookie(f"{service}/api/v1/platforms", bad).status_code == 401

    expired = _session(cookie)
    expired["user"]["expires"] = 1_000_000_000
    assert (
        _with_cookie(
            f"{service}/api/v1/platforms", _signed(oidc_security.session.secret, expired)
        ).status_code
        == 401
    )
    assert _with_cookie(f"{service}/api/v1/platforms", cookie).status_code == 200


def test_signing_out_clears_the_session_and_ends_the_providers(
    service: str, browser: httpx.Client, oidc: OidcProvider
) -> None:
    assert sign_in(browser, service, "ada").status_code == 303
    out = browser.get(f"{service}/logout")
    assert out.status_code == 303
    target = urlsplit(out.headers["location"])
    assert f"{target.scheme}://{target.netloc}" == oidc.issuer
    assert parse_qs(target.query)["post_logout_redirect_uri"] == [f"{service}/signed-out"]
    assert out.headers["set-cookie"].startswith(f"{COOKIE}=null;")
    assert COOKIE not in browser.cookies
    assert browser.get(f"{service}/api/v1/platforms").status_code == 401
    page = browser.get(f"{service}/signed-out")
    assert page.status_code == 200
    assert 'href="/login"' in page.text


def test_login_sends_back_only_to_a_path_on_the_service(
    service: str, browser: httpx.Client
) -> None:
    done = sign_in(browser, service, "vera", next_path="https://elsewhere.example/")
    assert done.headers["location"] == "/"
    done = sign_in(browser, service, "vera", next_path="//elsewhere.example/x")
    assert done.headers["location"] == "/"


def test_an_id_token_for_another_nonce_is_refused(
    service: str, browser: httpx.Client, oidc_security: Security
) -> None:
    assert oidc_security.session is not None
    authorization = start_sign_in(browser, service)
    flow = _session(browser.cookies[COOKIE])
    (key,) = [k for k in flow if k.startswith("_state_")]
    flow[key]["data"]["nonce"] = "not-the-nonce-the-provider-was-given"
    callback = authorize(browser, authorization, "ada")

    refused = _with_cookie(callback, _signed(oidc_security.session.secret, flow))
    assert refused.status_code == 400
    assert "the provider&#39;s ID token does not verify" in refused.text
    assert "nonce" in refused.text
    assert COOKIE not in refused.cookies or "user" not in _session(refused.cookies[COOKIE])


class _Impostor(BaseHTTPRequestHandler):
    """A discovery document naming another issuer than the URL it is served under."""

    def do_GET(self) -> None:
        body = json.dumps(
            {
                "issuer": "https://sso.example.com/realms/other",
                "authorization_endpoint": "https://sso.example.com/auth",
                "token_endpoint": "https://sso.example.com/token",
                "jwks_uri": "https://sso.example.com/certs",
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_provider_that_does_not_answer_or_names_another_issuer_is_a_clear_503(
    fleet: Fleet, tmp_path: Path
) -> None:
    impostor = ThreadingHTTPServer(("127.0.0.1", 0), _Impostor)
    thread = serve_in_thread(impostor, "impostor")
    try:
        for issuer, says in (
            (f"http://127.0.0.1:{free_port()}", "does not answer"),
            (
                f"http://127.0.0.1:{impostor.server_port}",
                "names itself https://sso.example.com/realms/other",
            ),
        ):
            security = security_from_options(
                SecurityOptions(
                    host="127.0.0.1", data_dir=tmp_path, oidc_issuer=issuer, oidc_client_id="x"
                )
            )
            with TestClient(create_app(fleet, security=security)) as client:
                page = client.get("/login", follow_redirects=False)
            assert page.status_code == 503
            assert f"the sign-in provider at {issuer} {says}" in page.text
    finally:
        stop_serving(impostor, thread)


def test_the_provider_checks_the_services_pkce_verifier_and_refuses_any_other(
    service: str, browser: httpx.Client, oidc: OidcProvider
) -> None:
    before = len(oidc.pkce_checks())
    authorization = start_sign_in(browser, service, "/")
    query = parse_qs(urlsplit(authorization).query)
    assert query["code_challenge_method"] == ["S256"]
    challenge = query["code_challenge"][0]
    callback = authorize(browser, authorization, "vera")
    (flow,) = [
        value["data"]
        for key, value in _session(browser.cookies[COOKIE]).items()
        if key.startswith("_state_oidc_")
    ]
    assert s256(flow["code_verifier"]) == challenge  # what the token request will carry

    # The code alone, as someone who intercepted the redirect holds it: refused without
    # the verifier, with a made-up one, and with the challenge itself.
    exchange = {
        "grant_type": "authorization_code",
        "code": parse_qs(urlsplit(callback).query)["code"][0],
        "redirect_uri": f"{service}/auth/callback",
    }
    for verifier in ({}, {"code_verifier": "x" * 43}, {"code_verifier": challenge}):
        stolen = httpx.post(
            f"{oidc.issuer}/oauth2/token",
            data={**exchange, **verifier},
            auth=(CLIENT_ID, CLIENT_SECRET),
            timeout=30,
        )
        assert stolen.status_code == 400, verifier
        assert stolen.json()["error"] == "invalid_grant"

    assert browser.get(callback).status_code == 303  # the service's exchange goes through
    checks = oidc.pkce_checks()[before:]
    assert [c["verified"] for c in checks] == [False, False, False, True]
    assert {(c["method"], c["challenge"]) for c in checks} == {("S256", challenge)}


def test_a_provider_over_https_is_trusted_through_its_ca_file_and_named_without_it(
    fleet: Fleet, tmp_path: Path
) -> None:
    tls = server_tls(tmp_path)
    secret = tmp_path / "client-secret"
    secret.write_text(CLIENT_SECRET, encoding="utf-8")
    with oidc_provider(tmp_path, tls) as provider:
        assert provider.issuer.startswith("https://")
        provider.set_user("vera", preferred_username="vera", groups=["stackyard-viewers"])

        def security(**ca: Path) -> Security:
            return security_from_options(
                SecurityOptions(
                    host="127.0.0.1",
                    data_dir=tmp_path,
                    oidc_issuer=provider.issuer,
                    oidc_client_id=CLIENT_ID,
                    oidc_client_secret_file=secret,
                    **ca,
                )
            )

        verify = ssl.create_default_context(cafile=tls.ca_file)  # the browser trusts it
        with (
            live_service(fleet, security(oidc_ca_file=tls.ca_file)) as base,
            httpx.Client(follow_redirects=False, timeout=30, verify=verify) as browser,
        ):
            assert sign_in(browser, base, "vera").status_code == 303  # discovery, token, keys
            assert browser.get(f"{base}/").status_code == 200

        with live_service(fleet, security()) as base:
            refused = httpx.get(f"{base}/login", timeout=30)
        assert refused.status_code == 503
        assert (
            f"the sign-in provider at {provider.issuer} presents a certificate this service "
            "does not trust (" in refused.text
        )
        assert "--oidc-ca-file" in refused.text

"""A real OpenID Connect provider for the tests: oidc-provider-mock in a process of its own.

The provider (https://github.com/geigerzaehler/oidc-provider-mock) is a complete OIDC
provider built on Authlib's server: discovery document, authorization endpoint, token
endpoint, RS256-signed ID tokens with a key set, userinfo and RP-initiated logout. It
accepts any client id and secret. Its authorization page is a form asking for the user's
``sub`` (no password); the claims of each user (``groups``, ``preferred_username``…) are set
beforehand with ``PUT /users/SUB`` (:meth:`OidcProvider.set_user`), so each test chooses
who signs in and with which groups.

It does not enforce PKCE itself (no release does; Keycloak does, with "Proof Key for Code
Exchange Code Challenge Method" set to S256), so it runs behind ``tests/oidc_server.py``,
which refuses a code whose ``code_verifier`` does not match its S256 challenge, as Keycloak
does, and tells what it checked (:meth:`OidcProvider.pkce_checks`). With a
:class:`ServerTls` the provider serves HTTPS with a certificate of a test CA.

:func:`sign_in` plays the browser's part of the flow with a plain HTTP client; a browser
test drives the same form: fill ``input[name=sub]`` and press "Authorize".
"""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.certificates import certificate_authority, leaf, write_certificate, write_key
from tests.servers import free_port, stop_process, wait_until_ready

CLIENT_ID = "stackyard"
CLIENT_SECRET = "stackyard-test-client-secret"


ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class ServerTls:
    """The provider's certificate and key, and the CA file that verifies them."""

    certificate: Path
    key: Path
    ca_file: Path


def server_tls(folder: Path) -> ServerTls:
    """A test CA and a certificate for 127.0.0.1 it signs, as files in ``folder``."""
    ca_key, ca = certificate_authority("stackyard test OIDC CA")
    key, cert = leaf("127.0.0.1", ca_key, ca)
    return ServerTls(
        write_certificate(folder / "oidc.crt", cert),
        write_key(folder / "oidc.key", key),
        write_certificate(folder / "oidc-ca.crt", ca),
    )


@dataclass(frozen=True)
class OidcProvider:
    """A running provider: its issuer URL (what ``--oidc-issuer`` takes)."""

    issuer: str
    ca_file: Path | None = None
    """The CA that verifies the provider's certificate, when it serves HTTPS."""

    def _client(self) -> httpx.Client:
        verify = ssl.create_default_context(cafile=self.ca_file) if self.ca_file else True
        return httpx.Client(base_url=self.issuer, timeout=10, verify=verify)

    def set_user(self, sub: str, **claims: object) -> None:
        """Make ``sub`` a user with ``claims`` (in the ID token: ``groups`` and the rest)."""
        with self._client() as client:
            client.put(f"/users/{sub}", json=claims).raise_for_status()

    def pkce_checks(self) -> list[dict[str, object]]:
        """Every token request for a code so far: its challenge method and whether the
        verifier matched (``tests/oidc_server.py``)."""
        with self._client() as client:
            response = client.get("/test/pkce")
            response.raise_for_status()
            checked: list[dict[str, object]] = response.json()["checked"]
            return checked


def _answers(provider: OidcProvider) -> bool:
    try:
        with provider._client() as client:
            return client.get("/.well-known/openid-configuration").is_success
    except httpx.TransportError:
        return False


@contextmanager
def oidc_provider(folder: Path, tls: ServerTls | None = None) -> Iterator[OidcProvider]:
    """Run the provider on a free loopback port for the ``with`` block (its log in ``folder``),
    over HTTPS with ``tls``'s certificate when given."""
    port = free_port()
    scheme = "https" if tls else "http"
    provider = OidcProvider(f"{scheme}://127.0.0.1:{port}", tls.ca_file if tls else None)
    command = [sys.executable, "-m", "tests.oidc_server", "--port", str(port)]
    if tls is not None:
        command += ["--certfile", str(tls.certificate), "--keyfile", str(tls.key)]
    python_path = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(python_path)}
    log = folder / "oidc-provider.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, env=environment
        )
    try:
        wait_until_ready(lambda: _answers(provider), process, log, "the OIDC provider")
        yield provider
    finally:
        stop_process(process)


def start_sign_in(client: httpx.Client, base_url: str, next_path: str = "/") -> str:
    """Ask the service to sign in; the provider's authorization URL it redirects to."""
    response = client.get(f"{base_url}/login", params={"next": next_path})
    assert response.status_code == 302, response.text
    return response.headers["location"]


def authorize(client: httpx.Client, authorization_url: str, sub: str) -> str:
    """Sign in as ``sub`` on the provider's form; the service's callback URL it returns to."""
    response = client.post(authorization_url, data={"sub": sub})
    assert response.status_code == 302, response.text
    return response.headers["location"]


def sign_in(client: httpx.Client, base_url: str, sub: str, next_path: str = "/") -> httpx.Response:
    """The whole flow as a browser runs it; the service's answer to the callback.

    ``client`` must not follow redirects (each step is checked) and keeps the cookies.
    """
    callback = authorize(client, start_sign_in(client, base_url, next_path), sub)
    return client.get(callback)

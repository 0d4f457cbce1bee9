"""A real OpenID Connect provider for the tests: oidc-provider-mock in a process of its own.

The provider (https://github.com/geigerzaehler/oidc-provider-mock) is a complete OIDC
provider built on Authlib's server: discovery document, authorization endpoint, token
endpoint, RS256-signed ID tokens with a key set, userinfo and RP-initiated logout. It
accepts any client id and secret. Its authorization page is a form asking for the user's
``sub`` (no password); the claims of each user (``groups``, ``preferred_username``…) are set
beforehand with ``PUT /users/SUB`` (:meth:`OidcProvider.set_user`), so each test chooses
who signs in and with which groups.

It does not enforce PKCE itself (Keycloak does, with "Proof Key for Code Exchange Code
Challenge Method" set to S256): the service's own refusal of a flow without a code
verifier is what the tests check there.

:func:`sign_in` plays the browser's part of the flow with a plain HTTP client; a browser
test drives the same form: fill ``input[name=sub]`` and press "Authorize".
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.servers import free_port, stop_process, wait_until_ready

CLIENT_ID = "stackyard"
CLIENT_SECRET = "stackyard-test-client-secret"


@dataclass(frozen=True)
class OidcProvider:
    """A running provider: its issuer URL (what ``--oidc-issuer`` takes)."""

    issuer: str

    def set_user(self, sub: str, **claims: object) -> None:
        """Make ``sub`` a user with ``claims`` (in the ID token: ``groups`` and the rest)."""
        response = httpx.put(f"{self.issuer}/users/{sub}", json=claims, timeout=10)
        response.raise_for_status()


def _answers(issuer: str) -> bool:
    try:
        return httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=2).is_success
    except httpx.TransportError:
        return False


@contextmanager
def oidc_provider(folder: Path) -> Iterator[OidcProvider]:
    """Run the provider on a free loopback port for the ``with`` block (its log in ``folder``)."""
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    log = folder / "oidc-provider.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "oidc_provider_mock",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_ready(lambda: _answers(issuer), process, log, "the OIDC provider")
        yield OidcProvider(issuer)
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

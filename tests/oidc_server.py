"""The test OIDC provider's process: oidc-provider-mock with PKCE enforced, over HTTP or HTTPS.

oidc-provider-mock (0.3.4, its newest release) registers Authlib's authorization code grant
without Authlib's PKCE extension (``authlib.oauth2.rfc7636.CodeChallenge``) and keeps no
code challenge with a code, so it issues tokens for a code whatever ``code_verifier``
comes with it, or none. Keycloak, set to require S256, refuses that. So that the sign-in
tests prove the service's PKCE rather than assume it, this process puts a WSGI middleware
(:class:`PkceCheck`) in front of the provider that does what Keycloak does (RFC 7636,
section 4.6): it remembers the ``code_challenge`` of each authorization request by the
code the provider answers it with, and refuses (``invalid_grant``) a token request whose
``code_verifier`` does not hash to it with S256. What it checked is at ``GET /test/pkce``.

Run with ``python -m tests.oidc_server --port PORT`` (and ``--certfile``/``--keyfile`` for
HTTPS); ``tests/oidc.py`` starts and stops it.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import uvicorn

StartResponse = Callable[..., Any]
Environ = dict[str, Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]
CHECKS = "/test/pkce"


def s256(verifier: str) -> str:
    """The S256 code challenge of ``verifier``: base64url of its SHA-256, unpadded."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _first(values: dict[str, list[str]], name: str) -> str:
    return (values.get(name) or [""])[0]


class PkceCheck:
    """The provider behind a check of every authorization code's PKCE verifier (S256 only)."""

    def __init__(self, app: WsgiApp) -> None:
        """Check the codes ``app`` issues."""
        self.app = app
        self.challenges: dict[str, tuple[str, str]] = {}
        """Each issued code's challenge and challenge method, until the code is exchanged."""
        self.checked: list[dict[str, object]] = []
        self.lock = threading.Lock()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        """Route one request: the authorization and token endpoints are checked."""
        path, method = environ.get("PATH_INFO", ""), environ["REQUEST_METHOD"]
        if path == "/oauth2/authorize" and method == "POST":
            return self.app(environ, self._remembering(environ, start_response))
        if path == "/oauth2/token" and method == "POST":
            return self._token(environ, start_response)
        if path == CHECKS and method == "GET":
            with self.lock:
                return _json(start_response, "200 OK", {"checked": list(self.checked)})
        return self.app(environ, start_response)

    def _remembering(self, environ: Environ, start_response: StartResponse) -> StartResponse:
        """A ``start_response`` that keeps the challenge of the code the redirect carries."""
        query = parse_qs(environ.get("QUERY_STRING", ""))
        challenge = _first(query, "code_challenge")
        method = _first(query, "code_challenge_method") or "plain"

        def start(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            location = next((v for k, v in headers if k.lower() == "location"), "")
            for code in parse_qs(urlsplit(location).query).get("code", []):
                with self.lock:
                    self.challenges[code] = (challenge, method)
            return start_response(status, headers, *rest)

        return start

    def _token(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        form = parse_qs(body.decode("utf-8"))
        if _first(form, "grant_type") != "authorization_code":
            return self.app(environ, start_response)
        code, verifier = _first(form, "code"), _first(form, "code_verifier")
        with self.lock:
            challenge, method = self.challenges.get(code, ("", ""))
            verified = method == "S256" and bool(challenge) and s256(verifier) == challenge
            self.checked.append(
                {
                    "method": method,
                    "challenge": challenge,
                    "verifier": bool(verifier),
                    "verified": verified,
                }
            )
            if verified:
                del self.challenges[code]
        if not verified:
            description = "the code_verifier does not match the S256 code_challenge"
            error = {"error": "invalid_grant", "error_description": description}
            return _json(start_response, "400 BAD REQUEST", error)
        return self.app(environ, start_response)


def _json(start_response: StartResponse, status: str, document: object) -> list[bytes]:
    body = json.dumps(document).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def main() -> None:
    """Serve the provider as the command line says."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--certfile")
    parser.add_argument("--keyfile")
    args = parser.parse_args()
    # Imported here, in the provider's own process only: it imports authlib.jose, which
    # warns of its deprecation, and the tests turn warnings into errors.
    from oidc_provider_mock import app as provider_app

    if not args.certfile:
        os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # plain HTTP on loopback
    uvicorn.run(
        PkceCheck(provider_app()),
        interface="wsgi",
        host=args.host,
        port=args.port,
        ssl_certfile=args.certfile,
        ssl_keyfile=args.keyfile,
        log_level="info",
    )


if __name__ == "__main__":
    main()

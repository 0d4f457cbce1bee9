"""A token issuer for the test registry, as Harbor's or Docker Hub's: bearer-token login.

A registry in token mode (the distribution registry's ``auth: token``) refuses a call with
``401`` and ``WWW-Authenticate: Bearer realm=…,service=…,scope=…``; the client asks the realm
for a token with its user name and password (HTTP basic) and the scopes it needs, and sends
the token back as ``Authorization: Bearer``. The registry checks the token itself: an
ES256 JWT whose signing certificate (in the ``x5c`` header) chains to the registry's
``rootcertbundle``, whose ``iss`` and ``aud`` are the configured issuer and service, that
has not expired, and whose ``access`` claim grants the actions on the repository
(https://distribution.github.io/distribution/spec/auth/jwt/).

This server holds one user, signs with a key made per start (signed by a CA of its own,
written where the registry reads its root bundle) and serves HTTPS on loopback with the
registry's own certificate, so a client that trusts the registry trusts the realm. It
grants every action a scope asks for, to the user whose password matches: the registry's
check of the token, not the issuer's policy, is what the tests exercise.

JWTs are made with joserfc, the JOSE library Authlib itself uses (Authlib's ``authlib.jose``
is deprecated in its favour).
"""

from __future__ import annotations

import base64
import json
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import serialization
from joserfc import jwt
from joserfc.jwk import ECKey

from tests.certificates import certificate_authority, leaf, write_certificate
from tests.servers import serve_in_thread, stop_serving

SERVICE = "stackyard-test-registry"
ISSUER = "stackyard-test-token-issuer"
TOKEN_SECONDS = 300


@dataclass
class TokenServer:
    """A running token issuer: its realm URL, the root bundle the registry trusts, its log."""

    realm: str
    root_bundle: Path
    server: ThreadingHTTPServer
    thread: threading.Thread
    issued: list[str] = field(default_factory=list)
    """The scopes of every token issued, in order (``""`` for a token without scope)."""
    refused: int = 0
    """How many token requests were refused (wrong or missing credentials)."""

    def stop(self) -> None:
        """Stop serving and wait for the serving thread."""
        stop_serving(self.server, self.thread)


def start_token_server(
    folder: Path,
    tls_cert: Path,
    tls_key: Path,
    users: dict[str, str],
    readers: frozenset[str] = frozenset(),
) -> TokenServer:
    """Issue tokens to ``users`` (name → password) over HTTPS on a free loopback port.

    ``readers`` get a token with ``pull`` only, whatever they ask for, as Harbor answers a
    user without push rights on a project: a token, with less in it than was asked.
    ``tls_cert`` and ``tls_key`` are the server certificate (for 127.0.0.1) and its key.
    The signing CA is written to ``folder/token-roots.pem`` for the registry's
    ``rootcertbundle``.
    """
    ca_key, ca = certificate_authority("Stackyard test token signing CA")
    signing_key, signing_cert = leaf("token-signer", ca_key, ca)
    root_bundle = write_certificate(folder / "token-roots.pem", ca)
    key = ECKey.import_key(
        signing_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    chain = [base64.b64encode(signing_cert.public_bytes(serialization.Encoding.DER)).decode()]
    header = {"alg": "ES256", "typ": "JWT", "x5c": chain}
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(tls_cert), str(tls_key))
    state: dict[str, TokenServer] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            user = self._user()
            if parts.path != "/token" or user is None:
                state["server"].refused += 1
                self._answer(401, {"errors": [{"code": "UNAUTHORIZED"}]})
                return
            scopes = query.get("scope", [])
            state["server"].issued.append(" ".join(scopes))
            now = int(time.time())
            claims = {
                "iss": ISSUER,
                "sub": user,
                "aud": query.get("service", [""])[0],
                "exp": now + TOKEN_SECONDS,
                "nbf": now - 10,
                "iat": now,
                "jti": secrets.token_hex(8),
                "access": [_access(scope, pull_only=user in readers) for scope in scopes],
            }
            token = jwt.encode(header, claims, key)
            self._answer(200, {"token": token, "expires_in": TOKEN_SECONDS})

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: pytest shows failures, not every request."""

        def _user(self) -> str | None:
            scheme, _, encoded = self.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "basic":
                return None
            name, _, password = base64.b64decode(encoded).decode().partition(":")
            return name if users.get(name) == password else None

        def _answer(self, status: int, document: object) -> None:
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = serve_in_thread(server, "token-server")
    realm = f"https://127.0.0.1:{server.server_address[1]}/token"
    state["server"] = TokenServer(realm, root_bundle, server, thread)
    return state["server"]


def _access(scope: str, *, pull_only: bool) -> dict[str, object]:
    """``repository:NAME:pull,push`` (or ``registry:catalog:*``) as an ``access`` entry."""
    kind, _, rest = scope.partition(":")
    name, _, actions = rest.rpartition(":")
    granted = [a for a in actions.split(",") if a == "pull" or not pull_only]
    return {"type": kind, "name": name, "actions": granted}

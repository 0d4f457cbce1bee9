"""The signed session cookie: who signed in, with which roles, until when.

Starlette's ``SessionMiddleware`` keeps the session in a cookie signed with the session
secret (itsdangerous, HMAC-SHA1): a cookie changed by hand fails its signature and reads as
no session at all. The session holds only the user's name, the roles their groups map to
and when the sign-in expires — never a token from the provider, so a copied cookie cannot
call the provider, and nothing in it is secret. While a sign-in is under way it also holds
what Authlib keeps for the flow until the callback (the state, the nonce and the PKCE code
verifier), which the callback removes.

The cookie is ``HttpOnly`` (scripts cannot read it), ``SameSite=Lax`` (other sites' forms
do not carry it) and ``Secure`` unless the service is reached over plain HTTP on loopback
(:func:`cookie_secure`), where a browser has no TLS to send it over. It lives as long as
the sign-in does; the expiry written into the session ends it even if a client keeps the
cookie longer.

The secret comes from a file (:func:`read_secret`): never from the command line, which
other users of the host see in the process list, and never from the database, which
backups copy. Every replica of the service reads the same file.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import time
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware

from stackyard.errors import COMMAND_LINE, InputError, Problem

COOKIE = "stackyard_session"
DEFAULT_LIFETIME = timedelta(hours=8)
SECRET_FILE = "session-secret"
"""The secret's file name in the data directory when no ``--session-secret-file`` is given."""
MIN_SECRET_CHARS = 32
_USER = "user"


@dataclass(frozen=True)
class SessionSettings:
    """How the session cookie is signed and sent."""

    secret: str
    secure: bool
    lifetime: timedelta = DEFAULT_LIFETIME


@dataclass(frozen=True)
class SignedIn:
    """What a session says about its user."""

    name: str
    roles: frozenset[str]
    expires: float


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) reaches only this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def cookie_secure(host: str, public_url: str | None) -> bool:
    """Whether the cookie is ``Secure``: unless browsers use plain HTTP to loopback.

    The address browsers use is ``public_url`` when one is given (a TLS proxy in front of
    the service), else the address the service listens on, which uvicorn serves as plain
    HTTP. Only ``http://`` to a loopback host drops ``Secure``: a browser sends a
    ``Secure`` cookie over HTTPS only, and on a developer's machine there is none.
    """
    if public_url is not None:
        parts = urlsplit(public_url)
        return not (parts.scheme == "http" and is_loopback(parts.hostname or ""))
    return not is_loopback(host)


def read_secret(path: Path, *, create: bool) -> str:
    """The session secret in ``path``, written first (random, mode 0600) with ``create``.

    With ``create``, a file that does not exist yet gets a new random secret.

    Raises:
        InputError: the file cannot be read or made, or holds too short a secret.
    """
    try:
        if create and not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # O_EXCL: two replicas starting at once never overwrite each other's secret.
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(secrets.token_urlsafe(48) + "\n")
        secret = path.read_text(encoding="utf-8").strip()
    except FileExistsError:
        secret = path.read_text(encoding="utf-8").strip()
    except OSError as e:
        raise InputError(
            [Problem(COMMAND_LINE, "--session-secret-file", f"cannot read {path}: {e.strerror}")]
        ) from e
    if len(secret) < MIN_SECRET_CHARS:
        raise InputError(
            [
                Problem(
                    COMMAND_LINE,
                    "--session-secret-file",
                    f"{path} holds {len(secret)} characters; a session secret needs at least "
                    f"{MIN_SECRET_CHARS}",
                    "put a random string in it, e.g. from `openssl rand -base64 48`",
                )
            ]
        )
    return secret


def install(app: FastAPI, settings: SessionSettings) -> None:
    """Keep sessions in the signed cookie, as ``settings`` say."""
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret,
        session_cookie=COOKIE,
        max_age=int(settings.lifetime.total_seconds()),
        same_site="lax",
        https_only=settings.secure,
    )


def sign_in(
    session: MutableMapping[str, Any], name: str, roles: frozenset[str], lifetime: timedelta
) -> None:
    """Start a session for ``name`` with ``roles``, ending after ``lifetime``.

    Whatever the session held before (an earlier user, a finished sign-in flow) goes, so a
    session is never shared between two sign-ins.
    """
    session.clear()
    session[_USER] = {
        "name": name,
        "roles": sorted(roles),
        "expires": int(time.time() + lifetime.total_seconds()),
    }


def signed_in(session: MutableMapping[str, Any]) -> SignedIn | None:
    """Who the session belongs to, or None when nobody signed in or the sign-in expired."""
    entry = session.get(_USER)
    if not isinstance(entry, dict):
        return None
    expires = entry.get("expires")
    name = entry.get("name")
    roles = entry.get("roles")
    if not isinstance(expires, int) or not isinstance(name, str) or not isinstance(roles, list):
        return None
    if expires <= time.time():
        session.pop(_USER, None)
        return None
    return SignedIn(name, frozenset(str(role) for role in roles), float(expires))


def sign_out(session: MutableMapping[str, Any]) -> None:
    """End the session: the cookie is cleared in the response."""
    session.clear()

"""Signing in through an OpenID Connect provider: ``/login``, ``/auth/callback``, ``/logout``.

The authorization code flow with PKCE (S256), through Authlib's Starlette client: any
provider by its issuer URL (Keycloak in production), whose endpoints and keys come from
``ISSUER/.well-known/openid-configuration``. ``/login`` sends the browser to the provider
with a fresh state, nonce and code challenge, kept in the session until the callback;
``/auth/callback`` accepts only the state this browser was given and a flow that holds its
code verifier, exchanges the code (with the verifier and the client secret) for tokens,
checks the ID token's signature, issuer, audience and nonce, and keeps from it only the
user's name and the roles their ``groups`` claim maps to (``--oidc-group-role``). The
tokens themselves are dropped: the service calls nothing on the user's behalf. The roles
of every sign-in, none for a refused one, are recorded in the store: the API tokens a
person made act with at most the role of their latest sign-in (``app.record_sign_in``).

The provider's HTTPS is verified with the system's CA certificates, or with the bundle of
``--oidc-ca-file`` (:attr:`OidcSettings.ca_file`) for a provider behind a private CA; a
certificate that does not verify is a 503 naming the issuer and that option.

A user none of whose groups maps to a role gets no session and a 403 page naming the
groups that grant access: signing in is not a role of its own.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx2  # Authlib's HTTP client: its errors are httpx2's
from authlib.integrations.starlette_client import OAuth, OAuthError, StarletteOAuth2App
from fastapi import APIRouter, FastAPI, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from joserfc.errors import JoseError
from starlette.concurrency import run_in_threadpool

from stackyard.app import record_sign_in
from stackyard.errors import COMMAND_LINE, InputError, Problem
from stackyard.service import sessions
from stackyard.service.pages import templates
from stackyard.service.users import Access, Role, User, granting

log = logging.getLogger("stackyard.service")

CLIENT = "oidc"
"""The name Authlib registers the provider under (and keys the flow's session data by)."""
SCOPE = "openid profile email"
GROUPS_CLAIM = "groups"
DEFAULT_GROUP_ROLES: Mapping[str, Role] = {
    "stackyard-viewers": Role.viewer,
    "stackyard-operators": Role.operator,
    "stackyard-admins": Role.admin,
}
_NEXT = "next"

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class OidcSettings:
    """The provider the service signs users in with, and what their groups grant."""

    issuer: str
    client_id: str
    client_secret: str | None
    """None for a public client: PKCE alone proves the callback's caller started the flow."""
    ca_file: Path | None = None
    """The CA certificates that verify the provider's HTTPS, instead of the system's."""
    group_roles: Mapping[str, Role] = field(default_factory=lambda: dict(DEFAULT_GROUP_ROLES))
    public_url: str | None = None
    """The service's address as browsers reach it (behind a proxy); the redirect URI is
    built from it, else from the address of the request."""

    @property
    def metadata_url(self) -> str:
        """Where the provider publishes its endpoints and keys."""
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


def parse_group_roles(values: Iterable[str]) -> dict[str, Role]:
    """``GROUP=ROLE`` pairs as a mapping; no pairs at all gives the default mapping.

    Raises:
        InputError: a pair without ``=``, an empty group, or a role that does not exist.
    """
    mapping: dict[str, Role] = {}
    problems: list[Problem] = []
    for value in values:
        group, equals, role = value.rpartition("=")
        if not equals or not group.strip():
            problems.append(
                Problem(COMMAND_LINE, "--oidc-group-role", f"{value!r} is not GROUP=ROLE")
            )
        elif role.strip() not in Role.__members__:
            problems.append(
                Problem(
                    COMMAND_LINE,
                    "--oidc-group-role",
                    f"{role!r} is not a role",
                    f"one of {', '.join(Role)}",
                )
            )
        else:
            mapping[group.strip()] = Role(role.strip())
    if problems:
        raise InputError(problems)
    return mapping or dict(DEFAULT_GROUP_ROLES)


def roles_of(groups: Iterable[str], group_roles: Mapping[str, Role]) -> frozenset[Role]:
    """The roles ``groups`` grant.

    Keycloak's group mapper sends full paths (``/stackyard-admins``) unless told not to;
    a group matches with or without its leading slash.
    """
    roles = set()
    for group in groups:
        for name in (group, group.lstrip("/")):
            if name in group_roles:
                roles.add(group_roles[name])
    return frozenset(roles)


def install(app: FastAPI, settings: OidcSettings, session: sessions.SessionSettings) -> None:
    """Sign users in with the provider ``settings`` name, sessions as ``session`` says."""
    client_kwargs: dict[str, Any] = {
        "scope": SCOPE,
        "code_challenge_method": "S256",
        # A public client (no secret) authenticates at the token endpoint by its id.
        "token_endpoint_auth_method": "client_secret_basic" if settings.client_secret else "none",
    }
    if settings.ca_file is not None:
        # Authlib hands this to every HTTP client it makes for the provider: discovery,
        # the token exchange and the key set.
        client_kwargs["verify"] = ssl.create_default_context(cafile=settings.ca_file)
    oauth = OAuth()
    oauth.register(
        CLIENT,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        server_metadata_url=settings.metadata_url,
        client_kwargs=client_kwargs,
    )
    app.state.oidc = oauth.create_client(CLIENT)
    app.state.oidc_settings = settings
    app.state.session_settings = session
    app.include_router(router)


async def _provider(request: Request) -> StarletteOAuth2App:
    """The provider's client, its metadata loaded (once) and its issuer checked.

    OpenID Connect Discovery requires the metadata's ``issuer`` to be the URL it was
    fetched under; a provider calling itself by another name is a misconfigured
    ``--oidc-issuer`` (or not the provider meant), and every ID token would fail its
    issuer check anyway.

    Raises:
        SignInError: the provider does not answer, or names another issuer (503).
    """
    client: StarletteOAuth2App = request.app.state.oidc
    issuer = _settings(request).issuer
    try:
        metadata = await client.load_server_metadata()
    except (httpx2.HTTPError, ValueError) as e:
        raise _unreachable(issuer, e) from e
    named = str(metadata.get("issuer", ""))
    if named.rstrip("/") != issuer.rstrip("/"):
        client.server_metadata = {}  # read it again next time: it may be fixed meanwhile
        raise SignInError(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            f"the sign-in provider at {issuer} names itself {named or 'nothing'}: the "
            "service's issuer URL must be the provider's own",
        )
    return client


def _untrusted(error: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate check that failed somewhere under ``error``, if one did."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _unreachable(issuer: str, error: Exception) -> SignInError:
    """A 503 for a provider the service could not talk to, saying why as far as known."""
    untrusted = _untrusted(error)
    if untrusted is not None:
        return SignInError(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            f"the sign-in provider at {issuer} presents a certificate this service does not "
            f"trust ({untrusted.verify_message}): give the CA that signed it with "
            "--oidc-ca-file",
        )
    return SignInError(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        f"the sign-in provider at {issuer} does not answer: {error}",
    )


def _settings(request: Request) -> OidcSettings:
    settings: OidcSettings = request.app.state.oidc_settings
    return settings


def _base_url(request: Request) -> str:
    public_url = _settings(request).public_url
    return (public_url or str(request.base_url)).rstrip("/")


def _local_path(target: str | None) -> str:
    """``target`` if it is a path on this service, else ``/``: never a redirect elsewhere."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


class SignInError(Exception):
    """A sign-in that cannot complete; the page says why and offers to start again."""

    def __init__(self, code: int, detail: str) -> None:
        """``code`` is the HTTP status of the page."""
        super().__init__(detail)
        self.code = code
        self.detail = detail


@router.get("/login")
async def login(request: Request, next: str | None = None) -> Response:
    """Send the browser to the provider; after the callback, back to ``next``."""
    redirect_uri = _base_url(request) + "/auth/callback"
    provider = await _provider(request)
    response: Response = await provider.authorize_redirect(request, redirect_uri)
    request.session[_NEXT] = _local_path(next)
    return response


def _flow(request: Request) -> dict[str, Any]:
    """What ``/login`` kept for the flow the callback's state names.

    Authlib keeps it in the session under ``_state_<client>_<state>``; the service reads it
    first to refuse a flow without a code verifier before any code goes to the provider
    (a provider that does not enforce PKCE would accept the code without one).
    """
    state = request.query_params.get("state") or ""
    entry = request.session.get(f"_state_{CLIENT}_{state}")
    data = entry.get("data") if isinstance(entry, dict) else None
    if not state or not isinstance(data, dict):
        raise SignInError(
            status.HTTP_400_BAD_REQUEST,
            "this sign-in was not started in this browser, or has expired (its state does "
            "not match): sign in again",
        )
    if not data.get("code_verifier"):
        raise SignInError(
            status.HTTP_400_BAD_REQUEST,
            "this sign-in has no PKCE code verifier, so the code cannot be proven to be "
            "this browser's: sign in again",
        )
    return data


def _user_name(claims: Mapping[str, Any]) -> str:
    for claim in ("preferred_username", "email", "sub"):
        value = claims.get(claim)
        if isinstance(value, str) and value:
            return value
    raise SignInError(status.HTTP_400_BAD_REQUEST, "the provider's ID token names no user")


def _groups(claims: Mapping[str, Any]) -> list[str]:
    value = claims.get(GROUPS_CLAIM, [])
    if isinstance(value, str):
        return [value]
    return [group for group in value if isinstance(group, str)] if isinstance(value, list) else []


@router.get("/auth/callback", name="auth_callback")
async def callback(request: Request) -> Response:
    """Finish the sign-in: check the flow, exchange the code, start the session."""
    error = request.query_params.get("error")
    if error:
        description = request.query_params.get("error_description") or error
        raise SignInError(
            status.HTTP_403_FORBIDDEN, f"the provider did not sign you in: {description}"
        )
    _flow(request)
    provider = await _provider(request)
    try:
        token = await provider.authorize_access_token(request)
    except OAuthError as e:
        raise SignInError(
            status.HTTP_400_BAD_REQUEST,
            f"the provider refused the sign-in ({e.error}): sign in again",
        ) from e
    except JoseError as e:
        raise SignInError(
            status.HTTP_400_BAD_REQUEST,
            f"the provider's ID token does not verify ({e}): sign in again",
        ) from e
    except httpx2.HTTPError as e:
        raise _unreachable(_settings(request).issuer, e) from e
    claims = token.get("userinfo")
    if not claims:
        raise SignInError(status.HTTP_400_BAD_REQUEST, "the provider sent no ID token")
    name = _user_name(claims)
    settings = _settings(request)
    roles = roles_of(_groups(claims), settings.group_roles)
    target = _local_path(request.session.get(_NEXT))
    # Every sign-in, a refused one too, is what the tokens this person made may do now.
    await run_in_threadpool(
        record_sign_in, request.app.state.fleet, name, [str(role) for role in roles]
    )
    if not roles:
        sessions.sign_out(request.session)
        groups = granting(Access(anonymous=None, group_roles=settings.group_roles), Role.viewer)
        log.info("refused %s: no group of theirs grants a role", name)
        raise SignInError(
            status.HTTP_403_FORBIDDEN,
            f"{name} signed in, but none of their groups grants access to the fleet; "
            f"membership of one of these does: {', '.join(groups)}",
        )
    session_settings: sessions.SessionSettings = request.app.state.session_settings
    sessions.sign_in(
        request.session, name, frozenset(str(r) for r in roles), session_settings.lifetime
    )
    log.info("signed in %s as %s", name, ", ".join(sorted(roles)))
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


@router.api_route("/logout", methods=["GET", "POST"])
async def logout(request: Request) -> Response:
    """End the session, then end the provider's too when it offers a logout endpoint."""
    sessions.sign_out(request.session)
    signed_out = _base_url(request) + "/signed-out"
    try:
        metadata = await (await _provider(request)).load_server_metadata()
    except SignInError:
        metadata = {}  # signed out here all the same; the provider's session stays
    end_session = metadata.get("end_session_endpoint")
    if isinstance(end_session, str) and end_session:
        query = urlencode(
            {"client_id": _settings(request).client_id, "post_logout_redirect_uri": signed_out}
        )
        return RedirectResponse(f"{end_session}?{query}", status_code=status.HTTP_303_SEE_OTHER)
    return RedirectResponse(signed_out, status_code=status.HTTP_303_SEE_OTHER)


@router.get("/signed-out", response_class=HTMLResponse)
def signed_out(request: Request) -> HTMLResponse:
    """Where the provider sends the browser after signing out: a way to sign in again."""
    return templates.TemplateResponse(request, "signed_out.html", {"user": User("", frozenset())})

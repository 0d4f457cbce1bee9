"""Cross-site request forgery protection: a token in every dashboard form, checked on POST.

A browser sends the service's cookies with any request, also one a page of another site
makes it send (a form posted from there). Every dashboard form therefore carries a hidden
token that only a page of this service can hold, and its POST is refused (403) without it.
The token is a random secret of the browser's, signed with the service's key and timed
(``itsdangerous``), so none can be made without the key and none outlives 12 hours; the
secret it carries must equal the browser's (compared in constant time). Where the secret
lives depends on how the service runs:

- **signed in** (OIDC): in the session, whose cookie the session middleware signs, so the
  token is bound to that sign-in; signing in again starts a new session and a new secret;
- **open** (no sign-in, loopback): in a cookie of its own (a double-submit cookie),
  HttpOnly, SameSite=Strict, and over HTTPS Secure with the ``__Host-`` prefix, so no other
  site, not even a sibling subdomain, can set or overwrite it.

Another site can read neither the cookie nor the page holding the field, so it cannot send
a matching pair. The JSON API takes the caller from the session cookie too, when there is
one: a change through it with the session (no bearer token) must send the same token in
the ``X-CSRF-Token`` header (:func:`require_api_token`); bearer-token calls carry no
cookie identity and need none.
"""

from __future__ import annotations

import hmac
import re
import secrets

from fastapi import HTTPException, Request, status
from fastapi.responses import Response
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from stackyard.service import sessions

COOKIE = "stackyard_csrf"
SECURE_COOKIE = "__Host-" + COOKIE
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
MAX_AGE_SECONDS = 12 * 3600
"""A form left open for a working day can still be sent; an older one is reloaded."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SALT = "stackyard.dashboard.csrf"
_SESSION_KEY = "csrf"
_SECRET = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


def _signer(request: Request) -> URLSafeTimedSerializer:
    key: str = request.app.state.secret_key
    return URLSafeTimedSerializer(key, salt=_SALT)


def _has_session(request: Request) -> bool:
    return "session" in request.scope  # the session middleware runs: sign-in is configured


def _cookie_name(request: Request) -> str:
    return SECURE_COOKIE if request.url.scheme == "https" else COOKIE


def _browser_secret(request: Request) -> str | None:
    """The secret the browser holds: in its session, else in the token cookie."""
    if _has_session(request):
        secret = request.session.get(_SESSION_KEY)
    else:
        secret = request.cookies.get(_cookie_name(request))
    return secret if isinstance(secret, str) and _SECRET.fullmatch(secret) else None


def form_token(request: Request) -> str:
    """The hidden field's value for the forms of the page answering ``request``.

    A browser without a secret gets a new one: in its session, or in the cookie
    :func:`set_cookie` puts on the response.
    """
    secret = _browser_secret(request) or getattr(request.state, "csrf_secret", None)
    if secret is None:
        secret = secrets.token_urlsafe(32)
        if _has_session(request):
            request.session[_SESSION_KEY] = secret
        else:
            request.state.csrf_secret = secret
    return str(_signer(request).dumps(secret))


def set_cookie(request: Request, response: Response) -> None:
    """Give the browser the cookie secret :func:`form_token` made for this page, if any."""
    secret = getattr(request.state, "csrf_secret", None)
    if secret is None:
        return
    response.set_cookie(
        _cookie_name(request),
        secret,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def _refuse(reason: str) -> HTTPException:
    return HTTPException(
        status.HTTP_403_FORBIDDEN,
        f"this request was not sent from a page of this service ({reason}): "
        "reload the page and send the form again",
    )


def _check(request: Request, sent: object) -> None:
    if not isinstance(sent, str) or not sent:
        raise _refuse("it carries no token")
    secret = _browser_secret(request)
    if secret is None:
        raise _refuse("the browser holds no token secret")
    try:
        signed = _signer(request).loads(sent, max_age=MAX_AGE_SECONDS)
    except SignatureExpired as e:
        raise _refuse("its token is older than 12 hours") from e
    except BadSignature as e:
        raise _refuse("its token is not one this service signed") from e
    if not isinstance(signed, str) or not hmac.compare_digest(signed, secret):
        raise _refuse("its token belongs to another browser or sign-in")


async def require_form_token(request: Request) -> None:
    """Refuse (403) a form POST whose hidden token does not match the browser's secret."""
    form = await request.form()  # parsed once: FastAPI's Form parameters read the same
    _check(request, form.get(FIELD))


def require_api_token(request: Request) -> None:
    """Refuse (403) an API change made with the session cookie and no ``X-CSRF-Token``.

    Reads, bearer-token calls and callers not signed in pass (the latter get their 401
    from the route's own caller check).
    """
    if request.method in SAFE_METHODS or not _has_session(request):
        return
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return  # the caller is the token's, whatever cookies came along
    if sessions.signed_in(request.session) is None:
        return
    _check(request, request.headers.get(HEADER))

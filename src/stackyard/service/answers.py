"""Answers kept per version of what they show: built once, sent many times.

A read of the fleet or of a platform is a function of the version the application layer
reports for it (``fleet_version``, ``platform_version``: the platforms, their
repositories' states and their recorded history). Building the answer (the use case's
result turned into its documented JSON shape, or a page rendered from its template) is
most of a request's time; checking the version is a query and a few stats. So each
answer is kept under its version and built again only when the version moves: a commit,
an edited spec, a new assessment or a platform added all move it, so a kept answer is
never stale.

An answer built while the version moved (a commit landing mid-build) belongs to neither
version and is sent but not kept. API answers carry the version as their ETag, so a
client polling the fleet can send ``If-None-Match`` and get ``304 Not Modified``.

The routes that send kept answers run on the event loop: a request whose answer is kept
waits only for its subject's version check, a run shared with the other requests for
that subject (``sharedruns``), and never takes a worker thread of its own. Building an
answer does, in a worker thread.

Pages differ by caller in the navigation (name, roles) and in their forms: the caller is
part of the key. What differs each time a page is sent (the forms' CSRF token and
idempotency key) is left as a marker in the kept page and put in as it is sent.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from fastapi import Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from stackyard import __version__
from stackyard.service import csrf
from stackyard.service.formstate import new_key
from stackyard.service.sharedruns import SharedRuns
from stackyard.service.users import Role, User

MAX_ANSWERS = 512
"""Answers kept per process, the least recently sent dropped first (a fleet page is tens
of KiB: a few MiB in all)."""


@dataclass(frozen=True)
class PerView:
    """What a page shows differently each time it is sent: its forms' tokens."""

    csrf_token: str
    form_key: str
    """The idempotency key of the page's form (:func:`~stackyard.service.formstate.new_key`)."""


class Answers:
    """The kept answers of one service, shared by its threads."""

    def __init__(self, size: int = MAX_ANSWERS) -> None:
        """Keep at most ``size`` answers."""
        self._kept: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()
        # Unguessable, so no text a page shows can be taken for the place of a token.
        self.markers = PerView(f"csrf-{secrets.token_hex(16)}", f"key-{secrets.token_hex(16)}")
        self.versions = SharedRuns()
        """The version checks of the requests waiting for one (per fleet, per platform)."""

    def find(self, key: Hashable) -> bytes | None:
        """The answer kept under ``key``, if any."""
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
            return kept

    def keep(self, key: Hashable, body: bytes) -> None:
        """Keep ``body`` under ``key``, dropping the least recently sent beyond the size."""
        with self._lock:
            self._kept[key] = body
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)


def answers(request: Request) -> Answers:
    """The service's kept answers (made by ``create_app``)."""
    kept: Answers = request.app.state.answers
    return kept


async def kept_or_built(
    kept: Answers,
    subject: Hashable,
    version: Callable[[], str],
    now: str,
    key: Hashable,
    build: Callable[[], bytes],
) -> bytes:
    """The answer kept under ``key`` for ``subject`` at version ``now``, or built.

    An answer missing is built in a worker thread and kept only if the version is still
    ``now`` after the build (a commit landing mid-build: it belongs to neither version).
    """
    body = kept.find(key)
    if body is None:
        body = await run_in_threadpool(build)
        if await kept.versions.get(subject, version) == now:
            kept.keep(key, body)
    return body


async def json_answer(
    request: Request,
    subject: Hashable,
    version: Callable[[], str],
    build: Callable[[], BaseModel],
) -> Response:
    """The JSON of ``build()``'s model for ``subject``'s ``version()``, kept, with an ETag.

    ``subject`` names what ``version`` versions (the fleet, a platform): the requests for
    one subject share its version checks (:class:`SharedRuns`), API and page alike.
    """
    kept = answers(request)
    now = await kept.versions.get(subject, version)
    etag = f'"{__version__}-{now}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if etag in _etags(request.headers.get("if-none-match", "")):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    body = await kept_or_built(
        kept,
        subject,
        version,
        now,
        ("json", subject, now),
        lambda: build().model_dump_json(by_alias=True).encode(),
    )
    return Response(body, media_type="application/json", headers=headers)


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}


async def page_answer(
    request: Request,
    user: User,
    subject: Hashable,
    version: Callable[[], str],
    render: Callable[[PerView], str],
) -> HTMLResponse:
    """The page ``render`` makes for ``subject``'s ``version()`` and ``user``, kept.

    It is sent with tokens of its own: ``render`` is given markers to put where the
    per-view values go; the page sent has fresh values there, so no two callers (nor two
    views) share a token or a form key.
    """
    kept = answers(request)
    now = await kept.versions.get(subject, version)
    body = await kept_or_built(
        kept,
        subject,
        version,
        now,
        ("page", subject, now, user),
        lambda: render(kept.markers).encode(),
    )
    body = body.replace(kept.markers.form_key.encode(), new_key().encode())
    if user.may(Role.operator):
        token = csrf.form_token(request)
        body = body.replace(kept.markers.csrf_token.encode(), token.encode())
    response = HTMLResponse(body)
    csrf.set_cookie(request, response)
    return response

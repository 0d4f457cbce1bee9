"""The few registry API calls a push makes, with the login negotiated on demand.

A registry says how it wants to be logged in to when it first refuses a call (401 with
``WWW-Authenticate``): HTTP basic (the distribution registry with htpasswd) or a bearer
token fetched from a realm with the same credentials, scoped to one repository (Harbor,
Docker Hub style). The credentials come from the environment, never the command line
(:data:`USERNAME_VARIABLE`, :data:`PASSWORD_VARIABLE`); a private CA is trusted with a CA
file. Every failure becomes a :class:`RegistryPushError` naming the registry and the call;
a token service that accepts the login but grants less than a push needs
(``insufficient_scope``) is told apart from a refused password.
API: https://github.com/opencontainers/distribution-spec/blob/main/spec.md
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import urllib3

from stackyard.delivery.layout import INDEX_TYPES, MANIFEST_TYPES
from stackyard.errors import StackyardError

USERNAME_VARIABLE = "STACKYARD_REGISTRY_USERNAME"
PASSWORD_VARIABLE = "STACKYARD_REGISTRY_PASSWORD"
CONNECTIONS = 8
"""Connections kept open to the registry: at least as many as blobs go up at once."""
ACCEPTED_MANIFESTS = ", ".join(sorted(INDEX_TYPES | MANIFEST_TYPES))
"""Every manifest kind a push stores, so a HEAD answers with the digest of the stored bytes."""
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')


class RegistryPushError(StackyardError):
    """A push that could not complete: a bad layout, a refused login, a registry fault."""


class UploadLostError(RegistryPushError):
    """The registry no longer knows an upload session (404), or not at that offset (416).

    After a chunk broke on the wire the distribution registry cancels the session once
    its handler notices; a status asked before then still answers, so a push that
    continued from it finds the session gone on its next request.
    """


LOST_UPLOAD = (404, 416)


@dataclass(frozen=True)
class Target:
    """Where images go: ``https://HOST[:PORT]`` and a repository prefix (may be empty)."""

    base_url: str
    prefix: str

    def repository(self, name: str) -> str:
        """``name`` under the prefix."""
        return f"{self.prefix}/{name}" if self.prefix else name


def parse_target(text: str) -> Target:
    """``HOST[:PORT][/PREFIX]`` (``http://`` only when asked for) as a :class:`Target`."""
    scheme = "https"
    for given in ("https://", "http://"):
        if text.startswith(given):
            scheme, text = given[:-3], text[len(given) :]
    host, _, prefix = text.strip("/").partition("/")
    if not host or any(c in host for c in " @?#"):
        raise RegistryPushError(f"--registry {text!r}: expected HOST[:PORT][/PREFIX]")
    return Target(f"{scheme}://{host}", prefix.strip("/"))


@dataclass(frozen=True)
class Credentials:
    """A user name and password for the registry."""

    username: str
    password: str


def credentials_from(environ: Mapping[str, str]) -> Credentials | None:
    """The credentials the environment holds, or None when it holds none."""
    username, password = environ.get(USERNAME_VARIABLE, ""), environ.get(PASSWORD_VARIABLE, "")
    if not username and not password:
        return None
    if not (username and password):
        raise RegistryPushError(f"set both {USERNAME_VARIABLE} and {PASSWORD_VARIABLE}, or neither")
    return Credentials(username, password)


class RegistryClient:
    """The few registry API calls a push makes, with the login negotiated on demand."""

    def __init__(
        self,
        target: Target,
        credentials: Credentials | None,
        ca_file: Path | None,
        *,
        actions: str = "pull,push",
    ):
        """A client for ``target``; nothing is sent until the first call.

        ``actions`` is what a bearer token is asked for (``pull`` alone for a client that
        only reads: Docker Hub and ghcr.io give anonymous users pull tokens only).
        """
        self.target = target
        self.actions = actions
        self.credentials = credentials
        tls: dict[str, Any] = {"ca_certs": str(ca_file)} if ca_file else {}
        # Keep a connection per blob a push sends at once, instead of one reused connection.
        self.pool = urllib3.PoolManager(
            retries=False, timeout=urllib3.Timeout(30, 300), maxsize=CONNECTIONS, **tls
        )
        self.challenge: dict[str, str] = {}
        self.scheme = ""
        # (repository ("" for /v2/), repository a blob is mounted from or "") → header
        self.authorization: dict[tuple[str, str], str] = {}

    def close(self) -> None:
        """Close every connection to the registry."""
        self.pool.clear()

    def ping(self) -> None:
        """Learn how the registry wants to be logged in to (``GET /v2/``)."""
        response = self._send("GET", f"{self.target.base_url}/v2/", None, {}, ("", ""))
        if response.status == 401:
            raise self._refused("")
        if response.status != 200:
            raise RegistryPushError(
                f"{self.target.base_url}: not an OCI registry (GET /v2/ answered {response.status})"
            )

    def blob_size(self, repository: str, digest: str) -> int | None:
        """The size the registry holds ``digest`` with in ``repository``, or None."""
        url = f"{self.target.base_url}/v2/{repository}/blobs/{digest}"
        response = self.request("HEAD", url, repository)
        if response.status == 404:
            return None
        self._expect(response, (200,), f"HEAD {digest} in {repository}")
        if response.headers.get("Docker-Content-Digest", digest) != digest:
            return None
        return int(response.headers.get("Content-Length", "-1"))

    def start_upload(self, repository: str) -> str:
        """A new upload session's URL."""
        url = f"{self.target.base_url}/v2/{repository}/blobs/uploads/"
        response = self.request("POST", url, repository, headers={"Content-Length": "0"})
        self._expect(response, (202,), f"starting an upload to {repository}")
        return self._location(url, response)

    def mount(self, repository: str, digest: str, source: str) -> str | None:
        """Link the blob ``digest`` the registry holds in ``source`` into ``repository``.

        None when the registry mounted it (201): no byte needs to move. Otherwise the
        registry opened an ordinary upload session instead (202), whose URL is returned.
        The login asks for ``pull`` on ``source`` too, which a token registry checks.
        """
        query = urlencode({"mount": digest, "from": source})
        url = f"{self.target.base_url}/v2/{repository}/blobs/uploads/?{query}"
        headers = {"Content-Length": "0"}
        response = self.request("POST", url, repository, headers=headers, source=source)
        self._expect(response, (201, 202), f"mounting {digest} from {source} into {repository}")
        return None if response.status == 201 else self._location(url, response)

    def patch(self, location: str, offset: int, piece: bytes) -> str:
        """Send one chunk at ``offset``; the URL for the next."""
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Range": f"{offset}-{offset + len(piece) - 1}",
            "Content-Length": str(len(piece)),
        }
        response = self.request("PATCH", location, self._repository(location), piece, headers)
        self._expect_session(response, (202,), "uploading a chunk")
        return self._location(location, response)

    def upload_offset(self, location: str) -> int | None:
        """How many bytes an upload session holds, when the registry says (``Range``).

        None when it cannot say, and for ``0-0``: the distribution registry answers that for
        an empty session and for one holding a byte alike (``blobUploadResponse`` in
        https://github.com/distribution/distribution/blob/v2.8.2/registry/handlers/blobupload.go),
        and appends a chunk where its data ends whatever Content-Range says, so a guess
        stores the blob shifted. Starting over costs one byte at most.
        """
        try:
            response = self.request("GET", location, self._repository(location))
        except urllib3.exceptions.HTTPError:
            return None
        match = re.fullmatch(r"0-([1-9]\d*)", response.headers.get("Range", ""))
        return int(match.group(1)) + 1 if response.status == 204 and match else None

    def finish_upload(self, location: str, digest: str, body: bytes) -> None:
        """Close the session with ``digest`` (and the last bytes, for a one-request upload)."""
        separator = "&" if "?" in location else "?"
        url = f"{location}{separator}{urlencode({'digest': digest})}"
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(len(body))}
        response = self.request("PUT", url, self._repository(location), body, headers)
        self._expect_session(response, (201,), f"finishing the upload of {digest}")

    def manifest_digest(self, repository: str, reference: str) -> str | None:
        """The digest of ``repository:reference`` in the registry, or None when absent."""
        url = f"{self.target.base_url}/v2/{repository}/manifests/{reference}"
        headers = {"Accept": ACCEPTED_MANIFESTS}
        response = self.request("HEAD", url, repository, headers=headers)
        if response.status == 404:
            return None
        self._expect(response, (200,), f"HEAD {repository}:{reference}")
        return response.headers.get("Docker-Content-Digest")

    def put_manifest(self, repository: str, reference: str, media_type: str, body: bytes) -> str:
        """Store a manifest; the digest the registry computed for it."""
        url = f"{self.target.base_url}/v2/{repository}/manifests/{reference}"
        headers = {"Content-Type": media_type, "Content-Length": str(len(body))}
        response = self.request("PUT", url, repository, body, headers)
        self._expect(response, (201,), f"storing {repository}:{reference}")
        return response.headers.get("Docker-Content-Digest", "")

    def open_blob(self, repository: str, digest: str, offset: int) -> urllib3.BaseHTTPResponse:
        """A blob's bytes from ``offset`` on, as a stream the caller reads and releases.

        With ``offset`` above 0 the registry is asked for a ``Range``; it answers 206 when it
        honours it, 200 with the whole blob when it does not. A registry that keeps its
        blobs in object storage redirects to it (Docker Hub, Harbor on S3); the redirect is
        followed without the registry's login, which belongs to the registry alone.
        """
        url = f"{self.target.base_url}/v2/{repository}/blobs/{digest}"
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        response = self.request("GET", url, repository, headers=headers, preload=False)
        for _ in range(5):
            location = response.headers.get("Location", "")
            if response.status not in (301, 302, 303, 307, 308) or not location:
                break
            response.release_conn()
            response = self._call("GET", urljoin(url, location), None, headers, preload=False)
        return response

    def request(
        self,
        method: str,
        url: str,
        repository: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        source: str = "",
        *,
        preload: bool = True,
    ) -> urllib3.BaseHTTPResponse:
        """One call, logged in for ``repository`` (and to read ``source``, when given).

        A stale login is renewed once. ``preload=False`` leaves the body unread, for the
        caller to stream and release.
        """
        scope = (repository, source)
        response = self._send(method, url, body, dict(headers or {}), scope, preload)
        if response.status == 401:
            if not preload:
                response.drain_conn()
            self.authorization.pop(scope, None)
            response = self._send(method, url, body, dict(headers or {}), scope, preload)
            if response.status == 401:
                if _insufficient_scope(response) and self.credentials is not None:
                    raise self._not_allowed(repository)
                raise self._refused(repository)
        return response

    def _send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: dict[str, str],
        scope: tuple[str, str],
        preload: bool = True,
    ) -> urllib3.BaseHTTPResponse:
        if self.scheme and scope not in self.authorization:
            self.authorization[scope] = self._authorize(*scope)
        if scope in self.authorization:
            headers["Authorization"] = self.authorization[scope]
        response = self._call(method, url, body, headers, preload=preload)
        if response.status == 401 and not self.scheme:
            if not preload:
                response.drain_conn()
            self._learn(response)
            if self.scheme:
                return self._send(method, url, body, {**headers}, scope, preload)
        return response

    def _call(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
        *,
        preload: bool = True,
    ) -> urllib3.BaseHTTPResponse:
        try:
            return self.pool.request(
                method,
                url,
                body=body,
                headers=dict(headers),
                redirect=False,
                preload_content=preload,
            )
        except urllib3.exceptions.HTTPError as error:
            # A refused certificate is the user's to fix; any other TLS or socket fault (a
            # line cut mid-request) stays a transport error the upload may recover from.
            reason = error.reason if isinstance(error, urllib3.exceptions.MaxRetryError) else error
            if "CERTIFICATE_VERIFY_FAILED" in str(reason):
                raise self._untrusted(reason) from error
            raise

    def _learn(self, response: urllib3.BaseHTTPResponse) -> None:
        header = response.headers.get("WWW-Authenticate", "")
        scheme, _, params = header.partition(" ")
        if self.credentials is None and scheme.lower() == "basic":
            return
        self.scheme = scheme.lower()
        self.challenge = dict(_CHALLENGE.findall(params))

    def _authorize(self, repository: str, source: str = "") -> str:
        basic = ""
        if self.credentials is not None:
            pair = f"{self.credentials.username}:{self.credentials.password}".encode()
            basic = "Basic " + base64.b64encode(pair).decode()
        if self.scheme != "bearer":
            return basic
        query = [("service", self.challenge.get("service", ""))]
        if repository:
            query.append(("scope", f"repository:{repository}:{self.actions}"))
        if source:
            query.append(("scope", f"repository:{source}:pull"))
        url = f"{self.challenge.get('realm', '')}?{urlencode(query)}"
        response = self._call("GET", url, None, {"Authorization": basic} if basic else {})
        if response.status != 200:
            raise self._refused(repository)
        answer = json.loads(response.data or b"{}")
        if not isinstance(answer, dict):
            raise self._refused(repository)
        token = answer.get("token") or answer.get("access_token")
        if not token:
            raise self._refused(repository)
        return f"Bearer {token}"

    def _refused(self, repository: str) -> RegistryPushError:
        what = f" for {repository}" if repository else ""
        if self.credentials is None:
            return RegistryPushError(
                f"{self.target.base_url} asks for a login{what}: set {USERNAME_VARIABLE} "
                f"and {PASSWORD_VARIABLE}"
            )
        return RegistryPushError(
            f"{self.target.base_url} refused the credentials of {self.credentials.username!r}"
            f"{what} (from {USERNAME_VARIABLE} and {PASSWORD_VARIABLE})"
        )

    def _not_allowed(self, repository: str) -> RegistryPushError:
        assert self.credentials is not None
        action, right = ("push to", "push") if "push" in self.actions else ("pull from", "pull")
        return RegistryPushError(
            f"{self.target.base_url} accepted the login of {self.credentials.username!r} but "
            f"does not let it {action} {repository}: give that account {right} rights there"
        )

    def _untrusted(self, error: object) -> RegistryPushError:
        return RegistryPushError(
            f"{self.target.base_url}: the registry's TLS certificate is not trusted ({error}); "
            "pass --ca-file with the CA that signed it"
        )

    def _expect(
        self, response: urllib3.BaseHTTPResponse, statuses: tuple[int, ...], what: str
    ) -> None:
        if response.status not in statuses:
            text = response.data[:300].decode("utf-8", "replace").strip()
            raise RegistryPushError(
                f"{self.target.base_url}: {what} failed: HTTP {response.status} {text}"
            )

    def _expect_session(
        self, response: urllib3.BaseHTTPResponse, statuses: tuple[int, ...], what: str
    ) -> None:
        """As :meth:`_expect`, telling a lost upload session apart (:class:`UploadLostError`)."""
        if response.status in LOST_UPLOAD:
            text = response.data[:300].decode("utf-8", "replace").strip()
            raise UploadLostError(
                f"{self.target.base_url}: {what} failed: the registry dropped the upload "
                f"(HTTP {response.status} {text})"
            )
        self._expect(response, statuses, what)

    def _location(self, base: str, response: urllib3.BaseHTTPResponse) -> str:
        location = response.headers.get("Location", "")
        if not location:
            raise RegistryPushError(f"{self.target.base_url}: an upload answer without Location")
        return urljoin(base, location)

    def _repository(self, location: str) -> str:
        path = urlsplit(location).path.removeprefix("/v2/")
        return path.partition("/blobs/uploads/")[0]


def _insufficient_scope(response: urllib3.BaseHTTPResponse) -> bool:
    """Whether a refusal is about rights rather than identity.

    A token service (Harbor's) logs in a user without push rights, granting fewer actions
    than asked, and the registry answers the push with ``error="insufficient_scope"``
    (https://datatracker.ietf.org/doc/html/rfc6750#section-3.1).
    """
    challenge = dict(_CHALLENGE.findall(response.headers.get("WWW-Authenticate", "")))
    return challenge.get("error") == "insufficient_scope"

"""A real OCI registry for tests: Debian's ``docker-registry`` (distribution) on loopback.

:func:`start_registry` runs a registry of its own in a temporary folder: filesystem storage
there, HTTPS on a free loopback port with a certificate a private CA signs (made with
``cryptography``, as the OpenLDAP server's), and one user: by default htpasswd
authentication with one bcrypt entry (written with the ``bcrypt`` library), or with
``token=True`` bearer tokens from the test token issuer (:mod:`tests.tokenserver`), as
Harbor logs clients in. Nothing of the machine's own registry setup is read or touched. It
is ready once ``/v2/`` answers (401 without credentials).

A :class:`Registry` also reads back what arrived (:meth:`Registry.pull`,
:meth:`Registry.catalog`), logged in as its user either way, and names the files a test
reaches into: its access log, an upload session's folder in its storage.

CI installs ``docker-registry`` (.ci/run); where it is missing the tests that need the
registry fail, saying what to install.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import ssl
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import bcrypt
import urllib3

from tests.certificates import certificate_authority, leaf, write_certificate, write_key
from tests.servers import free_port, stop_process, wait_until_ready
from tests.tokenserver import ISSUER, SERVICE, TokenServer, start_token_server

USERNAME = "pusher"
PASSWORD = "push-secret"  # a throwaway password of a throwaway registry
READER = "reader"
READER_PASSWORD = "read-secret"
"""A user of the token-mode registry whose tokens grant ``pull`` only."""
BINARY = "docker-registry"
MANIFEST_ACCEPT = (
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json"
)


class RegistryMissingError(RuntimeError):
    """The distribution registry is not installed."""


@dataclass(frozen=True)
class Registry:
    """A running test registry: where it listens and the files a client needs."""

    port: int
    ca_file: Path
    other_ca_file: Path
    storage: Path
    process: subprocess.Popen[bytes]
    folder: Path
    token_server: TokenServer | None = None

    @property
    def host(self) -> str:
        """HOST:PORT as ``--registry`` takes it."""
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop the registry (and its token issuer) and wait for them."""
        stop_process(self.process)
        if self.token_server is not None:
            self.token_server.stop()

    def access_log(self) -> list[str]:
        """The registry's access log so far, one request a line."""
        log = (self.folder / "registry.log").read_text(encoding="utf-8", errors="replace")
        return [line for line in log.splitlines() if line.startswith("127.0.0.1 - ")]

    def repository_folder(self, repository: str) -> Path:
        """Where the filesystem storage keeps ``repository``'s links and upload sessions."""
        return self.storage / "docker/registry/v2/repositories" / repository

    def upload_folder(self, location: str) -> Path:
        """Where the filesystem storage keeps the upload session at ``location`` (its URL)."""
        path = urlsplit(location).path.removeprefix("/v2/")
        repository, _, session = path.partition("/blobs/uploads/")
        return self.repository_folder(repository) / "_uploads" / session

    def get(self, path: str, scope: str, accept: str = "*/*") -> urllib3.BaseHTTPResponse:
        """``GET /v2/PATH`` as the registry's user, with a token for ``scope`` in token mode."""
        basic = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        authorization = basic
        with urllib3.PoolManager(ca_certs=str(self.ca_file)) as pool:
            if self.token_server is not None:
                query = urlencode({"service": SERVICE, "scope": scope})
                answer = pool.request(
                    "GET", f"{self.token_server.realm}?{query}", headers={"Authorization": basic}
                )
                authorization = "Bearer " + json.loads(answer.data)["token"]
            headers = {"Authorization": authorization, "Accept": accept}
            return pool.request("GET", f"https://{self.host}/v2/{path}", headers=headers)

    def catalog(self) -> list[str]:
        """Every repository the registry holds."""
        response = self.get("_catalog?n=1000", "registry:catalog:*")
        assert response.status == 200, response.data
        names: list[str] = json.loads(response.data)["repositories"] or []
        return names

    def pull(self, repository: str, reference: str) -> dict[str, bytes]:
        """Every manifest and blob under ``repository:reference``, by the digest of its bytes."""
        scope = f"repository:{repository}:pull"
        found: dict[str, bytes] = {}
        response = self.get(f"{repository}/manifests/{reference}", scope, MANIFEST_ACCEPT)
        assert response.status == 200, response.data
        pending = [response.data]
        while pending:
            data = pending.pop()
            found["sha256:" + hashlib.sha256(data).hexdigest()] = data
            document = json.loads(data)
            for child in document.get("manifests", []):
                path = f"{repository}/manifests/{child['digest']}"
                pending.append(self.get(path, scope, MANIFEST_ACCEPT).data)
            for blob in [document.get("config"), *document.get("layers", [])]:
                if blob:
                    got = self.get(f"{repository}/blobs/{blob['digest']}", scope)
                    found["sha256:" + hashlib.sha256(got.data).hexdigest()] = got.data
        return found


def _binary() -> str | None:
    return shutil.which(BINARY) or shutil.which(BINARY, path="/usr/bin:/usr/sbin")


def start_registry(folder: Path, *, token: bool = False) -> Registry:
    """Configure and start a test registry in ``folder``; the caller stops it.

    With ``token``, the registry logs clients in with bearer tokens from a token issuer
    started beside it (and stopped with it) instead of htpasswd.

    Raises:
        RegistryMissingError: docker-registry is not installed.
        RuntimeError: the registry did not come up (its log is in the message).
    """
    binary = _binary()
    if binary is None:
        raise RegistryMissingError(
            "the OCI registry tests need Debian's docker-registry (apt-get install docker-registry)"
        )
    ca_key, ca = certificate_authority("Stackyard test registry CA")
    _, other = certificate_authority("Some other CA")
    key, cert = leaf("127.0.0.1", ca_key, ca)
    ca_file = write_certificate(folder / "ca.pem", ca)
    other_ca_file = write_certificate(folder / "other.pem", other)
    cert_file = write_certificate(folder / "server.pem", cert)
    key_file = write_key(folder / "server.key", key)
    token_server = None
    if token:
        token_server = start_token_server(
            folder,
            cert_file,
            key_file,
            {USERNAME: PASSWORD, READER: READER_PASSWORD},
            readers=frozenset({READER}),
        )
        auth = f"""\
  token:
    realm: {token_server.realm}
    service: {SERVICE}
    issuer: {ISSUER}
    rootcertbundle: {token_server.root_bundle}
"""
    else:
        hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=5)).decode()
        htpasswd = folder / "htpasswd"
        htpasswd.write_text(f"{USERNAME}:{hashed}\n", encoding="utf-8")
        auth = f"""\
  htpasswd:
    realm: stackyard-test
    path: {htpasswd}
"""
    storage = folder / "storage"
    storage.mkdir()
    port = free_port()
    config = folder / "config.yml"
    config.write_text(
        f"""\
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
  secret: throwaway-test-secret
  tls:
    certificate: {cert_file}
    key: {key_file}
auth:
{auth}""",
        encoding="utf-8",
    )
    with (folder / "registry.log").open("wb") as log:  # the registry keeps its own descriptor
        process = subprocess.Popen(
            [binary, "serve", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    registry = Registry(port, ca_file, other_ca_file, storage, process, folder, token_server)
    context = ssl.create_default_context(cafile=str(ca_file))
    try:
        wait_until_ready(
            lambda: _answers(f"https://{registry.host}/v2/", context),
            process,
            folder / "registry.log",
            "docker-registry",
        )
    except RuntimeError:
        registry.stop()
        raise
    return registry


def _answers(url: str, context: ssl.SSLContext) -> bool:
    try:
        with urllib.request.urlopen(url, context=context, timeout=1):
            return True
    except urllib.error.HTTPError as error:
        return error.code == 401  # up, asking for the credentials
    except OSError:
        return False

"""A real OCI registry for tests: Debian's ``docker-registry`` (distribution) on loopback.

:func:`start_registry` runs a registry of its own in a temporary folder: filesystem storage
there, HTTPS on a free loopback port with a certificate a private CA signs (made with
``cryptography``, as the OpenLDAP server's), and htpasswd authentication with one bcrypt
entry (written with the ``bcrypt`` library). Nothing of the machine's own registry setup is
read or touched. It is ready once ``/v2/`` answers (401 without credentials).

CI installs ``docker-registry`` (.ci/run); where it is missing the tests that need the
registry fail, saying what to install.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import bcrypt

from tests.certificates import certificate_authority, leaf, write_certificate, write_key
from tests.servers import free_port, stop_process, wait_until_ready

USERNAME = "pusher"
PASSWORD = "push-secret"  # a throwaway password of a throwaway registry
BINARY = "docker-registry"


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

    @property
    def host(self) -> str:
        """HOST:PORT as ``--registry`` takes it."""
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop the registry and wait for it."""
        stop_process(self.process)


def _binary() -> str | None:
    return shutil.which(BINARY) or shutil.which(BINARY, path="/usr/bin:/usr/sbin")


def start_registry(folder: Path) -> Registry:
    """Configure and start a test registry in ``folder``; the caller stops it.

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
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=5)).decode()
    htpasswd = folder / "htpasswd"
    htpasswd.write_text(f"{USERNAME}:{hashed}\n", encoding="utf-8")
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
  htpasswd:
    realm: stackyard-test
    path: {htpasswd}
""",
        encoding="utf-8",
    )
    with (folder / "registry.log").open("wb") as log:  # the registry keeps its own descriptor
        process = subprocess.Popen(
            [binary, "serve", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    registry = Registry(port, ca_file, other_ca_file, storage, process, folder)
    context = ssl.create_default_context(cafile=str(ca_file))
    wait_until_ready(
        lambda: _answers(f"https://{registry.host}/v2/", context),
        process,
        folder / "registry.log",
        "docker-registry",
    )
    return registry


def _answers(url: str, context: ssl.SSLContext) -> bool:
    try:
        with urllib.request.urlopen(url, context=context, timeout=1):
            return True
    except urllib.error.HTTPError as error:
        return error.code == 401  # up, asking for the credentials
    except OSError:
        return False

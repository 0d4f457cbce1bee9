"""A real etcd for tests: Debian's ``etcd-server``, on loopback, in a temporary folder.

:func:`start_etcd` runs a single-member etcd of its own on two free loopback ports, its
client port served over TLS with client-certificate authentication: a CA, a server
certificate for 127.0.0.1 and a client certificate, all made with the ``cryptography``
library, plus a second, unrelated CA with a client certificate of its own (the wrong
certificate). :func:`seed` writes :data:`KEYS` keys in one transaction, some of them
updated twice so the store holds history as a cluster's does. The machine's own etcd
service, if any, is neither read nor touched.

CI installs ``etcd-server`` and ``etcd-client`` (.ci/run); where they are missing the tests
that need the server fail, saying what to install.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.certificates import certificate_authority, leaf, write_certificate, write_key
from tests.servers import free_port, stop_process, wait_until_ready

KEYS = 1000
"""How many keys the seeded store holds."""
VALUE_BYTES = 1024
"""The size of each value: the database is a few megabytes."""


class EtcdMissingError(RuntimeError):
    """etcd or etcdctl is not installed."""


@dataclass(frozen=True)
class Etcd:
    """A running test etcd: where it listens and the client's TLS files."""

    client_port: int
    folder: Path
    cacert: Path
    cert: Path
    key: Path
    other_cacert: Path
    other_cert: Path
    other_key: Path
    process: subprocess.Popen[bytes]

    @property
    def endpoint(self) -> str:
        """https:// on loopback; the server certificate names 127.0.0.1."""
        return f"https://127.0.0.1:{self.client_port}"

    def ctl(self, *args: str, stdin: str | None = None) -> str:
        """Run etcdctl against this server with the right client certificate; its stdout."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ETCDCTL_")}
        env["ETCDCTL_API"] = "3"
        done = subprocess.run(
            [
                "etcdctl",
                f"--endpoints={self.endpoint}",
                f"--cacert={self.cacert}",
                f"--cert={self.cert}",
                f"--key={self.key}",
                *args,
            ],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=60,
        )
        return done.stdout

    def fingerprint(self) -> tuple[int, int]:
        """The current revision and etcd's hash of the whole key-value store."""
        (answer,) = json.loads(self.ctl("endpoint", "hashkv", "-w", "json"))
        return int(answer["HashKV"]["header"]["revision"]), int(answer["HashKV"]["hash"])

    def stop(self) -> None:
        """Stop the server and wait for it."""
        stop_process(self.process)


def missing_tools() -> list[str]:
    """What this machine lacks to run the test etcd (empty when it has everything)."""
    return [tool for tool in ("etcd", "etcdctl") if shutil.which(tool) is None]


def start_etcd(folder: Path) -> Etcd:
    """Start a TLS test etcd in ``folder``; the caller stops it.

    Raises:
        EtcdMissingError: etcd or etcdctl is missing.
    """
    missing = missing_tools()
    if missing:
        raise EtcdMissingError(
            f"the etcd tests need {', '.join(missing)}: "
            "apt-get install etcd-server etcd-client (.ci/run does)"
        )
    tls = _certificates(folder)
    client, peer = free_port(), free_port()
    with (folder / "etcd.log").open("wb") as log:
        process = subprocess.Popen(
            [
                "etcd",
                "--name=source",
                f"--data-dir={folder / 'data'}",
                f"--listen-client-urls=https://127.0.0.1:{client}",
                f"--advertise-client-urls=https://127.0.0.1:{client}",
                f"--listen-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-cluster=source=http://127.0.0.1:{peer}",
                f"--cert-file={tls['server']}",
                f"--key-file={tls['server.key']}",
                f"--trusted-ca-file={tls['ca']}",
                "--client-cert-auth",
                "--max-txn-ops=5000",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = Etcd(
        client,
        folder,
        tls["ca"],
        tls["client"],
        tls["client.key"],
        tls["other-ca"],
        tls["other-client"],
        tls["other-client.key"],
        process,
    )

    def healthy() -> bool:
        try:
            server.ctl("endpoint", "health", "--dial-timeout=1s")
        except subprocess.CalledProcessError:
            return False
        return True

    wait_until_ready(healthy, process, folder / "etcd.log", "the test etcd")
    return server


def value(n: int) -> str:
    """The seeded value of key ``n`` (printable, no spaces)."""
    seed = hashlib.sha256(str(n).encode()).hexdigest()
    return (seed * (VALUE_BYTES // len(seed) + 1))[:VALUE_BYTES]


def seed(server: Etcd) -> None:
    """Write :data:`KEYS` keys in one transaction, then update every tenth twice more."""
    puts = [f"put /registry/items/{n:05d} {value(n)}" for n in range(KEYS)]
    server.ctl("txn", stdin="\n" + "\n".join(puts) + "\n\n\n")
    for _ in range(2):
        updates = [f"put /registry/items/{n:05d} {value(n + 1)}" for n in range(0, KEYS, 10)]
        server.ctl("txn", stdin="\n" + "\n".join(updates) + "\n\n\n")


def _certificates(folder: Path) -> dict[str, Path]:
    """A CA, a server and a client certificate it signs, and a second CA with its own client."""
    ca_key, ca = certificate_authority("Stackyard etcd test CA")
    other_key, other = certificate_authority("Some other CA")
    paths = {
        "ca": write_certificate(folder / "ca.pem", ca),
        "other-ca": write_certificate(folder / "other-ca.pem", other),
    }
    for name, issuer_key, issuer in [
        ("server", ca_key, ca),
        ("client", ca_key, ca),
        ("other-client", other_key, other),
    ]:
        key, cert = leaf(name, issuer_key, issuer)
        paths[name] = write_certificate(folder / f"{name}.pem", cert)
        paths[f"{name}.key"] = write_key(folder / f"{name}.key.pem", key)
    return paths

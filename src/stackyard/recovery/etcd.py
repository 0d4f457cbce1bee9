"""An etcd restore drill: snapshot, verify, restore, start, compare, stop.

:func:`run_drill` does what a recovery from an etcd snapshot does, on loopback, and
measures it:

1. **Snapshot.** Against a running etcd (``endpoint``), ``etcdctl snapshot save`` into a
   temporary folder; or a snapshot file already taken (RKE2's, or the one the rendered
   kubeadm CronJob writes), without contacting any source. A snapshot in object storage
   is downloaded first (:mod:`stackyard.recovery.s3`) and restored as a file.
2. **Verify.** A snapshot that ``etcdctl snapshot save`` wrote ends in the SHA-256 of the
   database before it (32 bytes after a whole number of 512-byte blocks): it is checked
   here, so a flipped byte is an integrity failure, not a later surprise. A database copied
   from a data directory has no such hash (its size is a whole number of 4 KiB pages); any
   other size is a truncated file. ``etcdctl snapshot status`` then reads the revision,
   the number of keys and the size.
3. **Restore** into a fresh data directory (``snapshot restore``). The offline snapshot
   commands (``snapshot status`` and ``snapshot restore``) run with ``etcdutl`` when it is
   installed (etcd 3.5 moved them there and 3.6 removed them from ``etcdctl``), else with
   ``etcdctl`` (etcd 3.4, as Debian 12 ships it, has no ``etcdutl``).
4. **Start** a throwaway single-member etcd on two free loopback ports from the restored
   data and wait until ``etcdctl endpoint health`` says it is healthy. The recovery time
   is restore plus start-to-healthy.
5. **Compare** with the source at the snapshot's revision: the revision, the number of
   live keys, etcd's own hash of the key-value store (``endpoint hashkv --rev``) and a
   sample of keys whose values are hashed on both sides. Without a source, the restored
   revision is compared with the snapshot's own status.
6. **Stop** the throwaway etcd and remove what the drill made.

The source is only read (``endpoint status``, ``snapshot save``, ``get``, ``hashkv``):
nothing is written to it. A step that fails ends the drill; the report says which step
and why, with etcd's own message.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stackyard.recovery.s3 import S3Object

COMMAND_SECONDS = 30
"""How long one etcdctl call may take (dial and command)."""
START_SECONDS = 60.0
"""How long the throwaway etcd may take to become healthy."""
SAMPLE = 20
"""How many keys are compared value by value by default."""
HASH_SIZE = 32
"""The SHA-256 ``etcdctl snapshot save`` appends to the database."""
PAGE = 4096
"""bbolt's page size: a database copied from a data directory is whole pages."""
MEMBER = "drill"
"""The throwaway member's name."""


class DrillStepError(Exception):
    """A step of the drill failed; ``step`` names it."""

    def __init__(self, step: str, message: str) -> None:
        """Keep the step and the reason."""
        self.step = step
        self.message = message
        super().__init__(f"{step}: {message}")


@dataclass(frozen=True)
class TlsFiles:
    """The client TLS files for the source endpoint (as the control plane exposes it)."""

    cacert: Path | None = None
    cert: Path | None = None
    key: Path | None = None

    def flags(self) -> list[str]:
        """The etcdctl flags for these files."""
        flags = []
        for name, path in (("cacert", self.cacert), ("cert", self.cert), ("key", self.key)):
            if path is not None:
                flags.append(f"--{name}={path}")
        return flags


@dataclass(frozen=True)
class EtcdTools:
    """Where the etcd binaries are."""

    etcd: str
    etcdctl: str
    version: str
    etcdutl: str | None = None
    """etcd 3.5's offline tool; None where only etcdctl has the snapshot commands."""

    @property
    def offline(self) -> str:
        """The tool that runs ``snapshot status`` and ``snapshot restore``."""
        return self.etcdutl or self.etcdctl


def find_tools(path: str | None = None) -> EtcdTools | None:
    """``etcd`` and ``etcdctl`` on ``path`` (default ``PATH``), or None when one is missing."""
    etcd = shutil.which("etcd", path=path)
    etcdctl = shutil.which("etcdctl", path=path)
    if etcd is None or etcdctl is None:
        return None
    try:
        out = subprocess.run(
            [etcd, "--version"], capture_output=True, text=True, timeout=COMMAND_SECONDS
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    version = next(
        (line.split(":", 1)[1].strip() for line in out.splitlines() if "etcd Version" in line),
        "unknown",
    )
    return EtcdTools(etcd, etcdctl, version, shutil.which("etcdutl", path=path))


@dataclass(frozen=True)
class SnapshotStatus:
    """What the snapshot file is: its integrity hash and etcd's status of it."""

    file: str
    size: int
    sha256: str
    integrity: str
    """``verified`` (the appended SHA-256 matches) or ``none`` (a copied database)."""
    hash: int
    revision: int
    total_keys: int
    total_size: int

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "file": self.file,
            "size": self.size,
            "sha256": self.sha256,
            "integrity": self.integrity,
            "hash": self.hash,
            "revision": self.revision,
            "totalKeys": self.total_keys,
            "totalSize": self.total_size,
        }


@dataclass(frozen=True)
class SourceState:
    """The source endpoint as the snapshot was taken."""

    endpoint: str
    version: str
    revision_before: int
    keys: int | None = None
    hash_kv: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "endpoint": self.endpoint,
            "version": self.version,
            "revisionBefore": self.revision_before,
            "keys": self.keys,
            "hashKV": self.hash_kv,
        }


@dataclass(frozen=True)
class Step:
    """One step of the drill: what ran, how long it took, whether it worked."""

    name: str
    seconds: float
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "name": self.name,
            "seconds": round(self.seconds, 3),
            "ok": self.ok,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Check:
    """One comparison between the restored etcd and what it should hold."""

    name: str
    expected: str
    found: str

    @property
    def ok(self) -> bool:
        """Whether they agree."""
        return self.expected == self.found

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"name": self.name, "expected": self.expected, "found": self.found, "ok": self.ok}


@dataclass(frozen=True)
class Comparison:
    """The restored etcd against the source (or the snapshot's own status)."""

    against: str
    """``source`` or ``snapshot``."""
    checks: tuple[Check, ...]
    sampled: tuple[str, ...] = ()
    mismatched: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether every check and every sampled key agrees."""
        return all(c.ok for c in self.checks) and not self.mismatched

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "against": self.against,
            "ok": self.ok,
            "checks": [c.as_dict() for c in self.checks],
            "sample": {"keys": len(self.sampled), "mismatched": list(self.mismatched)},
        }


@dataclass(frozen=True)
class DrillReport:
    """What the drill did, measured, and found."""

    started: datetime.datetime
    etcd_version: str
    source: SourceState | None
    snapshot: SnapshotStatus | None
    steps: tuple[Step, ...]
    comparison: Comparison | None
    recovery_seconds: float | None
    restore_dir: str
    kept: bool
    failed_step: str | None = None
    error: str | None = None
    commands: tuple[str, ...] = field(default=())
    s3: S3Object | None = None
    """The object-store object the snapshot was downloaded from, if it was."""

    @property
    def failed(self) -> bool:
        """Whether a step failed or the restored etcd differs."""
        return self.error is not None or (self.comparison is not None and not self.comparison.ok)


def run_drill(
    *,
    tools: EtcdTools,
    endpoint: str | None = None,
    tls: TlsFiles | None = None,
    snapshot: Path | None = None,
    restore_dir: Path | None = None,
    sample: int = SAMPLE,
    timeout: float = START_SECONDS,
) -> DrillReport:
    """Run the drill against ``endpoint`` or from ``snapshot`` (exactly one).

    A step that fails ends the drill and is in the report; nothing is raised for it.

    ``restore_dir`` is where the data directory is restored (it must not exist; it is kept
    afterwards); by default a temporary folder that is removed.
    """
    started = datetime.datetime.now(datetime.UTC)
    drill = _Drill(tools, tls or TlsFiles(), sample, timeout)
    work = Path(tempfile.mkdtemp(prefix="stackyard-etcd-drill-"))
    data_dir = restore_dir if restore_dir is not None else work / "restored"
    source: SourceState | None = None
    status: SnapshotStatus | None = None
    comparison: Comparison | None = None
    recovery: float | None = None
    failed_step = error = None
    try:
        if endpoint is not None:
            source = drill.read_source(endpoint)
            snapshot = drill.save(endpoint, work / "snapshot.db")
        assert snapshot is not None
        status = drill.verify(snapshot)
        if source is not None:
            source = drill.source_at(source, status.revision)
        recovery, client = drill.restore_and_start(snapshot, data_dir, work)
        comparison = drill.compare(client, endpoint, source, status)
    except DrillStepError as failure:
        failed_step, error = failure.step, failure.message
    finally:
        drill.stop()
        shutil.rmtree(work, ignore_errors=True)
    return DrillReport(
        started=started,
        etcd_version=tools.version,
        source=source,
        snapshot=status,
        steps=tuple(drill.steps),
        comparison=comparison,
        recovery_seconds=recovery,
        restore_dir=str(data_dir),
        kept=restore_dir is not None and data_dir.exists(),
        failed_step=failed_step,
        error=error,
        commands=tuple(drill.commands),
    )


class _Drill:
    """The steps, sharing the tools, the timings and the throwaway etcd."""

    def __init__(self, tools: EtcdTools, tls: TlsFiles, sample: int, timeout: float) -> None:
        self.tools = tools
        self.tls = tls
        self.sample = sample
        self.timeout = timeout
        self.steps: list[Step] = []
        self.commands: list[str] = []
        self.process: subprocess.Popen[bytes] | None = None
        self.log: Path | None = None

    # -- running etcdctl -------------------------------------------------------------

    def ctl(
        self,
        step: str,
        args: Sequence[str],
        *,
        endpoint: str | None = None,
        tls: bool = False,
        seconds: int = COMMAND_SECONDS,
        offline: bool = False,
    ) -> str:
        """Run etcdctl (``offline``: the snapshot tool); its stdout, or a DrillStepError."""
        tool = self.tools.offline if offline else self.tools.etcdctl
        argv = [tool]
        if endpoint is not None:
            argv += [
                f"--endpoints={endpoint}",
                f"--dial-timeout={min(seconds, 5)}s",
                f"--command-timeout={seconds}s",
            ]
            if tls:
                argv += self.tls.flags()
        argv += list(args)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ETCDCTL_")}
        env["ETCDCTL_API"] = "3"
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, env=env, timeout=seconds * 2 + 5
            )
        except subprocess.TimeoutExpired:
            raise DrillStepError(
                step, f"{Path(tool).name} {args[0]} did not finish in time"
            ) from None
        except OSError as e:
            raise DrillStepError(step, f"cannot run {tool}: {e.strerror}") from None
        if done.returncode != 0:
            raise DrillStepError(step, _explain(done.stderr))
        return done.stdout

    @property
    def offline_name(self) -> str:
        """The snapshot tool's name, for the commands a record lists."""
        return Path(self.tools.offline).name

    def record(self, name: str, began: float, detail: str) -> float:
        seconds = time.monotonic() - began
        self.steps.append(Step(name, seconds, True, detail))
        return seconds

    def fail(self, name: str, began: float, failure: DrillStepError) -> DrillStepError:
        self.steps.append(Step(name, time.monotonic() - began, False, failure.message))
        return failure

    # -- the steps -------------------------------------------------------------------

    def read_source(self, endpoint: str) -> SourceState:
        began = time.monotonic()
        cause = diagnose(endpoint, self.tls)
        if cause is not None:
            raise self.fail("source", began, DrillStepError("source", cause))
        try:
            out = self.ctl(
                "source", ["endpoint", "status", "-w", "json"], endpoint=endpoint, tls=True
            )
            (status,) = json.loads(out)
            revision = int(status["Status"]["header"]["revision"])
            version = str(status["Status"]["version"])
        except DrillStepError as failure:
            raise self.fail("source", began, failure) from None
        except (ValueError, KeyError, TypeError):
            raise self.fail(
                "source",
                began,
                DrillStepError("source", "etcdctl endpoint status answered no status"),
            ) from None
        self.record("source", began, f"{endpoint}: etcd {version}, revision {revision}")
        return SourceState(endpoint, version, revision)

    def save(self, endpoint: str, path: Path) -> Path:
        began = time.monotonic()
        self.commands.append(f"etcdctl --endpoints={endpoint} snapshot save {path.name}")
        try:
            self.ctl("snapshot", ["snapshot", "save", str(path)], endpoint=endpoint, tls=True)
        except DrillStepError as failure:
            raise self.fail("snapshot", began, failure) from None
        self.record("snapshot", began, f"saved {path.stat().st_size} bytes")
        return path

    def verify(self, snapshot: Path) -> SnapshotStatus:
        began = time.monotonic()
        self.commands.append(f"{self.offline_name} snapshot status {snapshot.name} -w json")
        try:
            status = self._verify(snapshot)
        except DrillStepError as failure:
            raise self.fail("verify", began, failure) from None
        self.record(
            "verify",
            began,
            f"integrity {status.integrity}; revision {status.revision}, "
            f"{status.total_keys} keys, {status.total_size} bytes",
        )
        return status

    def _verify(self, snapshot: Path) -> SnapshotStatus:
        try:
            data = snapshot.read_bytes()
        except OSError as e:
            raise DrillStepError("verify", f"cannot read {snapshot}: {e.strerror}") from None
        digest = hashlib.sha256(data).hexdigest()
        size = len(data)
        if size > HASH_SIZE and size % 512 == HASH_SIZE:
            if hashlib.sha256(data[:-HASH_SIZE]).digest() != data[-HASH_SIZE:]:
                raise DrillStepError(
                    "verify",
                    "integrity hash mismatch: the SHA-256 at the end of the snapshot is not "
                    "the hash of the database before it (the file is corrupted or cut short)",
                )
            integrity = "verified"
        elif size and size % PAGE == 0:
            integrity = "none"
        else:
            raise DrillStepError(
                "verify",
                f"the snapshot is truncated or not an etcd snapshot: {size} bytes is neither "
                f"whole {PAGE}-byte pages nor whole 512-byte blocks and a {HASH_SIZE}-byte hash",
            )
        out = self.ctl("verify", ["snapshot", "status", str(snapshot), "-w", "json"], offline=True)
        try:
            status = json.loads(out)
            return SnapshotStatus(
                file=str(snapshot),
                size=size,
                sha256=digest,
                integrity=integrity,
                hash=int(status["hash"]),
                revision=int(status["revision"]),
                total_keys=int(status["totalKey"]),
                total_size=int(status["totalSize"]),
            )
        except (ValueError, KeyError, TypeError):
            raise DrillStepError("verify", "snapshot status answered no status") from None

    def source_at(self, source: SourceState, revision: int) -> SourceState:
        began = time.monotonic()
        try:
            keys = self.count(source.endpoint, revision, tls=True)
            hash_kv = self.hash_kv(source.endpoint, revision, tls=True)
        except DrillStepError as failure:
            raise self.fail("source", began, failure) from None
        self.record("source", began, f"at revision {revision}: {keys} keys, hashKV {hash_kv}")
        return SourceState(source.endpoint, source.version, source.revision_before, keys, hash_kv)

    def count(self, endpoint: str, revision: int, *, tls: bool = False) -> int:
        out = self.ctl(
            "compare",
            ["get", "", "--prefix", "--keys-only", "--limit=1", f"--rev={revision}", "-w", "json"],
            endpoint=endpoint,
            tls=tls,
        )
        return int(json.loads(out).get("count", 0))

    def hash_kv(self, endpoint: str, revision: int, *, tls: bool = False) -> int:
        out = self.ctl(
            "compare",
            ["endpoint", "hashkv", f"--rev={revision}", "-w", "json"],
            endpoint=endpoint,
            tls=tls,
        )
        (answer,) = json.loads(out)
        return int(answer["HashKV"]["hash"])

    def restore_and_start(self, snapshot: Path, data_dir: Path, work: Path) -> tuple[float, str]:
        client_port, peer_port = _free_ports(2)
        peer = f"http://127.0.0.1:{peer_port}"
        client = f"http://127.0.0.1:{client_port}"
        cluster = f"{MEMBER}={peer}"
        began = time.monotonic()
        restore = [
            "snapshot",
            "restore",
            str(snapshot),
            f"--data-dir={data_dir}",
            f"--name={MEMBER}",
            f"--initial-cluster={cluster}",
            f"--initial-advertise-peer-urls={peer}",
        ]
        self.commands.append(
            " ".join([self.offline_name, *restore[:2], snapshot.name, *restore[3:]])
        )
        try:
            self.ctl("restore", restore, offline=True)
        except DrillStepError as failure:
            raise self.fail("restore", began, failure) from None
        restored = self.record("restore", began, f"into {data_dir}")
        began = time.monotonic()
        argv = [
            self.tools.etcd,
            f"--name={MEMBER}",
            f"--data-dir={data_dir}",
            f"--listen-client-urls={client}",
            f"--advertise-client-urls={client}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster={cluster}",
        ]
        self.commands.append(" ".join(["etcd", *argv[1:]]))
        self.log = work / "etcd.log"
        try:
            with self.log.open("wb") as log:
                self.process = subprocess.Popen(
                    argv,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
        except OSError as e:
            raise self.fail(
                "start", began, DrillStepError("start", f"cannot run etcd: {e.strerror}")
            ) from None
        try:
            self._wait_healthy(client, began)
        except DrillStepError as failure:
            raise self.fail("start", began, failure) from None
        started = self.record("start", began, f"healthy on {client}")
        return restored + started, client

    def _wait_healthy(self, client: str, began: float) -> None:
        assert self.process is not None
        while True:
            code = self.process.poll()
            if code is not None:
                how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
                raise DrillStepError("start", f"the restored etcd {how}: {self._log_tail()}")
            if time.monotonic() - began > self.timeout:
                raise DrillStepError(
                    "start", f"the restored etcd was not healthy within {self.timeout:g}s"
                )
            with contextlib.suppress(DrillStepError):
                out = self.ctl(
                    "start", ["endpoint", "health", "-w", "json"], endpoint=client, seconds=1
                )
                if all(entry.get("health") for entry in json.loads(out)):
                    return
            time.sleep(0.05)

    def _log_tail(self) -> str:
        if self.log is None or not self.log.exists():
            return "no output"
        lines = self.log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        return _explain("\n".join(lines[-5:])) if lines else "no output"

    def compare(
        self,
        client: str,
        endpoint: str | None,
        source: SourceState | None,
        status: SnapshotStatus,
    ) -> Comparison:
        began = time.monotonic()
        try:
            comparison = self._compare(client, endpoint, source, status)
        except DrillStepError as failure:
            raise self.fail("compare", began, failure) from None
        bad = [c.name for c in comparison.checks if not c.ok]
        detail = (
            f"against the {comparison.against}: {len(comparison.checks)} checks, "
            f"{len(comparison.sampled)} sampled keys"
            + (
                f"; differ: {', '.join(bad + list(comparison.mismatched))}"
                if not comparison.ok
                else ""
            )
        )
        self.steps.append(Step("compare", time.monotonic() - began, comparison.ok, detail))
        return comparison

    def _compare(
        self,
        client: str,
        endpoint: str | None,
        source: SourceState | None,
        status: SnapshotStatus,
    ) -> Comparison:
        revision = status.revision
        out = self.ctl("compare", ["endpoint", "status", "-w", "json"], endpoint=client)
        (answer,) = json.loads(out)
        restored_revision = int(answer["Status"]["header"]["revision"])
        checks = [Check("revision", str(revision), str(restored_revision))]
        keys = self.count(client, revision)
        if source is not None and endpoint is not None:
            checks.append(Check("keys", str(source.keys), str(keys)))
            checks.append(Check("hashKV", str(source.hash_kv), str(self.hash_kv(client, revision))))
        names = self.sample_keys(client, revision, keys)
        mismatched = []
        for key in names:
            restored = self.value_hash(client, key, revision, tls=False)
            if endpoint is not None:
                expected = self.value_hash(endpoint, key, revision, tls=True)
                if expected != restored:
                    mismatched.append(key)
            elif restored is None:
                mismatched.append(key)
        return Comparison(
            "source" if endpoint is not None else "snapshot",
            tuple(checks),
            tuple(names),
            tuple(mismatched),
        )

    def sample_keys(self, client: str, revision: int, keys: int) -> list[str]:
        if self.sample <= 0 or keys == 0:
            return []
        out = self.ctl(
            "compare",
            ["get", "", "--prefix", "--keys-only", f"--rev={revision}", "-w", "json"],
            endpoint=client,
        )
        every = [_decode(kv["key"]) for kv in json.loads(out).get("kvs", [])]
        if len(every) <= self.sample:
            return every
        step = len(every) / self.sample
        return [every[int(i * step)] for i in range(self.sample)]

    def value_hash(self, endpoint: str, key: str, revision: int, *, tls: bool) -> str | None:
        out = self.ctl(
            "compare", ["get", key, f"--rev={revision}", "-w", "json"], endpoint=endpoint, tls=tls
        )
        kvs = json.loads(out).get("kvs", [])
        if not kvs:
            return None
        value = base64.b64decode(kvs[0].get("value", ""))
        return hashlib.sha256(value).hexdigest()

    def stop(self) -> None:
        """Stop the throwaway etcd (terminate, then kill), if it runs."""
        process = self.process
        if process is None:
            return
        began = time.monotonic()
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.steps.append(Step("stop", time.monotonic() - began, True, "throwaway etcd stopped"))
        self.process = None


def diagnose(endpoint: str, tls: TlsFiles, timeout: float = 3.0) -> str | None:
    """Why ``endpoint`` cannot be reached, found with a plain connection and TLS handshake.

    etcdctl reports most connection failures as a deadline exceeded; this names the cause:
    nothing listening, a server certificate ``tls.cacert`` does not trust, or a client
    certificate the server refuses. None when the connection and handshake work.
    """
    url = urllib.parse.urlsplit(endpoint)
    host, port = url.hostname or "127.0.0.1", url.port or 2379
    try:
        connection = socket.create_connection((host, port), timeout=timeout)
    except OSError as e:
        return f"the endpoint does not answer: {e.strerror or e}"
    with connection:
        if url.scheme != "https":
            return None
        context = ssl.create_default_context(cafile=None if tls.cacert is None else str(tls.cacert))
        try:
            if tls.cert is not None:
                context.load_cert_chain(str(tls.cert), None if tls.key is None else str(tls.key))
            with context.wrap_socket(connection, server_hostname=host) as secured:
                secured.settimeout(1.0)
                with contextlib.suppress(TimeoutError, ssl.SSLWantReadError):
                    secured.recv(1)
        except ssl.SSLCertVerificationError as e:
            return (
                "TLS failed: the server's certificate is not trusted by --cacert "
                f"({e.verify_message})"
            )
        except ssl.SSLError as e:
            reason = e.reason or str(e)
            if "CERTIFICATE" in reason.upper():
                return f"TLS failed: the server refused the client certificate --cert ({reason})"
            return f"TLS failed: {reason}"
        except OSError as e:
            return f"the connection failed: {e.strerror or e}"
    return None


def _decode(text: str) -> str:
    return base64.b64decode(text).decode("utf-8", errors="backslashreplace")


def _explain(stderr: str) -> str:
    """The tool's message in one line, with what it means when it is a known failure."""
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    message = lines[-1] if lines else "failed without a message"
    if message.startswith("{"):
        with contextlib.suppress(ValueError):
            entry = json.loads(message)
            message = str(entry.get("error") or entry.get("msg") or message)
    lowered = stderr.lower()
    if "no space left on device" in lowered:
        return f"the disk is full: {message}"
    if any(word in lowered for word in ("x509", "certificate", "tls:", "handshake")):
        return f"TLS failed (check --cacert, --cert and --key): {message}"
    if "connection refused" in lowered or "context deadline exceeded" in lowered:
        return f"the endpoint does not answer: {message}"
    return message


def _free_ports(count: int) -> list[int]:
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]

"""``dr drill etcd``: prove an etcd snapshot restores, and how fast.

The drill (:func:`stackyard.recovery.run_drill`) snapshots a running etcd, or takes a
snapshot file already written (RKE2's, or the rendered kubeadm CronJob's), verifies it,
restores it into a fresh data directory, starts a throwaway etcd on loopback from it,
compares it with the source and measures the recovery time (restore + start until
healthy). With a spec, that time is held against the spec's ``slo.rto``.

Bad input is an :class:`InputError` (exit 2): neither or both of an endpoint and a
snapshot, a missing snapshot or TLS file, a restore directory that already exists (never
overwritten), etcd not installed. A drill that runs and fails (a corrupted or truncated
snapshot, a source that does not answer or refuses the certificate, a full disk, a
throwaway etcd that does not come up, a restored etcd that differs, a recovery slower
than the objective) is a result with ``failed`` set (exit 1). Snapshots in object storage
(S3) are not read yet: download the object first and pass it as ``snapshot``.
"""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stackyard.errors import COMMAND_LINE, InputError, Location, Problem, StackyardError
from stackyard.fsio.write import make_folders, write_text
from stackyard.recovery import DrillReport, TlsFiles, find_tools, render_evidence, run_drill
from stackyard.recovery.etcd import SAMPLE, START_SECONDS
from stackyard.recovery.records import check_cluster_name, record_stem
from stackyard.spec import load_spec
from stackyard.spec.units import parse_duration
from stackyard.versioning import schema_id

MAX_SAMPLE = 10_000
"""The most keys compared value by value."""


@dataclass(frozen=True)
class EtcdDrillResult:
    """The drill's report and the objective it is held to."""

    report: DrillReport
    spec: Path | None
    rto: str | None
    rto_seconds: float | None

    @property
    def within_rto(self) -> bool | None:
        """Whether the measured recovery time met the objective (None: nothing to compare)."""
        if self.rto_seconds is None or self.report.recovery_seconds is None:
            return None
        return self.report.recovery_seconds <= self.rto_seconds

    @property
    def failed(self) -> bool:
        """Whether a step failed, the restored etcd differs, or recovery was over the RTO."""
        return self.report.failed or self.within_rto is False

    @property
    def verdict(self) -> str:
        """``passed`` or ``failed``."""
        return "failed" if self.failed else "passed"

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the drill failed, one sentence each."""
        report = self.report
        reasons = []
        if report.error is not None:
            reasons.append(f"the drill failed at {report.failed_step}: {report.error}")
        if report.comparison is not None and not report.comparison.ok:
            bad = [c.name for c in report.comparison.checks if not c.ok]
            if report.comparison.mismatched:
                bad.append(f"{len(report.comparison.mismatched)} sampled keys")
            reasons.append(
                f"the restored etcd differs from the {report.comparison.against}: {', '.join(bad)}"
            )
        if self.within_rto is False:
            reasons.append(
                f"recovery took {report.recovery_seconds:.2f}s, "
                f"over the recovery time objective {self.rto}"
            )
        return tuple(reasons)

    def markdown(self) -> str:
        """The evidence record."""
        return render_evidence(
            self.report, verdict=self.verdict, rto=self.rto, rto_seconds=self.rto_seconds
        )

    def as_dict(self) -> dict[str, Any]:
        """The versioned JSON document (``etcd-drill``)."""
        report = self.report
        return {
            "schema": schema_id("etcd-drill"),
            "verdict": self.verdict,
            "started": report.started.isoformat(timespec="seconds"),
            "etcdVersion": report.etcd_version,
            "spec": None if self.spec is None else str(self.spec),
            "source": None if report.source is None else report.source.as_dict(),
            "snapshot": None if report.snapshot is None else report.snapshot.as_dict(),
            "steps": [s.as_dict() for s in report.steps],
            "commands": list(report.commands),
            "comparison": None if report.comparison is None else report.comparison.as_dict(),
            "recovery": {
                "seconds": None
                if report.recovery_seconds is None
                else round(report.recovery_seconds, 3),
                "rto": self.rto,
                "rtoSeconds": self.rto_seconds,
                "withinRto": self.within_rto,
            },
            "failure": None
            if report.error is None
            else {"step": report.failed_step, "message": report.error},
            "restoreDir": report.restore_dir,
            "kept": report.kept,
        }


def drill_etcd(
    *,
    endpoint: str | None = None,
    cacert: Path | None = None,
    cert: Path | None = None,
    key: Path | None = None,
    spec: Path | None = None,
    snapshot: Path | None = None,
    restore_dir: Path | None = None,
    sample: int = SAMPLE,
    timeout: float = START_SECONDS,
    tools_path: str | None = None,
) -> EtcdDrillResult:
    """Run the etcd restore drill; see the module's docstring.

    Args:
        endpoint: the source etcd's client URL (``https://10.0.0.1:2379``).
        cacert: the CA bundle that signed the source's server certificate.
        cert: the client certificate for ``endpoint``.
        key: its private key.
        spec: the platform spec whose ``slo.rto`` the recovery time is held to.
        snapshot: a snapshot file already taken, restored without contacting a source.
        restore_dir: where to restore (must not exist; kept); default a temporary folder.
        sample: how many keys to compare value by value.
        timeout: seconds the throwaway etcd may take to become healthy.
        tools_path: where to look for ``etcd`` and ``etcdctl`` (default ``PATH``).

    Raises:
        InputError: bad options or files, an existing ``restore_dir``, a bad spec.
        StackyardError: etcd or etcdctl is not installed.
    """
    problems = _check_options(endpoint, cacert, cert, key, snapshot, restore_dir, sample)
    if problems:
        raise InputError(problems)
    rto = rto_seconds = None
    if spec is not None:
        rto = load_spec(spec).platform.slo.rto
        rto_seconds = parse_duration(rto)
    tools = find_tools(tools_path)
    if tools is None:
        raise StackyardError(
            "the drill needs etcd's own etcd and etcdctl binaries on PATH "
            "(Debian and Ubuntu: apt-get install etcd-server etcd-client)"
        )
    report = run_drill(
        tools=tools,
        endpoint=endpoint,
        tls=TlsFiles(cacert, cert, key),
        snapshot=snapshot,
        restore_dir=restore_dir,
        sample=sample,
        timeout=timeout,
    )
    return EtcdDrillResult(report, spec, rto, rto_seconds)


def write_evidence(path: Path, text: str) -> None:
    """Write the evidence record to ``path`` (``--evidence``), replacing it atomically.

    Raises:
        InputError: ``path`` is not a regular file, its folder is missing, or the write failed.
    """
    write_text(path, text, option="--evidence")


def check_record_options(record: Path | None, cluster: str | None) -> None:
    """Refuse ``--record`` without ``--cluster`` (or the reverse), before the drill runs.

    Raises:
        InputError: one given without the other, or a cluster name that is not a DNS label.
    """
    if (record is None) != (cluster is None):
        raise InputError(
            [
                Problem(
                    COMMAND_LINE,
                    "--record",
                    "give --record DIR and --cluster NAME together: a record is kept in DIR/NAME/",
                )
            ]
        )
    if cluster is not None:
        check_cluster_name(cluster, "--cluster")


def write_record(directory: Path, cluster: str, result: EtcdDrillResult) -> tuple[Path, Path]:
    """Keep the drill in ``directory/<cluster>/`` (``--record``): its JSON and its evidence.

    The files are ``<UTC start>-etcd.json`` (the ``etcd-drill`` document, as ``-o json``
    prints it) and ``<UTC start>-etcd.md``, written atomically; in a platform repository
    ``directory`` is ``dr/drills`` (:data:`stackyard.recovery.records.DRILLS_DIR`), where
    ``assess``, ``simulate --drills`` and ``dr runbook`` read them.

    Raises:
        InputError: ``cluster`` is not a DNS label, or a file cannot be written.
    """
    check_cluster_name(cluster, "--cluster")
    folder = directory / cluster
    make_folders(folder, "--record")
    stem = record_stem(result.report.started)
    document = folder / f"{stem}.json"
    evidence = folder / f"{stem}.md"
    write_text(document, json.dumps(result.as_dict(), indent=2) + "\n", option="--record")
    write_text(evidence, result.markdown(), option="--record")
    return document, evidence


def _check_options(
    endpoint: str | None,
    cacert: Path | None,
    cert: Path | None,
    key: Path | None,
    snapshot: Path | None,
    restore_dir: Path | None,
    sample: int,
) -> list[Problem]:
    problems = []

    def bad(option: str, message: str, hint: str = "") -> None:
        problems.append(Problem(COMMAND_LINE, option, message, hint))

    if (endpoint is None) == (snapshot is None):
        bad(
            "--endpoint",
            "give exactly one of --endpoint (snapshot a running etcd) and --snapshot (a file)",
        )
    if endpoint is not None and not endpoint.startswith(("http://", "https://")):
        bad(
            "--endpoint",
            f"{endpoint!r} is not an http:// or https:// URL",
            "e.g. https://10.0.0.1:2379",
        )
    if snapshot is not None and (cacert or cert or key):
        bad("--cacert", "TLS files are for --endpoint; a --snapshot is read from disk")
    if (cert is None) != (key is None):
        bad("--cert", "give --cert and --key together")
    for option, path in (
        ("--cacert", cacert),
        ("--cert", cert),
        ("--key", key),
        ("--snapshot", snapshot),
    ):
        if path is not None:
            message = _not_a_readable_file(path)
            if message:
                problems.append(Problem(Location(str(path)), option, message))
    if restore_dir is not None and (restore_dir.exists() or restore_dir.is_symlink()):
        problems.append(
            Problem(
                Location(str(restore_dir)),
                "--restore-dir",
                "already exists; the drill restores only into a new directory and never "
                "overwrites one",
                "name a directory that does not exist yet",
            )
        )
    if not 0 <= sample <= MAX_SAMPLE:
        bad("--sample", f"{sample} is not between 0 and {MAX_SAMPLE}")
    return problems


def _not_a_readable_file(path: Path) -> str:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "no such file"
    except OSError as e:
        return f"cannot read it: {e.strerror}"
    if not stat.S_ISREG(mode):
        return "not a regular file"
    try:
        with path.open("rb"):
            return ""
    except OSError as e:
        return f"cannot read it: {e.strerror}"

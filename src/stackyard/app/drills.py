"""``dr drill etcd``: prove an etcd snapshot restores, and how fast.

The drill (:func:`stackyard.recovery.run_drill`) snapshots a running etcd, or takes a
snapshot file already written (RKE2's, or the rendered kubeadm CronJob's), verifies it,
restores it into a fresh data directory, starts a throwaway etcd on loopback from it,
compares it with the source and measures the recovery time (restore + start until
healthy). With a spec, that time is held against the spec's ``slo.rto``.

A snapshot can also come from object storage (:mod:`stackyard.recovery.s3`): an
``s3://bucket/key`` URL as ``snapshot`` (a folder ending in ``/``: its newest object), or
``from_s3``, the newest snapshot copied for ``cluster`` where the render sends them (RKE2's
``etcd-s3-*`` settings, or the kubeadm snapshot CronJob's upload: the same store, bucket
and ``<cluster>/`` folder). With a spec, the endpoint, region and addressing are the spec's
object store; credentials come only from boto3's chain (``AWS_ACCESS_KEY_ID``,
``AWS_PROFILE``, a role). The object is downloaded into a temporary folder, restored
from there and removed with it; the result names the bucket, key, ETag, version and size.

Bad input is an :class:`InputError` (exit 2): not exactly one of an endpoint, a snapshot
and ``from_s3``, a missing snapshot or TLS file, a restore directory that already exists
(never overwritten), etcd not installed, and every failure to fetch an object (no
answer, no such bucket or key, access denied): nothing is left behind. A drill that runs
and fails (a corrupted or truncated snapshot, a source that does not answer or refuses
the certificate, a full disk, a throwaway etcd that does not come up, a restored etcd
that differs, a recovery slower than the objective) is a result with ``failed`` set
(exit 1).
"""

from __future__ import annotations

import json
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stackyard.app.planning import plan_without_errors
from stackyard.errors import COMMAND_LINE, InputError, Location, Problem, StackyardError
from stackyard.fsio.write import make_folders, write_text
from stackyard.plan import ClusterPlan, Plan
from stackyard.recovery import DrillReport, TlsFiles, find_tools, render_evidence, run_drill
from stackyard.recovery.etcd import SAMPLE, START_SECONDS
from stackyard.recovery.records import check_cluster_name, record_stem
from stackyard.recovery.s3 import (
    S3Url,
    StoreSettings,
    attach,
    cluster_snapshots,
    fetch_snapshot,
    is_s3_url,
    parse_s3_url,
    store_settings,
)
from stackyard.render.context import RenderContext
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
            "s3": None if report.s3 is None else report.s3.as_dict(),
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
    snapshot: Path | str | None = None,
    from_s3: bool = False,
    cluster: str | None = None,
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
        snapshot: a snapshot file already taken, restored without contacting a source;
            or ``s3://bucket/key`` (``s3://bucket/folder/``: its newest object).
        from_s3: restore the newest snapshot the spec's cluster (RKE2, or kubeadm's
            snapshot CronJob) copied to object storage (needs ``spec``; ``cluster`` when
            the spec has several).
        cluster: the cluster whose object-store settings and snapshots are used.
        restore_dir: where to restore (must not exist; kept); default a temporary folder.
        sample: how many keys to compare value by value.
        timeout: seconds the throwaway etcd may take to become healthy.
        tools_path: where to look for ``etcd`` and ``etcdctl`` (default ``PATH``).

    Raises:
        InputError: bad options or files, an existing ``restore_dir``, a bad spec, a
            snapshot in object storage that cannot be fetched (nothing is left behind).
        PlanRefusedError: with a snapshot in object storage, a spec whose plan has error
            findings (its settings are read from the render).
        StackyardError: etcd or etcdctl is not installed.
    """
    url = snapshot if isinstance(snapshot, str) and is_s3_url(snapshot) else None
    file = Path(snapshot) if snapshot is not None and url is None else None
    problems = _check_options(
        endpoint, cacert, cert, key, file, restore_dir, sample, s3=url is not None or from_s3
    )
    problems += _check_s3_options(spec, cluster, url is not None, from_s3)
    if problems:
        raise InputError(problems)
    where: S3Url | None = None if url is None else parse_s3_url(url, "--snapshot")
    settings = StoreSettings()
    rto = rto_seconds = None
    if spec is not None and (where is not None or from_s3):
        plan = plan_without_errors(spec)
        rto = plan.spec.platform.slo.rto
        context = RenderContext(plan)
        chosen = _cluster(plan, cluster)
        if from_s3:
            assert chosen is not None  # _cluster refuses a spec of several without --cluster
            copies = cluster_snapshots(context, chosen, "--from-s3")
            settings, where = copies.settings, copies.folder
        else:
            settings = store_settings(context, chosen)
    elif spec is not None:
        rto = load_spec(spec).platform.slo.rto
    if rto is not None:
        rto_seconds = parse_duration(rto)
    tools = find_tools(tools_path)
    if tools is None:
        raise StackyardError(
            "the drill needs etcd's own etcd and etcdctl binaries on PATH "
            "(Debian and Ubuntu: apt-get install etcd-server etcd-client)"
        )
    if where is None:
        report = run_drill(
            tools=tools,
            endpoint=endpoint,
            tls=TlsFiles(cacert, cert, key),
            snapshot=file,
            restore_dir=restore_dir,
            sample=sample,
            timeout=timeout,
        )
        return EtcdDrillResult(report, spec, rto, rto_seconds)
    option = "--from-s3" if from_s3 else "--snapshot"
    with tempfile.TemporaryDirectory(prefix="stackyard-etcd-s3-") as folder:
        downloaded, source = fetch_snapshot(settings, where, Path(folder), option)
        report = run_drill(
            tools=tools,
            snapshot=downloaded,
            restore_dir=restore_dir,
            sample=sample,
            timeout=timeout,
        )
    return EtcdDrillResult(attach(report, source), spec, rto, rto_seconds)


def write_evidence(path: Path, text: str) -> None:
    """Write the evidence record to ``path`` (``--evidence``), replacing it atomically.

    Raises:
        InputError: ``path`` is not a regular file, its folder is missing, or the write failed.
    """
    write_text(path, text, option="--evidence")


def check_record_options(
    record: Path | None,
    cluster: str | None,
    *,
    snapshot: Path | str | None = None,
    from_s3: bool = False,
) -> None:
    """Refuse ``--record`` without ``--cluster`` (or the reverse), before the drill runs.

    ``--cluster`` alone is fine with a snapshot in object storage: it names the cluster
    whose snapshots (``from_s3``) or object-store settings are used.

    Raises:
        InputError: one given without the other, or a cluster name that is not a DNS label.
    """
    s3 = from_s3 or (isinstance(snapshot, str) and is_s3_url(snapshot))
    if (record is not None and cluster is None) or (
        cluster is not None and record is None and not s3
    ):
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


def _cluster(plan: Plan, name: str | None) -> ClusterPlan | None:
    """The cluster named (or the spec's only one); None for a spec of several, unnamed."""
    clusters = {c.name: c for c in plan.clusters}
    if name is None:
        return next(iter(clusters.values())) if len(clusters) == 1 else None
    if name not in clusters:
        raise InputError(
            [
                Problem(
                    COMMAND_LINE,
                    "--cluster",
                    f"{name!r} is not a cluster of the spec",
                    f"clusters: {', '.join(clusters)}",
                )
            ]
        )
    return clusters[name]


def _check_s3_options(
    spec: Path | None, cluster: str | None, url: bool, from_s3: bool
) -> list[Problem]:
    if not from_s3:
        return []
    if url:
        return [
            Problem(
                COMMAND_LINE,
                "--from-s3",
                "give --from-s3 (the cluster's newest copy) or --snapshot s3://…, not both",
            )
        ]
    if spec is None:
        return [
            Problem(
                COMMAND_LINE,
                "--from-s3",
                "needs --spec: the bucket, folder and endpoint are the spec's",
                "or name the object: --snapshot s3://BUCKET/KEY",
            )
        ]
    if cluster is None and len(load_spec(spec).platform.clusters) > 1:
        return [
            Problem(
                COMMAND_LINE,
                "--from-s3",
                "the spec has several clusters: name one with --cluster",
            )
        ]
    return []


def _check_options(
    endpoint: str | None,
    cacert: Path | None,
    cert: Path | None,
    key: Path | None,
    snapshot: Path | None,
    restore_dir: Path | None,
    sample: int,
    *,
    s3: bool = False,
) -> list[Problem]:
    problems = []

    def bad(option: str, message: str, hint: str = "") -> None:
        problems.append(Problem(COMMAND_LINE, option, message, hint))

    if [endpoint is not None, snapshot is not None, s3].count(True) != 1:
        bad(
            "--endpoint",
            "give exactly one of --endpoint (snapshot a running etcd), --snapshot (a file or "
            "an s3:// URL) and --from-s3",
        )
    if endpoint is not None and not endpoint.startswith(("http://", "https://")):
        bad(
            "--endpoint",
            f"{endpoint!r} is not an http:// or https:// URL",
            "e.g. https://10.0.0.1:2379",
        )
    if endpoint is None and (cacert or cert or key):
        bad("--cacert", "TLS files are for --endpoint; a snapshot is not fetched from etcd")
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

"""Drill records: where a platform repository keeps them, and how they are read back.

``stackyard dr drill etcd --record DIR --cluster NAME`` keeps each drill as two files in
``DIR/<cluster>/``: ``<UTC time>-etcd.json`` (the ``etcd-drill`` JSON document,
docs/schemas/etcd-drill.v1.json) and the Markdown evidence record beside it
(``<UTC time>-etcd.md``). In a platform repository ``DIR`` is :data:`DRILLS_DIR`
(``dr/drills``), next to the runbooks in :data:`RUNBOOKS_DIR`. The file name sorts by
time (``2026-12-03T210455Z-etcd.json``); the drill's own ``started`` field, not the name,
says when it ran.

A record *measured* a recovery when the drill got through restore and start: its
``failure`` is null and ``recovery.seconds`` a number. Its verdict may still be
``failed`` when the restored etcd differed from the source or the time exceeded the
objective; the time measured is real either way. ``simulate --drills`` and ``dr runbook``
use the newest such record of each cluster instead of the documented estimate.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from stackyard.errors import InputError, Location, Problem
from stackyard.versioning import schema_id

DRILLS_DIR = "dr/drills"
"""Where a platform repository keeps drill records, one folder per cluster."""
RUNBOOKS_DIR = "dr/runbooks"
"""Where ``dr runbook`` writes one runbook per cluster."""
ETCD_SUFFIX = "-etcd"
_CLUSTER = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@dataclass(frozen=True)
class DrillRecord:
    """One etcd restore drill kept in a repository."""

    cluster: str
    path: str
    """The JSON file, as found (under the folder that was searched)."""
    started: datetime.datetime
    verdict: str
    recovery_seconds: float | None
    failed_step: str | None

    @property
    def measured(self) -> bool:
        """Whether the drill got through restore and start, so its time is a measurement."""
        return self.failed_step is None and self.recovery_seconds is not None

    @property
    def date(self) -> str:
        """When it ran, ISO 8601 to the second."""
        return self.started.isoformat(timespec="seconds")


def record_stem(started: datetime.datetime) -> str:
    """The file name without suffix of a drill started at ``started``."""
    utc = started.astimezone(datetime.UTC)
    return f"{utc:%Y-%m-%dT%H%M%SZ}{ETCD_SUFFIX}"


def check_cluster_name(cluster: str, option: str) -> None:
    """Refuse a cluster name that is not a DNS label (it becomes a folder name).

    Raises:
        InputError: not a DNS label.
    """
    if not _CLUSTER.match(cluster) or len(cluster) > 63:
        raise InputError(
            [
                Problem(
                    Location("<command line>"),
                    option,
                    f"{cluster!r} is not a cluster name (a DNS label: a-z, 0-9 and -)",
                )
            ]
        )


def read_records(folder: Path, shown_under: str | None = None) -> dict[str, list[DrillRecord]]:
    """Every etcd drill record under ``folder`` (``<cluster>/*-etcd.json``), oldest first.

    A record's ``path`` is ``folder/<cluster>/<file>``, or ``shown_under/<cluster>/<file>``
    when given (a runbook names records relative to the repository it is kept in).

    Raises:
        InputError: ``folder`` is not a directory, or a record is not an etcd-drill
            document (the file and the field are named).
    """
    if not folder.is_dir():
        raise InputError([Problem(Location(str(folder)), "", "is not a directory")])
    found: dict[str, list[DrillRecord]] = {}
    for cluster_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        records = [
            _read(cluster_dir.name, path, shown_under)
            for path in sorted(cluster_dir.glob(f"*{ETCD_SUFFIX}.json"))
            if path.is_file()
        ]
        if records:
            found[cluster_dir.name] = sorted(records, key=lambda r: (r.started, r.path))
    return found


def newest_measured(records: list[DrillRecord]) -> DrillRecord | None:
    """The most recent record that measured a recovery time."""
    measured = [r for r in records if r.measured]
    return measured[-1] if measured else None


def _bad(path: Path, field: str, message: str) -> InputError:
    return InputError([Problem(Location(str(path)), field, message)])


def _read(cluster: str, path: Path, shown_under: str | None) -> DrillRecord:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise _bad(path, "", f"cannot read it: {e}") from e
    except json.JSONDecodeError as e:
        raise _bad(path, "", f"is not JSON: {e.msg} at line {e.lineno}") from e
    if not isinstance(document, dict) or document.get("schema") != schema_id("etcd-drill"):
        raise _bad(path, "schema", f"is not an {schema_id('etcd-drill')} drill record")
    started_text = document.get("started")
    try:
        started = datetime.datetime.fromisoformat(str(started_text))
    except ValueError:
        raise _bad(path, "started", f"{started_text!r} is not an ISO 8601 time") from None
    if started.tzinfo is None:
        raise _bad(path, "started", f"{started_text!r} has no time zone")
    verdict = document.get("verdict")
    if verdict not in ("passed", "failed"):
        raise _bad(path, "verdict", f"{verdict!r} is neither passed nor failed")
    recovery = document.get("recovery")
    seconds = recovery.get("seconds") if isinstance(recovery, dict) else None
    if seconds is not None and (
        isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0
    ):
        raise _bad(path, "recovery.seconds", f"{seconds!r} is not a number of seconds")
    failure = document.get("failure")
    step = failure.get("step") if isinstance(failure, dict) else None
    if failure is not None and step is None:
        step = "unknown"
    return DrillRecord(
        cluster,
        str(path) if shown_under is None else str(PurePosixPath(shown_under, cluster, path.name)),
        started,
        verdict,
        None if seconds is None else float(seconds),
        step,
    )

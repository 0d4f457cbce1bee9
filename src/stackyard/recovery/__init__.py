"""Recovery drills: prove a backup restores (today: etcd snapshots).

:mod:`stackyard.recovery.etcd` takes or reads an etcd snapshot, verifies it, restores it
into a fresh data directory, starts a throwaway etcd on loopback from it and compares it
with the source; :mod:`stackyard.recovery.s3` fetches a snapshot from object storage
through the spec's rendered settings; :mod:`stackyard.recovery.evidence` writes the
Markdown record an auditor keeps. The work is done by etcd's own ``etcd`` and ``etcdctl``
binaries (the snapshot format is etcd's), run as subprocesses; the source is only ever
read.
"""

from stackyard.recovery.etcd import (
    Comparison,
    DrillReport,
    EtcdTools,
    SnapshotStatus,
    SourceState,
    Step,
    TlsFiles,
    find_tools,
    run_drill,
)
from stackyard.recovery.evidence import render_evidence

__all__ = [
    "Comparison",
    "DrillReport",
    "EtcdTools",
    "SnapshotStatus",
    "SourceState",
    "Step",
    "TlsFiles",
    "find_tools",
    "render_evidence",
    "run_drill",
]

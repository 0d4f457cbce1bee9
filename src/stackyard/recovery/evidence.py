"""The Markdown record of an etcd restore drill, for an auditor to keep.

It says what was restored and when, from which source (an endpoint, a file, or an
object in object storage with its bucket, key, ETag and version), the snapshot's integrity hash,
revision and key count, each step with its time, the exact commands, the comparison,
the measured recovery time against the recovery time objective, and the verdict.
"""

from __future__ import annotations

from stackyard.recovery.etcd import DrillReport


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_evidence(
    report: DrillReport, *, verdict: str, rto: str | None, rto_seconds: float | None
) -> str:
    """The evidence record of ``report`` as Markdown."""
    lines = [
        "# etcd restore drill",
        "",
        f"- **Verdict:** {verdict}",
        f"- **When:** {report.started.isoformat(timespec='seconds')}",
        f"- **etcd used for the drill:** {report.etcd_version}",
    ]
    if report.source is not None:
        source = report.source
        lines.append(
            f"- **Source:** `{source.endpoint}` (etcd {source.version}); only read, never written"
        )
    elif report.s3 is not None:
        s3 = report.s3
        version = f", version `{s3.version_id}`" if s3.version_id else ""
        modified = (
            f", last modified {s3.last_modified.isoformat(timespec='seconds')}"
            if s3.last_modified is not None
            else ""
        )
        lines.append(
            f"- **Source:** object `{_cell(s3.key)}` in bucket `{_cell(s3.bucket)}` at "
            f"`{_cell(s3.endpoint)}` (ETag `{s3.etag}`{version}, {s3.size} bytes{modified}); "
            f"downloaded in {s3.seconds:.2f} s (not part of the recovery time), only read"
        )
    else:
        lines.append("- **Source:** a snapshot file already taken; no endpoint contacted")
    if report.recovery_seconds is not None:
        against = (
            f" against a recovery time objective of {rto} ({rto_seconds:g} s)"
            if rto is not None and rto_seconds is not None
            else " (no recovery time objective given: pass the spec)"
        )
        lines.append(
            f"- **Measured recovery time:** {report.recovery_seconds:.2f} s "
            f"(restore + start until healthy){against}"
        )
    if report.error is not None:
        lines.append(f"- **Failed at:** {report.failed_step}: {_cell(report.error)}")
    if report.snapshot is not None:
        snap = report.snapshot
        lines += [
            "",
            "## Snapshot",
            "",
            "| Property | Value |",
            "| --- | --- |",
            f"| File | `{_cell(snap.file)}`"
            + (" (taken for the drill, removed after it)" if report.source is not None else "")
            + (" (downloaded for the drill, removed after it)" if report.s3 is not None else "")
            + " |",
            f"| Size | {snap.size} bytes |",
            f"| SHA-256 of the file | `{snap.sha256}` |",
            f"| Integrity hash | {snap.integrity} |",
            f"| etcd hash | {snap.hash} |",
            f"| Revision | {snap.revision} |",
            f"| Total keys (all revisions) | {snap.total_keys} |",
            f"| Database size | {snap.total_size} bytes |",
        ]
    lines += [
        "",
        "## Steps",
        "",
        "| Step | Seconds | Result | Detail |",
        "| --- | ---: | --- | --- |",
    ]
    lines += [
        f"| {s.name} | {s.seconds:.3f} | {'ok' if s.ok else 'FAILED'} | {_cell(s.detail)} |"
        for s in report.steps
    ]
    if report.commands:
        lines += ["", "## Commands", "", "```sh", *report.commands, "```"]
    if report.comparison is not None:
        comparison = report.comparison
        lines += [
            "",
            f"## Comparison with the {comparison.against}",
            "",
            "| Check | Expected | Restored | Result |",
            "| --- | --- | --- | --- |",
        ]
        lines += [
            f"| {c.name} | {c.expected} | {c.found} | {'ok' if c.ok else 'DIFFERS'} |"
            for c in comparison.checks
        ]
        lines += [
            "",
            f"{len(comparison.sampled)} sampled keys compared by the SHA-256 of their values; "
            f"{len(comparison.mismatched)} differ"
            + (
                ": " + ", ".join(f"`{_cell(k)}`" for k in comparison.mismatched)
                if comparison.mismatched
                else "."
            ),
        ]
    where = "kept" if report.kept else "removed after the drill"
    lines += ["", f"The restored data directory ({where}): `{_cell(report.restore_dir)}`.", ""]
    return "\n".join(lines)

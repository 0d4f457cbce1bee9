"""``stackyard dr``: the restore drill's report, and the runbooks written."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

from rich.markup import escape

from stackyard.app import (
    EtcdDrillResult,
    check_record_options,
    drill_etcd,
    write_evidence,
    write_record,
    write_runbooks,
)
from stackyard.cli.output import OutputFormat, console, line_printer, notice, print_json
from stackyard.cli.results import exit_status


class DrillOutput(StrEnum):
    """How ``dr drill etcd`` prints its result."""

    text = "text"
    json = "json"
    markdown = "markdown"


def drill_etcd_command(
    output: DrillOutput,
    *,
    endpoint: str | None,
    cacert: Path | None,
    cert: Path | None,
    key: Path | None,
    spec: Path | None,
    snapshot: str | None,
    restore_dir: Path | None,
    sample: int,
    timeout: int,
    evidence: Path | None,
    record: Path | None = None,
    cluster: str | None = None,
    from_s3: bool = False,
) -> int:
    """Run the drill; exit 1 when it failed."""
    check_record_options(record, cluster, snapshot=snapshot, from_s3=from_s3)
    result = drill_etcd(
        endpoint=endpoint,
        cacert=cacert,
        cert=cert,
        key=key,
        spec=spec,
        snapshot=snapshot,
        from_s3=from_s3,
        cluster=cluster,
        restore_dir=restore_dir,
        sample=sample,
        timeout=timeout,
    )
    if evidence is not None:
        write_evidence(evidence, result.markdown())
        notice(f"evidence record written to {evidence}")
    if record is not None and cluster is not None:
        kept, markdown = write_record(record, cluster, result)
        notice(f"drill recorded in {kept} and {markdown}")
    if output is DrillOutput.json:
        print_json(result.as_dict())
    elif output is DrillOutput.markdown:
        sys.stdout.write(result.markdown())
    else:
        _print_text(result)
    return exit_status(result)


def _print_text(result: EtcdDrillResult) -> None:
    say = line_printer(console())
    report = result.report
    if report.source is not None:
        say(escape(f"source: {report.source.endpoint} (etcd {report.source.version})"))
    if report.s3 is not None:
        s3 = report.s3
        version = f", version {s3.version_id}" if s3.version_id else ""
        say(escape(f"object: {s3.url} at {s3.endpoint} ({s3.size} bytes, ETag {s3.etag}{version})"))
    if report.snapshot is not None:
        snap = report.snapshot
        say(
            escape(
                f"snapshot: {snap.size} bytes, integrity {snap.integrity}, hash {snap.hash}, "
                f"revision {snap.revision}, {snap.total_keys} keys"
            )
        )
    for step in report.steps:
        state = "ok" if step.ok else "[bold red]FAILED[/]"
        say(f"  {escape(step.name)}: {state} ({step.seconds:.2f}s) {escape(step.detail)}")
    if report.comparison is not None:
        for check in report.comparison.checks:
            state = "ok" if check.ok else "[bold red]differs[/]"
            say(
                escape(f"  {check.name}: expected {check.expected}, restored {check.found}: ")
                + state
            )
        sampled = len(report.comparison.sampled)
        say(f"  sampled keys: {sampled}, differing: {len(report.comparison.mismatched)}")
    if report.recovery_seconds is not None:
        against = (
            f" (objective {result.rto}: {'met' if result.within_rto else 'MISSED'})"
            if result.rto is not None
            else ""
        )
        say(escape(f"recovery time: {report.recovery_seconds:.2f}s{against}"))
    verdict = "[green]passed[/]" if not result.failed else "[bold red]failed[/]"
    say(f"verdict: {verdict}")


def runbook_command(
    spec: Path, output: OutputFormat, *, directory: Path, clusters: tuple[str, ...]
) -> int:
    """Write the runbooks; list them (text or JSON)."""
    result = write_runbooks(spec, directory, clusters)
    if output is OutputFormat.json:
        print_json(result.as_dict())
        return exit_status(result)
    say = line_printer(console())
    for file in result.files:
        say(escape(f"{file.path} ({file.distribution}): {file.state}"))
        for estimate in file.estimates:
            say(escape(f"  {estimate.title}: {estimate.describe()}"))
    written = sum(f.state == "written" for f in result.files)
    notice(f"{written} runbooks written, {len(result.files) - written} unchanged, in {directory}")
    return exit_status(result)

"""``stackyard migrate plan``: the Velero migration of namespaces between two clusters."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

from rich.markup import escape

from stackyard.app import MigrationResult, plan_cluster_migration
from stackyard.cli.output import console, findings_table, line_printer, notice, print_json
from stackyard.cli.results import exit_status


class MigrationOutput(StrEnum):
    """How ``migrate plan`` prints its result."""

    text = "text"
    json = "json"
    yaml = "yaml"
    markdown = "markdown"


def migrate_plan_command(
    spec: Path,
    output: MigrationOutput,
    *,
    from_cluster: str,
    to_cluster: str,
    namespaces: tuple[str, ...],
    storage_class_map: tuple[str, ...],
    to_spec: Path | None,
    write: Path | None,
) -> int:
    """Plan the migration; print it as asked; exit 1 when it has an error finding."""
    result = plan_cluster_migration(
        spec,
        from_cluster,
        to_cluster,
        namespaces=namespaces,
        storage_class_map=storage_class_map,
        to_spec=to_spec,
        write=write,
    )
    if output is MigrationOutput.json:
        print_json(result.as_dict())
    elif output is MigrationOutput.yaml:
        sys.stdout.write(result.manifests())
    elif output is MigrationOutput.markdown:
        sys.stdout.write(result.markdown())
    else:
        _print_text(result)
    if write is not None and result.files:
        written = sum(f.state == "written" for f in result.files)
        notice(
            f"{written} files written, {len(result.files) - written} unchanged, in "
            f"{write / result.files[0].path.rsplit('/', 1)[0]}"
        )
    return exit_status(result)


def _print_text(result: MigrationResult) -> None:
    out = console()
    say = line_printer(out)
    migration = result.migration
    for label, end in (("from", migration.source), ("to", migration.target)):
        say(
            escape(
                f"{label}: {end.cluster} (platform {end.platform}, Kubernetes {end.kubernetes}, "
                f"storage classes {', '.join(end.storage_classes) or 'none'})"
            )
        )
    for old, new in migration.namespaces:
        say(escape(f"namespace {old}" + (f" -> {new}" if new != old else "")))
    for old, new in migration.storage_classes:
        say(escape(f"storage class {old} -> {new}"))
    say(
        "volumes: "
        + ("file-system backup" if migration.file_system_backup else "CSI snapshots, data moved")
    )
    if migration.findings:
        out.print(findings_table(migration.findings, "Pre-flight findings"))
    for number, step in enumerate(result.steps, 1):
        where = f" ({step.cluster})" if step.cluster else ""
        say(escape(f"{number}. {step.title}{where}"))
    for file in result.files:
        say(escape(f"{file.path}: {file.state}"))

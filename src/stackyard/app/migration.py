"""``migrate plan``: move tenant namespaces to another cluster with Velero.

The plan (:mod:`stackyard.plan.migration`) decides what moves and how and reports the
pre-flight findings; render (:mod:`stackyard.render.migration`) writes the Backup, the
read-only BackupStorageLocation, the Restore with its storage-class mapping, and the
runbook. A migration with an error finding is a failed result and renders nothing: its
runbook would not work.

``--write DIR`` puts the files into ``DIR/migrations/<name>/`` of a tree ``stackyard
render`` wrote for the source's platform (its marker says so); anything else is refused
before a file is written. Each file is written atomically (:mod:`stackyard.fsio.write`)
and only when its text changed; nothing else in ``DIR`` is touched, and ``render``
leaves the folder alone (it is not in the render marker's file list).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from stackyard.app.planning import plan_without_errors
from stackyard.errors import InputError, Location, Problem
from stackyard.fsio.write import (
    existing_regular_file,
    make_folders,
    write_error,
    write_text,
)
from stackyard.plan.migration import MigrationPlan, plan_migration
from stackyard.render.context import RenderContext
from stackyard.render.marker import read_marker
from stackyard.render.migration import MigrationFiles, Step, migration_files
from stackyard.render.tree import Manifest
from stackyard.render.yamlout import dump_documents
from stackyard.versioning import schema_id

FileState = Literal["written", "unchanged", "not written"]


@dataclass(frozen=True)
class MigrationFile:
    """One file of the migration: where it goes in the tree, and what became of it."""

    path: str
    text: str
    state: FileState

    def as_dict(self) -> dict[str, str]:
        """JSON shape (the text is not repeated)."""
        return {"path": self.path, "state": self.state}


@dataclass(frozen=True)
class MigrationResult:
    """A planned migration: the plan, its files, the runbook steps, what was written."""

    spec: Path
    to_spec: Path | None
    migration: MigrationPlan
    files: tuple[MigrationFile, ...]
    steps: tuple[Step, ...]
    objects: tuple[Manifest, ...]
    directory: Path | None

    @property
    def failed(self) -> bool:
        """The migration has an error finding."""
        return bool(self.migration.errors)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why it failed."""
        if not self.failed:
            return ()
        count = len(self.migration.errors)
        return (
            f"the migration has {count} error finding{'s' if count > 1 else ''}; nothing rendered",
        )

    def manifests(self) -> str:
        """Every object, in the order they are applied (``-o yaml``)."""
        return dump_documents(list(self.objects)) if self.objects else ""

    def markdown(self) -> str:
        """The runbook (``-o markdown``); empty when nothing was rendered."""
        return next((f.text for f in self.files if f.path.endswith(".md")), "")

    def as_dict(self) -> dict[str, Any]:
        """The versioned JSON document (``migration-plan``)."""
        return {
            "schema": schema_id("migration-plan"),
            "spec": str(self.spec),
            "toSpec": str(self.to_spec) if self.to_spec is not None else None,
            **self.migration.as_dict(),
            "steps": [s.as_dict() for s in self.steps],
            "directory": str(self.directory) if self.directory is not None else None,
            "files": [f.as_dict() for f in self.files],
        }


def _check_tree(directory: Path, platform: str) -> None:
    """Refuse ``directory`` unless ``stackyard render`` wrote it for ``platform``.

    Raises:
        InputError: no render marker there, a damaged one, or one of another platform.
    """
    if not directory.is_dir():
        raise InputError([Problem(Location(str(directory)), "--write", "is not a directory")])
    marker = read_marker(directory)
    if marker is None:
        raise InputError(
            [
                Problem(
                    Location(str(directory)),
                    "--write",
                    "is not a tree stackyard rendered (it has no .stackyard-render)",
                    "render the source's spec into it first: stackyard render SPEC DIR",
                )
            ]
        )
    rendered_for = marker.metadata.platform
    if rendered_for and rendered_for != platform:
        raise InputError(
            [
                Problem(
                    Location(str(directory)),
                    "--write",
                    f"was rendered for platform {rendered_for}, not {platform}",
                    "write the migration into the source platform's tree",
                )
            ]
        )


def plan_cluster_migration(
    spec: Path,
    from_cluster: str,
    to_cluster: str,
    *,
    namespaces: Sequence[str] = (),
    storage_class_map: Sequence[str] = (),
    to_spec: Path | None = None,
    write: Path | None = None,
) -> MigrationResult:
    """Plan moving namespaces from ``from_cluster`` to ``to_cluster``; optionally write it.

    Raises:
        YamlError, SpecError: a spec is not a readable, valid platform spec.
        PlanRefusedError: a spec's plan has error findings.
        InputError: an unknown cluster or namespace, the same cluster twice, a malformed
            mapping, or ``write`` that is not the source platform's rendered tree, or a
            file that cannot be written.
    """
    source_plan = plan_without_errors(spec)
    if write is not None:
        _check_tree(write, source_plan.spec.platform.name)
    same = to_spec is None or to_spec.resolve() == spec.resolve()
    target_plan = None if same or to_spec is None else plan_without_errors(to_spec)
    migration = plan_migration(
        source_plan,
        from_cluster,
        to_cluster,
        target_plan=target_plan,
        namespaces=namespaces,
        storage_class_map=storage_class_map,
    )
    if migration.errors:
        return MigrationResult(spec, to_spec, migration, (), (), (), write)
    rendered = migration_files(
        migration, RenderContext(source_plan), RenderContext(target_plan or source_plan)
    )
    files = _write(rendered, write) if write is not None else _unwritten(rendered)
    return MigrationResult(spec, to_spec, migration, files, rendered.steps, rendered.objects, write)


def _unwritten(rendered: MigrationFiles) -> tuple[MigrationFile, ...]:
    return tuple(MigrationFile(path, text, "not written") for path, text in rendered.files)


def _write(rendered: MigrationFiles, directory: Path) -> tuple[MigrationFile, ...]:
    folder = directory / rendered.folder
    current = directory
    for part in Path(rendered.folder).parts:
        current = current / part
        # A link in the middle (migrations -> elsewhere) would write outside the tree.
        if current.is_symlink() or (current.exists() and not current.is_dir()):
            raise write_error(current, "--write", "is not a folder inside the tree")
    make_folders(folder, "--write")
    for path, _ in rendered.files:
        existing_regular_file(directory / path, "--write")  # refuse before writing any
    files = []
    for path, text in rendered.files:
        target = directory / path
        state: FileState = "unchanged"
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            write_text(target, text, option="--write")
            state = "written"
        files.append(MigrationFile(path, text, state))
    return tuple(files)

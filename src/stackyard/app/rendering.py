"""Render a spec into a GitOps folder, or check that a folder is exactly its render.

Policy: a spec whose plan has error findings renders nothing (:func:`plan_without_errors`);
the tree is built whole in memory before the folder is touched; ``--commit`` is checked
(Git present, a work tree, an identity) before anything is written, and the commit is
made while the folder is still locked, so it records exactly this render.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stackyard.app.planning import plan_without_errors
from stackyard.app.results import Describes
from stackyard.errors import COMMAND_LINE, InputError, Problem
from stackyard.fsio.read import read_input_bytes
from stackyard.plan import Plan
from stackyard.progress import Progress, no_progress
from stackyard.render import Difference, RenderMetadata, WriteReport, check_tree, write_tree
from stackyard.render.build import render_plan
from stackyard.render.gitwork import commit_message, commit_render, path_mismatch, prepare_commit
from stackyard.render.marker import MARKER
from stackyard.render.settings import RenderedSetting
from stackyard.render.tree import RenderedTree
from stackyard.spec.load import MAX_SPEC_BYTES
from stackyard.versioning import schema_id
from stackyard.wording import counted

Waiting = Callable[[], None]


def _no_wait() -> None:
    """Wait for another render of the same folder without saying so."""


@dataclass(frozen=True)
class RenderResult(Describes):
    """What a render did to its folder, the commit it made, and what to warn about."""

    spec: Path
    directory: Path
    report: WriteReport
    commit_requested: bool = False
    commit: str | None = None  # None with commit_requested: the render changed nothing in Git
    path_warning: str | None = None  # the folder is not at gitops.path of its repository
    metadata: RenderMetadata = field(default_factory=lambda: RenderMetadata(rendered_by=""))
    """What the tree was rendered for, as its marker records it."""
    settings: tuple[RenderedSetting, ...] = ()
    """The run-time settings the render wrote, each with its value, file and line."""

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``stackyard render --output json``."""
        report = self.report
        return {
            "schema": schema_id("render"),
            "spec": str(self.spec),
            "directory": str(self.directory),
            "written": list(report.written),
            "unchanged": report.unchanged,
            "deleted": list(report.deleted),
            "edited": list(report.edited),
            "replaced": list(report.replaced),
            "cleaned": list(report.cleaned),
            "unknown": list(report.unknown),
            "commit": {"requested": self.commit_requested, "id": self.commit},
            "warnings": [self.path_warning] if self.path_warning else [],
            "metadata": self.metadata.as_dict(),
            "settings": [setting.as_dict() for setting in self.settings],
        }


@dataclass(frozen=True)
class RenderCheck:
    """How a folder differs from what its spec renders (``render --check``)."""

    spec: Path
    directory: Path
    differences: tuple[Difference, ...]

    @property
    def matches(self) -> bool:
        """Whether the folder is exactly the render: the check passes."""
        return not self.differences

    @property
    def failed(self) -> bool:
        """Whether the folder differs from the render (the command line exits 1)."""
        return bool(self.differences)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the check failed, one sentence; empty when the folder is the render."""
        if not self.differences:
            return ()
        paths = counted(len(self.differences), "path")
        return (f"{self.directory} differs from what {self.spec} renders: {paths}",)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``stackyard render --check --output json``."""
        return {
            "schema": schema_id("render-check"),
            "spec": str(self.spec),
            "directory": str(self.directory),
            "matches": self.matches,
            "differences": [{"path": d.path, "reason": d.reason} for d in self.differences],
        }


@dataclass(frozen=True)
class _Render:
    plan: Plan
    tree: RenderedTree  # carries its RenderMetadata


def _render(spec: Path, progress: Progress) -> _Render:
    plan = plan_without_errors(spec)
    digest = hashlib.sha256(read_input_bytes(spec, max_bytes=MAX_SPEC_BYTES, what="the spec"))
    tree = render_plan(plan, progress, spec_digest=f"sha256:{digest.hexdigest()}")
    return _Render(plan, tree)


def _check_usage(*, check: bool, force: bool, commit: bool, message: str | None) -> None:
    """Refuse the combinations of render's options that cannot be honoured, all at once.

    Raises:
        InputError: ``check`` with ``force`` or ``commit`` (a check writes nothing), or
            ``message`` without ``commit``.
    """
    usage = []
    if check and (force or commit):
        usage.append("--check writes nothing; it cannot be combined with --force or --commit")
    if message is not None and not commit:
        usage.append("--message needs --commit")
    if usage:
        raise InputError([Problem(COMMAND_LINE, "", text) for text in usage])


def render(
    spec: Path,
    directory: Path,
    *,
    force: bool = False,
    commit: bool = False,
    message: str | None = None,
    on_wait: Waiting = _no_wait,
    progress: Progress = no_progress,
) -> RenderResult:
    """Render ``spec`` into ``directory``, touching only Stackyard's own files.

    Args:
        spec: the platform spec.
        directory: the GitOps folder (created if missing).
        force: overwrite files in the folder that Stackyard did not write.
        commit: record the render as one Git commit of the work tree holding the folder.
        message: the subject of that commit (needs ``commit``).
        on_wait: called when another render holds the folder's lock, before waiting.
        progress: receives the progress of long steps.

    Raises:
        InputError: bad usage, an invalid spec, an unwritable folder, or a commit that
            cannot be made (checked before anything is written).
        PlanRefusedError: the plan has error findings; nothing is written.
    """
    _check_usage(check=False, force=force, commit=commit, message=message)
    built = _render(spec, progress)
    target = prepare_commit(directory) if commit else None  # fail before writing
    made: list[str | None] = []

    def record(report: WriteReport) -> None:
        if target is None:
            return
        present = [path for path, _ in built.tree] + [MARKER]
        released = sorted(set(report.released) | set(report.deleted))
        text = commit_message(built.tree.metadata, message)
        made.append(commit_render(target, present, released, text))

    report = write_tree(
        built.tree, directory, built.tree.metadata, force=force, on_wait=on_wait, then=record
    )
    return RenderResult(
        spec=spec,
        directory=directory,
        report=report,
        commit_requested=commit,
        commit=made[0] if made else None,
        path_warning=path_mismatch(directory, built.plan.spec.platform.gitops.path),
        metadata=built.tree.metadata,
        settings=tuple(built.tree.settings.settings),
    )


def check_render(
    spec: Path,
    directory: Path,
    *,
    force: bool = False,
    commit: bool = False,
    message: str | None = None,
    on_wait: Waiting = _no_wait,
    progress: Progress = no_progress,
) -> RenderCheck:
    """How ``directory`` differs from what ``spec`` renders; writes nothing.

    ``force``, ``commit`` and ``message`` are what the user asked for besides the check:
    a check writes nothing, so it refuses each of them (a shell passes them on rather
    than judging the combination itself). ``on_wait`` and ``progress`` are as for
    :func:`render`.

    Raises:
        InputError: ``force``, ``commit`` or ``message`` given, an invalid spec, or a
            damaged marker in the folder.
        PlanRefusedError: the plan has error findings.
    """
    _check_usage(check=True, force=force, commit=commit, message=message)
    built = _render(spec, progress)
    differences = check_tree(built.tree, directory, built.tree.metadata, on_wait=on_wait)
    return RenderCheck(spec, directory, tuple(differences))

"""``stackyard render SPEC -o DIR [--check | --force] [--commit [-m MESSAGE]]``."""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

from stackyard.cli.errors import FINDINGS, OK
from stackyard.cli.output import console, counted, findings_table
from stackyard.errors import InputError, Location, Problem
from stackyard.fsio.read import read_input_bytes
from stackyard.plan import make_plan
from stackyard.render import WriteReport, check_tree, write_tree
from stackyard.render.build import render_metadata, render_plan
from stackyard.render.gitwork import commit_message, commit_render, path_mismatch, prepare_commit
from stackyard.render.marker import MARKER
from stackyard.spec import load_spec
from stackyard.spec.load import MAX_SPEC_BYTES

SHOWN_UNKNOWN = 5


@dataclass(frozen=True)
class RenderOptions:
    """How ``render`` writes: check only, overwrite unknown files, commit to Git."""

    check: bool = False
    force: bool = False
    commit: bool = False
    message: str | None = None


def _say(text: str) -> None:
    print(text, file=sys.stderr)


def _summary(report: WriteReport, output: Path) -> None:
    _say(
        f"wrote {counted(len(report.written), 'file')} to {output} ({report.unchanged} unchanged, "
        f"{len(report.deleted)} no longer rendered and deleted)"
    )
    if report.replaced:
        _say(f"overwrote {counted(len(report.replaced), 'file')} stackyard did not write (--force)")
    if report.edited:
        _say(
            f"warning: overwrote {counted(len(report.edited), 'rendered file')} edited by hand "
            f"since the last render: {_first_few(report.edited)}; put such changes in overrides/"
        )
    if report.cleaned:
        _say(f"removed {counted(len(report.cleaned), 'leftover')} of an interrupted render")
    if report.unknown:
        _say(
            f"left {counted(len(report.unknown), 'file')} stackyard did not write alone: "
            f"{_first_few(report.unknown)}"
        )


def _first_few(paths: tuple[str, ...]) -> str:
    """The first paths, and how many more there are: a summary, not a listing."""
    more = len(paths) - SHOWN_UNKNOWN
    return ", ".join(paths[:SHOWN_UNKNOWN]) + (f" and {more} more" if more > 0 else "")


def render_command(spec: Path, output: Path, options: RenderOptions) -> int:
    """Plan, refuse on error findings, render in memory, then write, check or commit."""
    usage = []
    if options.check and (options.force or options.commit):
        usage.append("--check writes nothing; it cannot be combined with --force or --commit")
    if options.message is not None and not options.commit:
        usage.append("--message needs --commit")
    if usage:
        raise InputError([Problem(Location("command line"), "", text) for text in usage])
    plan = make_plan(load_spec(spec))
    if plan.errors:
        console().print(findings_table(plan.errors))
        _say(f"error: {spec} has {counted(len(plan.errors), 'error finding')}; nothing written")
        return FINDINGS
    digest = hashlib.sha256(read_input_bytes(spec, max_bytes=MAX_SPEC_BYTES, what="the spec"))
    metadata = render_metadata(plan, f"sha256:{digest.hexdigest()}")
    tree = render_plan(plan)

    def waiting() -> None:
        _say(f"waiting for another render of {output.absolute()}")

    if options.check:
        differences = check_tree(tree, output, metadata, on_wait=waiting)
        for difference in differences:
            print(f"{difference.reason}: {difference.path}")
        if differences:
            _say(f"{output} differs from what {spec} renders: {len(differences)} paths")
            return FINDINGS
        _say(f"{output} is exactly what {spec} renders")
        return OK

    target = prepare_commit(output) if options.commit else None  # fail before writing

    def commit(report: WriteReport) -> None:
        if target is None:
            return
        present = [path for path, _ in tree] + [MARKER]
        message = commit_message(metadata, options.message)
        released = sorted(set(report.released) | set(report.deleted))
        commit_id = commit_render(target, present, released, message)
        if commit_id is None:
            _say("nothing to commit: the render changed no file in Git")
        else:
            _say(f"committed the render as {commit_id}")

    report = write_tree(
        tree,
        output,
        metadata,
        force=options.force,
        on_wait=waiting,
        then=commit,
    )
    _summary(report, output)
    warning = path_mismatch(output, plan.spec.platform.gitops.path)
    if warning:
        _say(f"warning: {warning}")
    return OK

"""``stackyard render SPEC DIR [--check | --force] [--commit [-m MESSAGE]]``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stackyard.app import (
    PlanRefusedError,
    RenderCheck,
    RenderResult,
    check_render,
    render,
)
from stackyard.cli.output import (
    OutputFormat,
    notice,
    print_json,
    warn,
)
from stackyard.cli.progress import progress_display
from stackyard.cli.results import exit_status, refused
from stackyard.wording import counted, first_few

SHOWN_PATHS = 5
"""Paths a summary line names (files edited by hand, files left alone) before "and N more"."""


@dataclass(frozen=True)
class RenderOptions:
    """How ``render`` writes: check only, overwrite unknown files, commit to Git."""

    check: bool = False
    force: bool = False
    commit: bool = False
    message: str | None = None


def render_command(
    spec: Path, directory: Path, options: RenderOptions, output: OutputFormat = OutputFormat.text
) -> int:
    """Render or check ``directory``; exit 1 when the plan has errors or the check fails."""

    def waiting() -> None:
        notice(f"waiting for another render of {directory.absolute()}")

    try:
        if options.check:
            with progress_display() as progress:
                checked = check_render(
                    spec,
                    directory,
                    force=options.force,
                    commit=options.commit,
                    message=options.message,
                    on_wait=waiting,
                    progress=progress,
                )
            return _report_check(checked, output)
        with progress_display() as progress:
            result = render(
                spec,
                directory,
                force=options.force,
                commit=options.commit,
                message=options.message,
                on_wait=waiting,
                progress=progress,
            )
    except PlanRefusedError as refusal:
        return refused(refusal, output)
    if output is OutputFormat.json:
        print_json(result.as_dict())
    _summary(result)
    return exit_status(result)


def _report_check(checked: RenderCheck, output: OutputFormat) -> int:
    if output is OutputFormat.json:
        print_json(checked.as_dict())
    else:
        for difference in checked.differences:
            print(f"{difference.reason}: {difference.path}")
    if not checked.failed:
        notice(f"{checked.directory} is exactly what {checked.spec} renders")
    return exit_status(checked)


def _summary(result: RenderResult) -> None:
    report = result.report
    notice(
        f"wrote {counted(len(report.written), 'file')} to {result.directory} "
        f"({report.unchanged} unchanged, {len(report.deleted)} no longer rendered and deleted)"
    )
    if report.replaced:
        notice(
            f"overwrote {counted(len(report.replaced), 'file')} stackyard did not write (--force)"
        )
    if report.edited:
        warn(
            f"warning: overwrote {counted(len(report.edited), 'rendered file')} edited by hand "
            f"since the last render: {first_few(report.edited, SHOWN_PATHS)}; "
            "put such changes in overrides/"
        )
    if report.cleaned:
        notice(f"removed {counted(len(report.cleaned), 'leftover')} of an interrupted render")
    if report.unknown:
        notice(
            f"left {counted(len(report.unknown), 'file')} stackyard did not write alone: "
            f"{first_few(report.unknown, SHOWN_PATHS)}"
        )
    if result.commit_requested:
        if result.commit is None:
            notice("nothing to commit: the render changed no file in Git")
        else:
            notice(f"committed the render as {result.commit}")
    if result.path_warning:
        warn(f"warning: {result.path_warning}")

"""``stackyard diff OLD NEW``: print what :func:`stackyard.app.diff` found.

``--fail-on-disruptive`` makes it a CI gate: exit 1 when a change is disruptive.
"""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape

from stackyard.app import ManifestDiffResult, PlanRefusedError, SpecDiffResult, diff
from stackyard.cli.output import OutputFormat, console, line_printer, print_json
from stackyard.cli.progress import progress_display
from stackyard.cli.results import exit_status, refused
from stackyard.wording import counted

_MARK = {"added": "+", "removed": "-", "changed": "~"}
_DISRUPTIVE = " [bold red]DISRUPTIVE[/]"


def diff_command(
    old: Path,
    new: Path,
    output: OutputFormat,
    *,
    manifests: bool = False,
    fail_on_disruptive: bool = False,
) -> int:
    """Compare, print the differences, and exit 1 if asked to gate on disruption."""
    try:
        with progress_display() as progress:
            result = diff(
                old,
                new,
                manifests=manifests,
                fail_on_disruptive=fail_on_disruptive,
                progress=progress,
            )
    except PlanRefusedError as refusal:
        return refused(refusal, output)
    if output is OutputFormat.json:
        print_json(result.as_dict())
    elif isinstance(result, ManifestDiffResult):
        _print_tree_diff(result)
    else:
        _print_spec_diff(result)
    return exit_status(result)


def _print_spec_diff(found: SpecDiffResult) -> None:
    out = console()
    say = line_printer(out)
    result, old, new = found.diff, found.old, found.new
    if not result.changes:
        say("no changes")
        return
    say(f"[bold]{escape(str(old))} → {escape(str(new))}[/]")
    current: str | None = ""
    for change in result.changes:
        if change.cluster != current:
            current = change.cluster
            say(f"[bold]{escape(current or 'platform')}[/]")
        mark = "+" if change.old is None else "-" if change.new is None else "~"
        values = ""
        if change.old is not None and change.new is not None:
            values = f": {change.old} → {change.new}"
        elif change.new is not None and change.new != "present":
            values = f": {change.new}"
        flag = _DISRUPTIVE if change.disruptive else ""
        text = escape(f"  {mark} {change.kind} {change.subject}{values}")
        say(f"{text}{flag} — {escape(change.reason)}")
    say(f"{counted(len(result.changes), 'change')}, {len(result.disruptive)} disruptive")


def _print_tree_diff(found: ManifestDiffResult) -> None:
    out = console()
    say = line_printer(out)
    result, old, new = found.diff, found.old, found.new
    for skipped in result.skipped:
        say(escape(f"skipped {skipped}"))
    if not result.objects and not result.files:
        say("no changes")
        return
    say(f"[bold]{escape(str(old))} → {escape(str(new))}[/]")
    for change in result.objects:
        flag = f"{_DISRUPTIVE} — {escape(change.reason)}" if change.disruptive else ""
        line = f"  {_MARK[change.status]} {change.identity} ({change.path})"
        say(escape(line) + flag)
    for file in result.files:
        say(escape(f"  {_MARK[file.status]} file {file.path}"))
    for text in [c.diff for c in result.objects if c.diff] + [f.diff for f in result.files]:
        if text:
            out.print(escape(text), end="")  # a patch: its lines stay whole
    summary = result.as_dict()["summary"]
    say(
        f"{counted(len(result.objects), 'object')} and "
        f"{counted(len(result.files), 'file')} differ: "
        f"{summary['added']} added, {summary['removed']} removed, {summary['changed']} changed, "
        f"{summary['disruptive']} disruptive"
    )

"""``stackyard identity check SPEC``: print what :func:`stackyard.app.check_directories` found."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.markup import escape

from stackyard.app import DirectoryCheckResult, DirectoryReport, check_directories
from stackyard.cli.output import OutputFormat, console, findings_table, line_printer, print_json
from stackyard.cli.results import exit_status
from stackyard.wording import counted


def identity_check_command(
    spec: Path,
    output: OutputFormat,
    *,
    directory: str | None,
    password_env: str | None,
    password_file: Path | None,
    timeout: int,
) -> int:
    """Check the directories; exit 1 when any has an error finding."""
    result = check_directories(
        spec,
        directory=directory,
        password_env=password_env,
        password_file=password_file,
        timeout=timeout,
    )
    if output is OutputFormat.json:
        print_json(result.as_dict())
    else:
        _print_text(result)
    return exit_status(result)


def _print_text(result: DirectoryCheckResult) -> None:
    out = console()
    say = line_printer(out)
    for report in result.directories:
        _print_directory(report, say)
    findings = [f for report in result.directories for f in report.findings]
    if findings:
        out.print(findings_table(findings, "Directory findings"))
    failed = sum(1 for d in result.directories if d.failed)
    say(
        f"{counted(len(result.directories), 'directory', 'directories')} checked: "
        f"{len(result.directories) - failed} ok, {failed} with errors"
    )


def _print_directory(report: DirectoryReport, say: Callable[[str], None]) -> None:
    status = "[green]ok[/]" if not report.failed else "[bold red]errors[/]"
    say(f"[bold]{escape(report.name)}[/] ({escape(report.type)}, {escape(report.url)}): {status}")
    bind = "ok" if report.bound else "failed"
    transport = "encrypted" if report.encrypted else "NOT encrypted"
    say(escape(f"  bind as {report.bind_dn}: {bind} ({transport})"))
    for label, found in (("users", report.users), ("groups", report.groups)):
        if found is not None:
            sample = ", ".join(found.sample) or "none"
            say(escape(f"  {label}: {found.count} under {found.base} matching {found.filter}"))
            say(escape(f"    sample: {sample}"))
    if report.members is not None:
        members = report.members
        resolved = ", ".join(members.resolved) or "none"
        say(
            escape(
                f"  members of {members.group}: {members.listed} listed; "
                f"resolved to users: {resolved}"
                + (f"; not users: {len(members.unresolved)}" if members.unresolved else "")
            )
        )

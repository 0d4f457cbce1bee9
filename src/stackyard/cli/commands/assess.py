"""``stackyard assess DIR``: rate a platform repository and print the roadmap."""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from rich.table import Table

from stackyard.assess import Assessment, assess_directory
from stackyard.assess.exceptions import apply_exceptions, load_exceptions
from stackyard.assess.gate import fail_under, parse_threshold
from stackyard.assess.inputs.exclude import Exclusions
from stackyard.assess.inputs.reading import spare_cores
from stackyard.assess.report.citations import where
from stackyard.assess.report.compare import compare, load_previous, render_comparison_markdown
from stackyard.assess.report.html import render_html
from stackyard.assess.report.markdown import render_markdown
from stackyard.assess.report.notices import summarised
from stackyard.assess.report.sarif import to_sarif
from stackyard.assess.report.tally import excepted_line, excluded_line
from stackyard.cli.errors import FINDINGS, OK
from stackyard.cli.output import console, counted
from stackyard.fsio.write import write_text

SECOND_CLASS_SHOWN = 10
NOTICES_SHOWN = 10
_CLASS_STYLE = {"Essential": "bold red", "1st": "yellow", "2nd": "cyan"}
_STATUS_STYLE = {"achieved": "green", "partial": "yellow", "missing": "red"}


class ReportFormat(StrEnum):
    """How ``assess`` prints its result."""

    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"
    sarif = "sarif"


@dataclass(frozen=True)
class AssessOptions:
    """Everything ``stackyard assess`` can be asked for besides the directory."""

    output: ReportFormat = ReportFormat.text
    charts: Path | None = None
    exceptions: Path | None = None
    fail_under: str | None = None
    compare: Path | None = None
    report: Path | None = None
    jobs: int | None = None
    exclude: tuple[str, ...] = ()
    default_excludes: bool = True


def assess_command(directory: Path, options: AssessOptions) -> int:
    """Assess ``directory``; exit 1 when ``--fail-under`` is not met or a comparison regressed."""
    threshold = parse_threshold(options.fail_under) if options.fail_under else None
    previous = load_previous(options.compare) if options.compare else None
    exclusions = Exclusions(options.exclude, defaults=options.default_excludes)
    assessment = assess_directory(directory, options.charts, capped_jobs(options.jobs), exclusions)
    if options.exceptions is not None:
        assessment = apply_exceptions(assessment, load_exceptions(options.exceptions))
    text = _render(assessment, options.output)
    if options.report is not None:
        write_text(options.report, text, option="--report")
    elif text:
        sys.stdout.write(text)
    regressed = False
    if previous is not None:
        comparison = compare(previous, assessment)
        sys.stderr.write(render_comparison_markdown(comparison))
        regressed = comparison.has_regressions
    below = threshold is not None and fail_under(assessment, threshold)
    if below:
        print(f"assessment is below --fail-under {options.fail_under}", file=sys.stderr)
    return FINDINGS if below or regressed else OK


def capped_jobs(jobs: int | None) -> int | None:
    """``--jobs`` lowered to the spare cores, with a notice when it was more.

    Workers beyond the cores this process may use (``sched_getaffinity``) less the one
    it runs on would only wait for a core, and each costs a process and its memory:
    ``--jobs 100000`` must not start a hundred thousand of them.
    """
    spare = spare_cores()
    if jobs is None or jobs <= spare:
        return jobs
    alone = " (files are read in this process)" if spare == 0 else ""
    print(
        f"notice: --jobs {jobs} lowered to {spare}{alone}: this process may use "
        f"{spare + 1} {'core' if spare == 0 else 'cores'} and runs on one itself",
        file=sys.stderr,
    )
    return spare


def _render(assessment: Assessment, output: ReportFormat) -> str:
    if output is ReportFormat.json:
        return json.dumps(assessment.as_dict(), indent=2) + "\n"
    if output is ReportFormat.markdown:
        return render_markdown(assessment)
    if output is ReportFormat.html:
        return render_html(assessment)
    if output is ReportFormat.sarif:
        return json.dumps(to_sarif(assessment), indent=2) + "\n"
    print_text(assessment)
    return ""


def print_text(assessment: Assessment) -> None:
    """The terminal report: areas, roadmap, notices and the CNCF level."""
    out = console()
    out.print(areas_table(assessment))
    out.print(verdicts_table(assessment))
    out.print(roadmap_table(assessment))
    if assessment.notices:
        out.print(notices_table(assessment))
    # Excepted findings are counted apart: an accepted need is not an open error.
    severities = Counter(f.severity for f in assessment.workload_findings if not f.excepted)
    excepted = sum(f.excepted for f in assessment.workload_findings)
    out.print(
        f"{counted(assessment.stats.get('files', 0), 'file')}, "
        f"{counted(assessment.stats.get('objects', 0), 'object')}, "
        f"{counted(assessment.stats.get('releases', 0), 'release')} read; "
        f"{counted(len(assessment.workload_findings), 'workload finding')} "
        f"({counted(severities['error'], 'error')}, {counted(severities['warning'], 'warning')}, "
        f"{excepted} excepted); {counted(len(assessment.notices), 'notice')}"
    )
    for line in (excluded_line(assessment), excepted_line(assessment)):
        if line:
            out.print(line, markup=False, highlight=False)
    out.print(f"CNCF Cloud Native Maturity Model level: [bold]{assessment.level}[/]")


def areas_table(assessment: Assessment) -> Table:
    """Areas with their rating and how many controls are achieved, partial, missing."""
    table = Table(title=f"Platform maturity of {assessment.root}", expand=False)
    table.add_column("area")
    table.add_column("rating")
    for status in ("achieved", "partial", "missing"):
        table.add_column(status, justify="right")
    for area in assessment.areas:
        counts = Counter(c.status for c in area.controls)
        bar = "█" * area.rating + "░" * (5 - area.rating)
        table.add_row(
            area.title,
            f"{bar} {area.rating}",
            str(counts["achieved"]),
            str(counts["partial"]),
            str(counts["missing"]),
        )
    return table


def verdicts_table(assessment: Assessment) -> Table:
    """Every control's verdict and where to look: its first gap or evidence, +N more."""
    table = Table(title="Verdicts and where they are decided", expand=False)
    table.add_column("control", overflow="fold")
    table.add_column("status")
    table.add_column("where (first gap or evidence)", overflow="fold")
    table.caption = "every span, gaps and counted units: --output json, markdown or html"
    for area in assessment.areas:
        for index, control in enumerate(area.controls):
            table.add_row(
                control.control,
                f"[{_STATUS_STYLE[control.status]}]{control.status}[/]"
                + (" (excepted)" if control.excepted else ""),
                where(control, assessment.root) or "[dim]nothing cited[/]",
                end_section=index == len(area.controls) - 1,
            )
    return table


def roadmap_table(assessment: Assessment) -> Table:
    """The roadmap: every Essential and 1st item, the first 2nd-class items."""
    table = Table(title="Roadmap (Essential, 1st, 2nd)", expand=False)
    for column in ("class", "control", "gap", "next step"):
        table.add_column(column, overflow="fold")
    table.caption = "why each gap matters and what was found: --output json"
    second = 0
    for item in assessment.roadmap:
        if item.priority == "2nd":
            second += 1
            if second > SECOND_CLASS_SHOWN:
                continue
        table.add_row(
            f"[{_CLASS_STYLE[item.priority]}]{item.priority}[/]",
            item.control,
            item.title,
            item.next_step,
        )
    if second > SECOND_CLASS_SHOWN:
        table.caption = (
            f"{second - SECOND_CLASS_SHOWN} more 2nd-class items, and why each gap matters: "
            "--output json"
        )
    return table


def notices_table(assessment: Assessment) -> Table:
    """Files skipped or handled specially, repeated kinds summarised, first ones only."""
    table = Table(title="Notices", expand=False)
    table.add_column("file", overflow="fold")
    table.add_column("notice", overflow="fold")
    lines = summarised(assessment.notices)
    for line in lines[:NOTICES_SHOWN]:
        table.add_row(line.where, line.message)
    if len(lines) > NOTICES_SHOWN:
        more = sum(line.count for line in lines[NOTICES_SHOWN:])
        table.caption = f"{more} more: --output json"
    return table

"""The terminal report of ``assess``: areas, verdicts, roadmap and notices as tables.

:func:`print_report` draws it on a console; :func:`text_report` lays it out
:data:`REPORT_WIDTH` columns wide as plain text (no colour codes) for ``--report FILE``.
What the tables show (citations, notice lines, counts) comes with the result.
"""

from __future__ import annotations

import io
from collections import Counter

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from stackyard.app import Assessment, AssessResult
from stackyard.cli.tables import table
from stackyard.wording import counted

REPORT_WIDTH = 120
"""Columns of the text report written with ``--report``: wide enough for its tables."""
SECOND_CLASS_SHOWN = 10
NOTICES_SHOWN = 10
_CLASS_STYLE = {"Essential": "bold red", "1st": "yellow", "2nd": "cyan"}
_STATUS_STYLE = {"achieved": "green", "partial": "yellow", "missing": "red"}


def comparison_text(result: AssessResult) -> str:
    """The comparison's Markdown after the text report, or '' without ``--compare``."""
    return "" if result.comparison is None else "\n" + result.comparison.markdown()


def text_report(result: AssessResult) -> str:
    """The terminal report as plain text, :data:`REPORT_WIDTH` columns wide, for a file."""
    buffer = io.StringIO()
    out = Console(
        file=buffer,
        width=REPORT_WIDTH,
        color_system=None,
        force_terminal=False,
        highlight=False,
        soft_wrap=True,
    )
    print_report(result, out)
    return buffer.getvalue() + comparison_text(result)


def print_report(result: AssessResult, out: Console) -> None:
    """The terminal report on ``out``: areas, roadmap, notices and the CNCF level."""
    assessment = result.assessment
    out.print(areas_table(assessment))
    out.print(verdicts_table(result))
    out.print(roadmap_table(assessment))
    if assessment.notices:
        out.print(notices_table(result))
    counts = result.finding_counts()
    out.print(
        f"{counted(assessment.stats.get('files', 0), 'file')}, "
        f"{counted(assessment.stats.get('objects', 0), 'object')}, "
        f"{counted(assessment.stats.get('releases', 0), 'release')} read; "
        f"{counted(len(assessment.workload_findings), 'workload finding')} "
        f"({counted(counts['error'], 'error')}, {counted(counts['warning'], 'warning')}, "
        f"{counts['excepted']} excepted); {counted(len(assessment.notices), 'notice')}"
    )
    for line in result.tally_lines():
        out.print(line, markup=False, highlight=False)
    out.print(f"CNCF Cloud Native Maturity Model level: [bold]{assessment.level}[/]")


def areas_table(assessment: Assessment) -> Table:
    """Areas with their rating and how many controls are achieved, partial, missing."""
    result = table(f"Platform maturity of {escape(str(assessment.root))}", "area", "rating")
    for status in ("achieved", "partial", "missing"):
        result.add_column(status, justify="right")
    for area in assessment.areas:
        counts = Counter(c.status for c in area.controls)
        bar = "█" * area.rating + "░" * (5 - area.rating)
        result.add_row(
            area.title,
            f"{bar} {area.rating}",
            str(counts["achieved"]),
            str(counts["partial"]),
            str(counts["missing"]),
        )
    return result


def verdicts_table(result: AssessResult) -> Table:
    """Every control's verdict and where to look: its first gap or evidence, +N more."""
    verdicts = table(
        "Verdicts and where they are decided",
        "control",
        "status",
        "where (first gap or evidence)",
        caption="every span, gaps and counted units: --output json, markdown or html",
    )
    for area in result.assessment.areas:
        for index, control in enumerate(area.controls):
            verdicts.add_row(
                control.control,
                f"[{_STATUS_STYLE[control.status]}]{control.status}[/]"
                + (" (excepted)" if control.excepted else ""),
                escape(result.citation(control) or "") or "[dim]nothing cited[/]",
                end_section=index == len(area.controls) - 1,
            )
    return verdicts


def roadmap_table(assessment: Assessment) -> Table:
    """The roadmap: every Essential and 1st item, the first 2nd-class items."""
    result = table(
        "Roadmap (Essential, 1st, 2nd)",
        "class",
        "control",
        "gap",
        "next step",
        caption="why each gap matters and what was found: --output json",
    )
    second = 0
    for item in assessment.roadmap:
        if item.priority == "2nd":
            second += 1
            if second > SECOND_CLASS_SHOWN:
                continue
        result.add_row(
            f"[{_CLASS_STYLE[item.priority]}]{item.priority}[/]",
            item.control,
            item.title,
            item.next_step,
        )
    if second > SECOND_CLASS_SHOWN:
        result.caption = (
            f"{second - SECOND_CLASS_SHOWN} more 2nd-class items, and why each gap matters: "
            "--output json"
        )
    return result


def notices_table(result: AssessResult) -> Table:
    """Files skipped or handled specially, repeated kinds summarised, first ones only."""
    notices = table("Notices", "file", "notice")
    lines = result.notice_lines()
    for line in lines[:NOTICES_SHOWN]:
        notices.add_row(escape(line.where), escape(line.message))
    if len(lines) > NOTICES_SHOWN:
        more = sum(line.count for line in lines[NOTICES_SHOWN:])
        notices.caption = f"{more} more: --output json"
    return notices

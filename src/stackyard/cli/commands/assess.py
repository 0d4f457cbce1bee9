"""``stackyard assess DIR``: print what :func:`stackyard.app.assess` found.

The terminal report (areas, verdicts, roadmap, notices) is drawn by
:mod:`stackyard.cli.assessment_tables`; every other format is the application's text,
and every decision (the gate, regressions, the ``--jobs`` notice, what counts as an
open finding) comes with the result.

With ``--report FILE`` the terminal report goes to the file as plain text (no colour
codes) laid out ``REPORT_WIDTH`` columns wide, whatever the terminal's width.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

from stackyard.app import AssessRequest, ReportFormat, write_report
from stackyard.app import assess as run_assessment
from stackyard.cli.assessment_tables import comparison_text, print_report, text_report
from stackyard.cli.output import console, notice
from stackyard.cli.progress import progress_display
from stackyard.cli.results import exit_status


class AssessOutput(StrEnum):
    """How ``assess`` prints its result: the terminal tables, or a report format."""

    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"
    sarif = "sarif"


def assess_command(
    directory: Path,
    request: AssessRequest,
    output: AssessOutput = AssessOutput.text,
    report: Path | None = None,
) -> int:
    """Assess ``directory``; exit 1 when ``--fail-under`` is not met or a comparison regressed.

    ``report`` is where the report goes instead of stdout (``--report``). With
    ``--compare``, the comparison is part of the report: the ``comparison`` of the JSON
    document, the last section of the Markdown, and after the tables of the text; HTML
    and SARIF have no place for it, so it is a notice on stderr.
    """
    with progress_display() as progress:
        result = run_assessment(directory, request, progress=progress)
    for line in result.notices:
        notice(line)
    if output is AssessOutput.text:
        if report is None:
            print_report(result, console())
            sys.stdout.write(comparison_text(result))
        else:
            write_report(report, text_report(result))
        return exit_status(result)
    fmt = ReportFormat(output.value)
    if report is None:
        sys.stdout.write(result.report(fmt))
    else:
        write_report(report, result.report(fmt))
    if aside := result.comparison_aside(fmt):
        notice(aside)
    return exit_status(result)

"""``assess`` and ``compare``: rate a platform repository, gate it, compare it with before.

The chain every shell runs is here, in this order: read the ``--fail-under`` threshold
and the earlier report first (bad input fails before a long run), cap the worker
processes at the spare cores, assess, mark what the exceptions file accepts, compare
with the earlier report, and judge the gate. The result says whether the gate failed
and why; a shell prints it and picks the exit code.

:func:`format_report` writes an assessment as JSON, Markdown, HTML or SARIF text, the
formats meant for other tools and people; the terminal tables are the shell's.
:func:`write_report` writes a report to its file (``--report``) atomically, whichever
format (or the shell's text) it is, so every shell writes reports the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from stackyard.assess import Assessment, assess_directory
from stackyard.assess.exceptions import apply_exceptions, load_exceptions
from stackyard.assess.gate import fail_under, parse_threshold
from stackyard.assess.inputs.exclude import Exclusions
from stackyard.assess.inputs.reading import spare_cores
from stackyard.assess.model import ControlResult
from stackyard.assess.report.citations import where
from stackyard.assess.report.compare import (
    Comparison,
    compare,
    load_previous,
    render_comparison_markdown,
)
from stackyard.assess.report.html import render_html
from stackyard.assess.report.markdown import render_markdown
from stackyard.assess.report.notices import NoticeLine, summarised
from stackyard.assess.report.sarif import to_sarif
from stackyard.assess.report.tally import excepted_line, excluded_line
from stackyard.fsio.write import write_text
from stackyard.progress import Progress, no_progress
from stackyard.versioning import schema_id


class ReportFormat(StrEnum):
    """The formats of an assessment report meant for tools and people."""

    json = "json"
    markdown = "markdown"
    html = "html"
    sarif = "sarif"


def format_report(assessment: Assessment, output: ReportFormat) -> str:
    """``assessment`` as the text of one report format, ending with a line break.

    JSON is the versioned document (``assessment``) that ``compare`` reads back; SARIF
    is SARIF 2.1.0 with its own ``$schema``.
    """
    if output is ReportFormat.json:
        return json.dumps(assessment.as_dict(), indent=2) + "\n"
    if output is ReportFormat.markdown:
        return render_markdown(assessment)
    if output is ReportFormat.html:
        return render_html(assessment)
    return json.dumps(to_sarif(assessment), indent=2) + "\n"


def write_report(path: Path, text: str) -> None:
    """Write the report ``text`` to ``path`` (``--report``), replacing it atomically.

    A reader sees the old report or the new one, never half of one; ``path`` must be a
    regular file or not exist yet.

    Raises:
        InputError: ``path`` is not a regular file, its folder is missing, or the file
            system refuses the write; nothing was replaced.
    """
    write_text(path, text, option="--report")


@dataclass(frozen=True)
class ComparisonResult:
    """What changed between an earlier assessment report and a later one."""

    comparison: Comparison

    @property
    def regressed(self) -> bool:
        """Whether anything got worse: an area, a control, or a new open finding."""
        return self.comparison.has_regressions

    @property
    def failed(self) -> bool:
        """Whether the later report regressed (a gate on the comparison fails)."""
        return self.regressed

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the comparison failed, one sentence; empty when nothing got worse."""
        return (
            ("the later assessment regressed since the earlier report",) if self.regressed else ()
        )

    def markdown(self) -> str:
        """The comparison as Markdown (a pull-request comment section)."""
        return render_comparison_markdown(self.comparison)

    def as_dict(self) -> dict[str, Any]:
        """The versioned JSON document (``comparison``)."""
        return {"schema": schema_id("comparison"), **self.comparison.as_dict()}


def compare_reports(earlier: Path, later: Path) -> ComparisonResult:
    """Compare two assessment reports (``--output json`` documents) of one repository.

    Raises:
        InputError: either file is unreadable, not JSON, or not an assessment report.
    """
    return ComparisonResult(compare(load_previous(earlier), load_previous(later)))


@dataclass(frozen=True)
class AssessRequest:
    """What to assess with besides the directory; the field docs name the flags.

    ``charts`` (``--charts``): hydrate Applications with these charts; ``exceptions``
    (``--exceptions``): accepted findings; ``fail_under`` (``--fail-under``): a CNCF
    level or an area rating 1-5 the result must reach; ``compare`` (``--compare``): an
    earlier JSON report; ``jobs`` (``--jobs``): worker processes (None: the default;
    never more than the spare cores); ``exclude`` (``--exclude``) and
    ``default_excludes`` (``--default-excludes``): what is left out.
    """

    charts: Path | None = None
    exceptions: Path | None = None
    fail_under: str | None = None
    compare: Path | None = None
    jobs: int | None = None
    exclude: tuple[str, ...] = ()
    default_excludes: bool = True


@dataclass(frozen=True)
class AssessResult:
    """An assessment, its gate and its comparison with an earlier report.

    ``as_dict()`` is the assessment document itself (``assessment``), the one a later
    ``compare`` reads back, with the comparison's own document under ``"comparison"``
    when there is one.
    """

    assessment: Assessment
    fail_under: str | None = None
    below_threshold: bool = False
    comparison: ComparisonResult | None = None
    notices: tuple[str, ...] = ()
    """What the run adjusted and a user should hear (``--jobs`` lowered)."""

    @property
    def regressed(self) -> bool:
        """Whether the comparison (if any) found something worse than before."""
        return self.comparison is not None and self.comparison.regressed

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the gate failed, one sentence each; empty when it passed."""
        reasons = []
        if self.below_threshold:
            reasons.append(f"assessment is below --fail-under {self.fail_under}")
        if self.regressed:
            reasons.append("assessment regressed since the --compare report")
        return tuple(reasons)

    @property
    def failed(self) -> bool:
        """Whether the shell should fail (exit 1): below the threshold, or regressed."""
        return self.below_threshold or self.regressed

    def report(self, output: ReportFormat) -> str:
        """The assessment in one report format (:func:`format_report`).

        With a comparison, the JSON report carries it (it is :meth:`as_dict`) and the
        Markdown report ends with it; HTML and SARIF have no place for it.
        """
        if output is ReportFormat.json:
            return json.dumps(self.as_dict(), indent=2) + "\n"
        text = format_report(self.assessment, output)
        if output is ReportFormat.markdown and self.comparison is not None:
            return f"{text}\n{self.comparison.markdown()}"
        return text

    def comparison_aside(self, output: ReportFormat) -> str:
        """The comparison for a shell to show beside a report that has no place for it.

        The comparison's Markdown for HTML and SARIF (a command line says it on stderr);
        '' for JSON and Markdown, whose :meth:`report` carries it, and without one.
        """
        if self.comparison is None or output in (ReportFormat.json, ReportFormat.markdown):
            return ""
        return self.comparison.markdown().rstrip("\n")

    def citation(self, control: ControlResult) -> str:
        """Where ``control``'s verdict is decided: ``path:line +N more``, or ''."""
        return where(control, self.assessment.root)

    def notice_lines(self) -> list[NoticeLine]:
        """The assessment's notices, repeated kinds folded into one line."""
        return summarised(self.assessment.notices)

    def finding_counts(self) -> dict[str, int]:
        """Workload findings by kind: open ``error`` and ``warning``, and ``excepted``.

        An excepted finding is counted apart, never as open: an accepted need is not an
        open error.
        """
        findings = self.assessment.workload_findings
        open_ones = [f.severity for f in findings if not f.excepted]
        return {
            "error": open_ones.count("error"),
            "warning": open_ones.count("warning"),
            "excepted": sum(f.excepted for f in findings),
        }

    def tally_lines(self) -> list[str]:
        """What was excluded and what was excepted, one line each when anything was."""
        return [
            line
            for line in (excluded_line(self.assessment), excepted_line(self.assessment))
            if line
        ]

    def as_dict(self) -> dict[str, Any]:
        """The versioned assessment document (``assessment``).

        With a comparison (``--compare``), its document (``comparison``) is the optional
        ``"comparison"`` key; ``compare`` reading this report back ignores it.
        """
        document = self.assessment.as_dict()
        if self.comparison is not None:
            document["comparison"] = self.comparison.as_dict()
        return document


def capped_jobs(jobs: int | None) -> tuple[int | None, str]:
    """``jobs`` lowered to the spare cores, and a notice when it was more ('' when not).

    Workers beyond the cores this process may use (``sched_getaffinity``) less the one
    it runs on would only wait for a core, and each costs a process and its memory:
    ``--jobs 100000`` must not start a hundred thousand of them.
    """
    spare = spare_cores()
    if jobs is None or jobs <= spare:
        return jobs, ""
    alone = " (files are read in this process)" if spare == 0 else ""
    notice = (
        f"notice: --jobs {jobs} lowered to {spare}{alone}: this process may use "
        f"{spare + 1} {'core' if spare == 0 else 'cores'} and runs on one itself"
    )
    return spare, notice


def assess(
    directory: Path,
    request: AssessRequest | None = None,
    *,
    progress: Progress = no_progress,
) -> AssessResult:
    """Assess the repository at ``directory`` and judge it as ``request`` asks.

    Raises:
        InputError: a ``fail_under`` that is neither a level nor a rating, an earlier
            report that is not an assessment, a directory or charts folder that is not
            one, an exceptions file that is not valid or names an unknown check.
        StackyardError: an exclude pattern that cannot be used.
    """
    request = request or AssessRequest()
    threshold = parse_threshold(request.fail_under) if request.fail_under else None
    previous = load_previous(request.compare) if request.compare else None
    exclusions = Exclusions(request.exclude, defaults=request.default_excludes)
    exceptions = load_exceptions(request.exceptions) if request.exceptions else None
    jobs, notice = capped_jobs(request.jobs)
    assessment = assess_directory(directory, request.charts, jobs, exclusions, progress)
    if exceptions is not None:
        assessment = apply_exceptions(assessment, exceptions)
    comparison = None if previous is None else ComparisonResult(compare(previous, assessment))
    return AssessResult(
        assessment,
        fail_under=request.fail_under,
        below_threshold=threshold is not None and fail_under(assessment, threshold),
        comparison=comparison,
        notices=(notice,) if notice else (),
    )

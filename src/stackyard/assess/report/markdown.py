"""The assessment as Markdown for a pull request (a comment or a committed file).

Short by design: the overall level, one table row per area, the roadmap, and the most
severe open workload findings, each linked to its file and line. Links are relative to
the repository unless a ``link_base`` (such as ``https://github.com/org/repo/blob/SHA/``)
is given, which a pull-request comment needs. Every piece of text from the repository
is escaped: table cells cannot be broken by ``|`` or newlines, and ``<`` never opens
an HTML tag.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from stackyard.assess.model import (
    CNMM_LEVELS,
    AreaResult,
    Assessment,
    ControlResult,
    Evidence,
    WorkloadFinding,
)
from stackyard.assess.report.citations import and_more, counted_line, first
from stackyard.assess.report.locations import link, span
from stackyard.assess.report.notices import summarised
from stackyard.assess.report.tally import excepted_line, excluded_line
from stackyard.findings import by_severity

SPANS_SHOWN = 5  # per list and control: a pull-request comment stays readable
PRIORITIES = ("Essential", "1st", "2nd")


def render_markdown(assessment: Assessment, *, top: int = 20, link_base: str = "") -> str:
    """The pull-request report.

    Args:
        assessment: the result to show.
        top: how many open workload findings to list (most severe first).
        link_base: prefix for file links; relative links when empty.
    """
    lines = [
        f"## Platform maturity: **{assessment.level}**",
        "",
        f"CNCF Cloud Native Maturity Model: {_level_scale(assessment.level)}",
        "",
        "| Area | Rating | Achieved | Partial | Missing |",
        "|---|---|---:|---:|---:|",
    ]
    lines += [_area_row(area) for area in assessment.areas]
    lines += [""] + [
        cell(t) + "\n" for t in (excluded_line(assessment), excepted_line(assessment)) if t
    ]
    lines += [*_roadmap(assessment), *_verdicts(assessment, link_base)]
    lines += _findings(assessment, top, link_base)
    lines += _exceptions(assessment) + _notices(assessment)
    return "\n".join(lines).rstrip() + "\n"


def stars(rating: int) -> str:
    """``★★★☆☆ 3/5``."""
    rating = max(0, min(5, rating))
    return "★" * rating + "☆" * (5 - rating) + f" {rating}/5"


def cell(text: object) -> str:
    """Text safe inside a Markdown table cell (and outside one)."""
    value = " ".join(str(text).split())
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value.replace("|", "\\|").replace("`", "\\`").replace("[", "\\[").replace("]", "\\]")


def code(text: object) -> str:
    """A code span that cannot end early or break a table row."""
    return "`" + " ".join(str(text).split()).replace("`", "'").replace("|", "\\|") + "`"


def _level_scale(level: str) -> str:
    return " → ".join(f"**{name}**" if name == level else name for name in CNMM_LEVELS)


def _area_row(area: AreaResult) -> str:
    counts = Counter(c.status for c in area.controls)
    return (
        f"| {cell(area.title)} | {stars(area.rating)} | {counts['achieved']} "
        f"| {counts['partial']} | {counts['missing']} |"
    )


def _roadmap(assessment: Assessment) -> list[str]:
    lines = ["### Roadmap", ""]
    if not assessment.roadmap:
        return [*lines, "No gaps: nothing on the roadmap.", ""]
    titles = {a.area: a.title for a in assessment.areas}
    for priority in PRIORITIES:
        items = [r for r in assessment.roadmap if r.priority == priority]
        if not items:
            continue
        lines += [f"#### {priority}", ""]
        for item in items:
            area = titles.get(item.area, item.area)
            lines.append(
                f"- **{cell(item.title)}** ({cell(area)}, {code(item.control)}): "
                f"{cell(item.reason)} Next: {cell(item.next_step)}"
            )
        lines.append("")
    return lines


def _verdicts(assessment: Assessment, link_base: str) -> list[str]:
    """Every control's verdict with its evidence and its gaps, folded per area."""
    lines = ["### Evidence per area", ""]
    for area in assessment.areas:
        lines += [
            f"<details><summary>{cell(area.title)}: {area.rating}/5</summary>",
            "",
            *(item for c in area.controls for item in _verdict(c, assessment.root, link_base)),
            "",
            "</details>",
            "",
        ]
    return lines


def _verdict(control: ControlResult, root: str, link_base: str) -> list[str]:
    detail = f": {cell(control.detail)}" if control.detail else ""
    excepted = " (excepted)" if control.excepted else ""
    lines = [
        f"- **{control.status}**{excepted} {cell(control.title)} ({code(control.control)}){detail}"
    ]
    for label, spans in (("Evidence", control.evidence), ("Gaps", control.gaps)):
        if spans:
            lines.append(f"  - {label}: {_cited(spans, root, link_base)}")
    if control.units:
        lines.append(f"  - {counted_line(control, cell)}")
    return lines


def _cited(spans: Sequence[Evidence], root: str, link_base: str) -> str:
    shown, more = first(spans, SPANS_SHOWN)
    parts = [
        f"[{cell(span(e, root))}]({link(e, root, link_base).replace(' ', '%20')})"
        + (f" {cell(e.text)}" if e.text else "")
        for e in shown
    ]
    if more:
        parts.append(f"{and_more(more)} in the JSON report")
    return "; ".join(parts)


def top_findings(findings: tuple[WorkloadFinding, ...], top: int) -> list[WorkloadFinding]:
    """The ``top`` most severe open findings, in file order within a severity."""
    open_findings = [f for f in findings if not f.excepted]
    ranked = sorted(
        open_findings,
        key=lambda f: by_severity(f.finding),
    )
    return ranked[:top]


def _findings(assessment: Assessment, top: int, link_base: str) -> list[str]:
    findings = assessment.workload_findings
    shown = top_findings(findings, top)
    excepted = sum(f.excepted for f in findings)
    total = len(findings) - excepted
    lines = ["### Workload findings", ""]
    if not total:
        note = f" ({excepted} excepted)" if excepted else ""
        return [*lines, f"No open workload findings{note}.", ""]
    lines += [
        f"{len(shown)} of {total} open findings, most severe first ({excepted} excepted).",
        "",
        "| Severity | Check | Object | Where | Finding |",
        "|---|---|---|---|---|",
    ]
    for finding in shown:
        where = f"[{cell(span(finding.evidence, assessment.root))}]"
        target = link(finding.evidence, assessment.root, link_base)
        lines.append(
            f"| {finding.severity} | {code(finding.check)} | {cell(finding.object_ref)} "
            f"| {where}({target.replace(' ', '%20')}) | {cell(finding.message)} |"
        )
    return [*lines, ""]


def _exceptions(assessment: Assessment) -> list[str]:
    if not assessment.exceptions:
        return []
    lines = [
        "### Exceptions",
        "",
        "| Check | Applies to | Reason | Expires | Matched |",
        "|---|---|---|---|---:|",
    ]
    for use in assessment.exceptions:
        expiry = f"**expired {use.expires}**" if use.expired else use.expires or "never"
        lines.append(
            f"| {code(use.check)} | {cell(use.target)} | {cell(use.reason)} "
            f"| {expiry} | {use.matched} |"
        )
    return [*lines, ""]


def _notices(assessment: Assessment) -> list[str]:
    if not assessment.notices:
        return []
    lines = [f"<details><summary>{len(assessment.notices)} notices</summary>", ""]
    lines += [f"- {cell(n.where)}: {cell(n.message)}" for n in summarised(assessment.notices)]
    return [*lines, "", "</details>", ""]

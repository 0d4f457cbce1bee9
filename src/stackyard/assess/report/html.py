"""The assessment as one self-contained HTML file: radar chart, roadmap, evidence.

Self-contained means it opens from a CI artifact or an email with no network: inline
CSS, an inline SVG radar chart computed here, no script and no external asset. Every
piece of text that comes from the assessed repository (titles, evidence lines, file
names) goes through :func:`html.escape`; the report must be safe to open whatever the
repository contains.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from stackyard.assess.model import (
    CNMM_LEVELS,
    AreaResult,
    Assessment,
    ControlResult,
    Evidence,
    WorkloadFinding,
)
from stackyard.assess.report.citations import and_more, counted_line, first
from stackyard.assess.report.locations import span
from stackyard.assess.report.markdown import PRIORITIES
from stackyard.findings import by_severity

MAX_FINDING_ROWS = 500

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;
background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{margin:0 0 4px}h2{margin:32px 0 12px;border-bottom:1px solid #d9dde5;padding-bottom:4px}
.muted{color:#5b6475}.levels{display:flex;gap:4px;margin:12px 0}
.levels span{padding:4px 10px;border-radius:12px;background:#e4e7ee;color:#5b6475}
.levels span.on{background:#2456c7;color:#fff;font-weight:600}
.overview{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
.radar{background:#fff;border:1px solid #d9dde5;border-radius:8px}
table{border-collapse:collapse;background:#fff;width:100%}
th,td{border:1px solid #d9dde5;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef0f5}.num{text-align:right}
.chip{display:inline-block;padding:0 8px;border-radius:10px;font-size:12px;font-weight:600}
.achieved{background:#d7f2df;color:#17622f}.partial{background:#fdf0cf;color:#7a5400}
.missing{background:#fbdcdc;color:#8a1c1c}.excepted{background:#e4e7ee;color:#394150}
.error{color:#a11d1d;font-weight:600}.warning{color:#8a5b00}.info{color:#2456c7}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#eef0f5;padding:0 3px;
border-radius:3px;white-space:pre-wrap;word-break:break-all}
details{background:#fff;border:1px solid #d9dde5;border-radius:8px;margin:8px 0;padding:8px 12px}
summary{cursor:pointer;font-weight:600}ul.evidence{margin:4px 0;padding-left:18px}
details td:first-child{width:9em;white-space:nowrap}
.roadmap li{margin:6px 0}.label{font-size:12px;font-weight:600;margin-top:4px}
"""


def render_html(assessment: Assessment) -> str:
    """The whole report as one HTML document."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Platform maturity: {escape(assessment.level)}</title>",
        f"<style>{_CSS}</style></head><body><main>",
        "<h1>Platform maturity assessment</h1>",
        f'<p class="muted">Repository: <code>{escape(assessment.root)}</code></p>',
        _levels(assessment.level),
        '<div class="overview">',
        radar_svg(assessment.areas),
        _area_table(assessment.areas),
        "</div>",
        _roadmap(assessment),
        _area_details(assessment),
        _findings(assessment),
        _exceptions(assessment),
        _notices(assessment),
        "</main></body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def radar_points(
    ratings: Sequence[int], *, center: float, radius: float, scale: int = 5
) -> list[tuple[float, float]]:
    """Polygon vertices for ``ratings``: one per area, clockwise from the top."""
    count = len(ratings)
    points = []
    for index, rating in enumerate(ratings):
        angle = -math.pi / 2 + 2 * math.pi * index / max(count, 1)
        distance = radius * max(0, min(rating, scale)) / scale
        points.append((center + distance * math.cos(angle), center + distance * math.sin(angle)))
    return points


def _points(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def radar_svg(areas: Sequence[AreaResult], *, size: int = 520, margin: int = 110) -> str:
    """An inline SVG radar chart of the area ratings (1–5), with the scale's rings.

    ``margin`` widens the canvas on both sides for the area labels.
    """
    center, radius = size / 2, size / 2 - 110
    count = len(areas)
    width = size + 2 * margin
    parts = [
        f'<svg class="radar" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{size}" viewBox="0 0 {width} {size}" role="img" '
        'aria-label="Area ratings radar chart">',
        f'<g transform="translate({margin} 0)">',
    ]
    for ring in range(1, 6):
        ring_points = radar_points([ring] * count, center=center, radius=radius)
        parts.append(
            f'<polygon class="ring" points="{_points(ring_points)}" fill="none" '
            'stroke="#d9dde5" stroke-width="1"/>'
        )
    outer = radar_points([5] * count, center=center, radius=radius)
    labels = radar_points([5] * count, center=center, radius=radius + 16)
    for area, (x, y), (lx, ly) in zip(areas, outer, labels, strict=True):
        parts.append(
            f'<line x1="{center:.1f}" y1="{center:.1f}" x2="{x:.1f}" y2="{y:.1f}" '
            'stroke="#d9dde5" stroke-width="1"/>'
        )
        anchor = "middle" if abs(lx - center) < 1 else ("start" if lx > center else "end")
        parts.append(
            f'<text x="{lx:.1f}" y="{ly + 4:.1f}" text-anchor="{anchor}" font-size="11" '
            f'fill="#394150">{escape(area.title)} ({area.rating})</text>'
        )
    rated = radar_points([a.rating for a in areas], center=center, radius=radius)
    parts.append(
        f'<polygon class="ratings" points="{_points(rated)}" fill="#2456c7" '
        'fill-opacity="0.25" stroke="#2456c7" stroke-width="2"/>'
    )
    parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#2456c7"/>' for x, y in rated]
    parts.append("</g></svg>")
    return "".join(parts)


def _levels(level: str) -> str:
    spans = "".join(
        f'<span class="on">{escape(name)}</span>'
        if name == level
        else f"<span>{escape(name)}</span>"
        for name in CNMM_LEVELS
    )
    return f'<div class="levels" aria-label="CNCF maturity level">{spans}</div>'


def _counts(area: AreaResult) -> tuple[int, int, int]:
    statuses = [c.status for c in area.controls]
    return statuses.count("achieved"), statuses.count("partial"), statuses.count("missing")


def _area_table(areas: Sequence[AreaResult]) -> str:
    rows = []
    for area in areas:
        achieved, partial, missing = _counts(area)
        rows.append(
            f'<tr><td><a href="#area-{escape(area.area)}">{escape(area.title)}</a></td>'
            f'<td class="num">{area.rating}/5</td><td class="num">{achieved}</td>'
            f'<td class="num">{partial}</td><td class="num">{missing}</td></tr>'
        )
    head = "<tr><th>Area</th><th>Rating</th><th>Achieved</th><th>Partial</th><th>Missing</th></tr>"
    return f'<table style="width:auto;flex:1">{head}{"".join(rows)}</table>'


def _roadmap(assessment: Assessment) -> str:
    parts = ["<h2>Roadmap</h2>"]
    if not assessment.roadmap:
        return parts[0] + "<p>No gaps: nothing on the roadmap.</p>"
    titles = {a.area: a.title for a in assessment.areas}
    for priority in PRIORITIES:
        items = [r for r in assessment.roadmap if r.priority == priority]
        if not items:
            continue
        parts.append(f'<h3>{escape(priority)}</h3><ol class="roadmap">')
        for item in items:
            parts.append(
                f"<li><strong>{escape(item.title)}</strong> "
                f'<span class="muted">({escape(titles.get(item.area, item.area))}, '
                f"<code>{escape(item.control)}</code>)</span><br>{escape(item.reason)}"
                f"<br><em>Next:</em> {escape(item.next_step)}</li>"
            )
        parts.append("</ol>")
    return "".join(parts)


def _spans(label: str, spans: Sequence[Evidence], root: str) -> str:
    """A labelled list of the first spans, saying how many more the JSON report holds."""
    if not spans:
        return ""
    shown, more = first(spans)
    items = "".join(
        f"<li><code>{escape(span(e, root))}</code> <code>{escape(e.text)}</code></li>"
        for e in shown
    )
    if more:
        items += f'<li class="muted">{escape(and_more(more))} in the JSON report</li>'
    return f'<div class="label">{label}</div><ul class="evidence">{items}</ul>'


def _units(control: ControlResult) -> str:
    """``Counted: 17 of 18`` and the names of the units not counted."""
    if not control.units:
        return ""
    return f'<div class="muted">{escape(counted_line(control))}</div>'


def _control_row(control: ControlResult, root: str) -> str:
    status = escape(control.status)
    chip = f'<span class="chip {status}">{status}</span>'
    if control.excepted:
        chip += ' <span class="chip excepted">excepted</span>'
    body = _spans("Evidence", control.evidence, root) + _spans("Gaps", control.gaps, root)
    body += _units(control)
    if control.looked_for and control.status != "achieved":
        body += f'<div class="muted">Looked for: {escape(control.looked_for)}</div>'
    detail = f"<div>{escape(control.detail)}</div>" if control.detail else ""
    return (
        f"<tr><td>{chip}</td><td><strong>{escape(control.title)}</strong> "
        f'<span class="muted"><code>{escape(control.control)}</code> · level {control.level}'
        f" · weight {control.weight:g}</span>{detail}{body}</td></tr>"
    )


def _area_details(assessment: Assessment) -> str:
    parts = ["<h2>Areas</h2>"]
    for area in assessment.areas:
        rows = "".join(_control_row(c, assessment.root) for c in area.controls)
        parts.append(
            f'<details id="area-{escape(area.area)}" open><summary>{escape(area.title)}: '
            f"{area.rating}/5</summary><table>{rows}</table></details>"
        )
    return "".join(parts)


def _finding_row(finding: WorkloadFinding, root: str) -> str:
    severity = escape(finding.severity)
    excepted = ' <span class="chip excepted">excepted</span>' if finding.excepted else ""
    return (
        f'<tr><td class="{severity}">{severity}{excepted}</td>'
        f"<td><code>{escape(finding.check)}</code></td><td>{escape(finding.object_ref)}</td>"
        f"<td><code>{escape(span(finding.evidence, root))}</code><br>"
        f"<code>{escape(finding.evidence.text)}</code></td><td>{escape(finding.message)}</td></tr>"
    )


def _findings(assessment: Assessment) -> str:
    findings = sorted(
        assessment.workload_findings,
        key=lambda f: (f.excepted, *by_severity(f.finding)),
    )
    title = f"<h2>Workload findings ({len(findings)})</h2>"
    if not findings:
        return title + "<p>No workload findings.</p>"
    rows = "".join(_finding_row(f, assessment.root) for f in findings[:MAX_FINDING_ROWS])
    more = len(findings) - MAX_FINDING_ROWS
    note = f'<p class="muted">{more} more in the JSON report.</p>' if more > 0 else ""
    head = "<tr><th>Severity</th><th>Check</th><th>Object</th><th>Where</th><th>Finding</th></tr>"
    return f"{title}<table>{head}{rows}</table>{note}"


def _exceptions(assessment: Assessment) -> str:
    if not assessment.exceptions:
        return ""
    rows = "".join(
        f"<tr><td><code>{escape(u.check)}</code></td><td>{escape(u.target)}</td>"
        f"<td>{escape(u.reason)}</td><td>{'expired ' if u.expired else ''}"
        f"{escape(u.expires or 'never')}"
        f'</td><td class="num">{u.matched}</td></tr>'
        for u in assessment.exceptions
    )
    head = (
        "<tr><th>Check</th><th>Applies to</th><th>Reason</th><th>Expires</th><th>Matched</th></tr>"
    )
    return f"<h2>Exceptions</h2><table>{head}{rows}</table>"


def _notices(assessment: Assessment) -> str:
    if not assessment.notices:
        return ""
    items = "".join(
        f"<li><code>{escape(n.file)}</code>: {escape(n.message)}</li>" for n in assessment.notices
    )
    return (
        f"<h2>Notices</h2><details><summary>{len(assessment.notices)} files skipped or "
        f"handled</summary><ul>{items}</ul></details>"
    )

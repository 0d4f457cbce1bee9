"""A Gantt-style SVG of an incident: what is down, what runs on a buffer, what is lost.

One row per failed target and per affected function (grouped over the places where the
same thing happens), on a shared time axis. Grey: a target is down; amber: a function
runs on its buffer or cache; red: it is interrupted and has no buffer, or its buffer
is exhausted. Self-contained (no scripts, no external fonts), deterministic.
"""

from __future__ import annotations

from collections import defaultdict
from xml.sax.saxutils import escape

from stackyard.simulate.engine import INFINITY, FunctionOutcome
from stackyard.simulate.run import IncidentReport
from stackyard.spec.units import format_duration

ROW = 26
LABEL = 420
CHART = 640
TOP = 70
COLOURS = {"down": "#7f8c8d", "kept": "#f0ad4e", "lost": "#d9534f"}
STEPS = (60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800)
MAX_TICKS = 8


def incident_svg(report: IncidentReport) -> str:
    """The chart of ``report`` as an SVG document."""
    simulation = report.simulation
    horizon = _horizon(report)
    rows: list[tuple[str, list[tuple[float, float, str]]]] = []
    for step in simulation.scenario.steps:
        if step.action != "fail":
            continue
        spans = [span for service in step.services for span in simulation.down.get(service, ())]
        if spans:
            start = min(s for s, _ in spans)
            end = max(e for _, e in spans)
            rows.append((f"{step.target} down", [(start, end, "down")]))
    grouped: dict[tuple[str, str], list[FunctionOutcome]] = defaultdict(list)
    for outcome in simulation.affected():
        grouped[outcome.function.text.title, outcome.state].append(outcome)
    for (title, _), outcomes in grouped.items():
        where = ", ".join(sorted({o.function.where for o in outcomes}))
        rows.append((f"{title} [{where}]", _bars(outcomes[0])))
    height = TOP + ROW * len(rows) + 60
    width = LABEL + CHART + 40
    scale = CHART / horizon
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(simulation.scenario.name)}</title>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="10" y="24" font-size="16" font-weight="bold">'
        f"{escape(simulation.scenario.name)} — {escape(simulation.model.plan.spec.platform.name)}"
        "</text>",
    ]
    legend = [("target down", "down"), ("on buffer or cache", "kept"), ("lost", "lost")]
    for index, (text, colour) in enumerate(legend):
        lx = 10 + index * 170
        out.append(f'<rect x="{lx}" y="36" width="14" height="14" fill="{COLOURS[colour]}"/>')
        out.append(f'<text x="{lx + 20}" y="48">{text}</text>')
    every = next((s for s in STEPS if horizon / s <= MAX_TICKS), STEPS[-1])
    for tick in range(int(horizon // every) + 1):
        seconds = float(tick * every)
        x = LABEL + seconds * scale
        out.append(
            f'<line x1="{x:.1f}" y1="{TOP - 8}" x2="{x:.1f}" y2="{TOP + ROW * len(rows)}" '
            'stroke="#dddddd"/>'
        )
        out.append(
            f'<text x="{x:.1f}" y="{TOP + ROW * len(rows) + 18}" text-anchor="middle">'
            f"{format_duration(seconds)}</text>"
        )
    for index, (label, bars) in enumerate(rows):
        y = TOP + index * ROW
        out.append(f'<text x="10" y="{y + 16}">{escape(_clip(label))}</text>')
        for start, end, colour in bars:
            stop = horizon if end == INFINITY else min(end, horizon)
            x = LABEL + start * scale
            w = max(1.0, (stop - start) * scale)
            out.append(
                f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{ROW - 8}" '
                f'fill="{COLOURS[colour]}"><title>{escape(label)}: {format_duration(start)}'
                f"–{'end' if end == INFINITY else format_duration(end)}</title></rect>"
            )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _bars(outcome: FunctionOutcome) -> list[tuple[float, float, str]]:
    bars = []
    for period in outcome.periods:
        buffered = outcome.function.text.kept and outcome.function.buffer is not None
        if period.consumer_down or not buffered:
            bars.append((period.start, period.end, "lost"))
        elif period.exhausted_at is not None:
            bars.append((period.start, period.exhausted_at, "kept"))
            bars.append((period.exhausted_at, period.end, "lost"))
        else:
            bars.append((period.start, period.end, "kept"))
    return bars


def _horizon(report: IncidentReport) -> float:
    """The scenario's end plus a tenth, so recoveries are visible; at least a minute."""
    end = report.simulation.end
    return max(60.0, end * 1.1)


def _clip(label: str) -> str:
    return label if len(label) <= 62 else label[:61] + "…"

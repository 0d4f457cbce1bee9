"""A Gantt-style SVG of an incident: what is down, what runs on a buffer, what is lost.

One row per failed target and per affected function (grouped over the places where the
same thing happens), on a shared time axis. Grey: a target is down; amber: a function
runs on its buffer or cache; red: it is interrupted and has no buffer, or its buffer
is exhausted. Self-contained (no scripts, no external fonts), deterministic.

The axis spans the simulated window and a tenth more; a dashed line marks where the
window ends, and what is still down then runs on to the edge, marked "not recovered",
as the JSON report gives it no end. The axis has at most ``MAX_TICKS`` + 1 ticks
whatever the span, picked from ``STEPS`` (and whole decades of years beyond them).
"""

from __future__ import annotations

import math
from collections import defaultdict
from xml.sax.saxutils import escape

from stackyard.simulate.engine import INFINITY, FunctionOutcome, union
from stackyard.simulate.run import IncidentReport
from stackyard.spec.units import format_duration

ROW = 26
LABEL = 420
CHART = 640
TOP = 70
COLOURS = {"down": "#7f8c8d", "kept": "#f0ad4e", "lost": "#d9534f"}
DAY = 86400
YEAR = 365 * DAY
STEPS = (
    *(60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200),
    *(DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 90 * DAY, 180 * DAY, YEAR),
)
MAX_TICKS = 8
NOT_RECOVERED = "not recovered"


def incident_svg(report: IncidentReport) -> str:
    """The chart of ``report`` as an SVG document."""
    simulation = report.simulation
    horizon = _horizon(report)
    still_down = set(simulation.targets_still_down())
    rows: list[tuple[str, list[tuple[float, float, str]]]] = []
    drawn: set[str] = set()
    for step in simulation.scenario.steps:  # one row per failed target, every span on it
        if step.action != "fail" or step.target in drawn:
            continue
        drawn.add(step.target)
        spans = union(
            span for service in step.services for span in simulation.down.get(service, ())
        )
        if not spans:
            continue
        label = f"{step.target} down"
        if step.target in still_down:
            label += f" ({NOT_RECOVERED})"
            spans[-1] = (spans[-1][0], INFINITY)
        rows.append((label, [(start, end, "down") for start, end in spans]))
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
    bottom = TOP + ROW * len(rows)
    for seconds in ticks(horizon):
        x = LABEL + seconds * scale
        out.append(
            f'<line x1="{x:.1f}" y1="{TOP - 8}" x2="{x:.1f}" y2="{bottom}" stroke="#dddddd"/>'
        )
        out.append(
            f'<text x="{x:.1f}" y="{bottom + 18}" text-anchor="middle">'
            f"{_tick_label(seconds)}</text>"
        )
    end_x = LABEL + simulation.end * scale
    out.append(
        f'<line x1="{end_x:.1f}" y1="{TOP - 8}" x2="{end_x:.1f}" y2="{bottom}" '
        'stroke="#555555" stroke-dasharray="4 3"><title>end of the simulated window: '
        f"{format_duration(simulation.end)}</title></line>"
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
                f"–{NOT_RECOVERED if end == INFINITY else format_duration(end)}</title></rect>"
            )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def ticks(horizon: float) -> list[float]:
    """Evenly spaced axis ticks from 0 to ``horizon`` seconds: at most ``MAX_TICKS`` + 1.

    Raises:
        ValueError: ``horizon`` is not a finite number of seconds.
    """
    if not math.isfinite(horizon) or horizon < 0:
        raise ValueError(f"an axis needs a finite span, not {horizon}")
    every = next((s for s in STEPS if horizon / s <= MAX_TICKS), None)
    if every is None:  # beyond the list: whole decades of years
        every = YEAR * 10 ** math.ceil(math.log10(horizon / YEAR / MAX_TICKS))
    return [float(tick * every) for tick in range(int(horizon // every) + 1)]


def _tick_label(seconds: float) -> str:
    if seconds >= 2 * DAY and seconds % DAY == 0:
        return f"{seconds / DAY:.0f}d"
    return format_duration(seconds)


def _bars(outcome: FunctionOutcome) -> list[tuple[float, float, str]]:
    """Coloured spans; one still open when the window ends has no end (``INFINITY``)."""
    bars = []
    for period in outcome.periods:
        end = period.end if period.recovered else INFINITY
        buffered = outcome.function.text.kept and outcome.function.buffer is not None
        if period.consumer_down or not buffered:
            bars.append((period.start, end, "lost"))
        elif period.exhausted_at is not None:
            bars.append((period.start, period.exhausted_at, "kept"))
            bars.append((period.exhausted_at, end, "lost"))
        else:
            bars.append((period.start, end, "kept"))
    return bars


def _horizon(report: IncidentReport) -> float:
    """The window plus a tenth, so recoveries and what stays down are visible; at least 1m."""
    end = report.simulation.end
    return max(60.0, end * 1.1)


def _clip(label: str) -> str:
    return label if len(label) <= 62 else label[:61] + "…"

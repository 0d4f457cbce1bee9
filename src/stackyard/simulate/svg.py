"""A Gantt-style SVG of an incident: what is down, what runs on a buffer, what is lost.

One row per failed target and per affected function (functions share a row only when
their bars are identical), on a shared time axis, drawn from exactly the periods the JSON
report gives. Dark grey: the whole target is down; light grey: only part of it (a staged
recovery); amber: a function runs on its buffer or cache; red: it is interrupted; purple:
its buffer is exhausted and data is lost. Every bar carries ``data-start``, ``data-end``
(empty: not recovered), ``data-state`` and ``data-functions`` (the function keys), so a
reader or a test can check it against the JSON. Self-contained (no scripts, no external
fonts), deterministic.

The axis spans the simulated window and a tenth more; a dashed line marks where the
window ends, and what is still down then runs on to the edge, marked "not recovered",
as the JSON report gives it no end. The axis has at most ``MAX_TICKS`` + 1 ticks
whatever the span, picked from ``STEPS`` (and whole decades of years beyond them).
"""

from __future__ import annotations

import math
from collections import defaultdict
from itertools import pairwise
from xml.sax.saxutils import escape

from stackyard.simulate.engine import INFINITY, FunctionOutcome
from stackyard.simulate.run import IncidentReport
from stackyard.spec.units import format_duration

ROW = 26
LABEL = 420
CHART = 640
TOP = 70
COLOURS = {
    "down": "#5d6d7e",
    "partly-down": "#bfc9ca",
    "kept": "#f0ad4e",
    "interrupted": "#d9534f",
    "lost": "#6c3483",
}
LEGEND = {
    "down": "target down",
    "partly-down": "target partly down",
    "kept": "on buffer or cache",
    "interrupted": "interrupted",
    "lost": "past the buffer: data lost or stale",
}
DAY = 86400
YEAR = 365 * DAY
STEPS = (
    *(60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200),
    *(DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 90 * DAY, 180 * DAY, YEAR),
)
MAX_TICKS = 8
NOT_RECOVERED = "not recovered"


Bar = tuple[float, float, str]
"""Start, end (``INFINITY``: still open when the window ends) and state of one span."""


def target_bars(report: IncidentReport, target: str) -> list[Bar]:
    """When ``target`` is down: all of its services (``down``) or only some (``partly down``).

    A staged recovery (nodes and Vault back, the rest still down) shows as partly down
    from the first service that came back, not as the whole target down.
    """
    simulation = report.simulation
    services = set().union(*(s.services for s in simulation.scenario.steps if s.target == target))
    open_services = simulation.still_down & services
    spans = {
        service: [
            (start, INFINITY if service in open_services and i == len(found) - 1 else stop)
            for i, (start, stop) in enumerate(found)
        ]
        for service in services
        if (found := simulation.down.get(service, ()))
    }
    if not spans:
        return []
    edges = sorted({point for found in spans.values() for span in found for point in span})
    bars: list[Bar] = []
    for start, stop in pairwise(edges):
        count = sum(any(a <= start and stop <= b for a, b in found) for found in spans.values())
        if count == 0:
            continue
        state = "down" if count == len(services) else "partly-down"
        if bars and bars[-1][1] == start and bars[-1][2] == state:
            bars[-1] = (bars[-1][0], stop, state)
        else:
            bars.append((start, stop, state))
    return bars


def function_bars(outcome: FunctionOutcome) -> list[Bar]:
    """Coloured spans of one function, exactly its periods; an open one ends at ``INFINITY``."""
    bars: list[Bar] = []
    for period in outcome.periods:
        end = period.end if period.recovered else INFINITY
        buffered = outcome.function.text.kept and outcome.function.buffer is not None
        if period.consumer_down or not buffered:
            bars.append((period.start, end, "interrupted"))
        elif period.exhausted_at is not None:
            bars.append((period.start, period.exhausted_at, "kept"))
            bars.append((period.exhausted_at, end, "lost"))
        else:
            bars.append((period.start, end, "kept"))
    return bars


def chart_rows(report: IncidentReport) -> list[tuple[str, tuple[str, ...], list[Bar]]]:
    """Label, function keys and bars of every row: failed targets, then functions.

    Functions share a row only when their bars are identical, so every bar drawn is the
    bar of each function the row names.
    """
    simulation = report.simulation
    still_down = set(simulation.targets_still_down())
    rows: list[tuple[str, tuple[str, ...], list[Bar]]] = []
    for target in dict.fromkeys(s.target for s in simulation.scenario.steps if s.action == "fail"):
        bars = target_bars(report, target)
        if bars:
            label = f"{target} down" + (f" ({NOT_RECOVERED})" if target in still_down else "")
            rows.append((label, (), bars))
    grouped: dict[tuple[str, str, tuple[Bar, ...]], list[FunctionOutcome]] = defaultdict(list)
    for outcome in simulation.affected():
        drawn = tuple(function_bars(outcome))
        grouped[outcome.function.text.title, outcome.state, drawn].append(outcome)
    for (title, _, drawn), outcomes in grouped.items():
        where = ", ".join(sorted({o.function.where for o in outcomes}))
        rows.append((f"{title} [{where}]", tuple(o.function.key for o in outcomes), list(drawn)))
    return rows


def incident_svg(report: IncidentReport) -> str:
    """The chart of ``report`` as an SVG document."""
    simulation = report.simulation
    horizon = _horizon(report)
    rows = chart_rows(report)
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
    for index, (state, text) in enumerate(LEGEND.items()):
        lx = 10 + index * 205
        out.append(f'<rect x="{lx}" y="36" width="14" height="14" fill="{COLOURS[state]}"/>')
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
    for index, (label, keys, bars) in enumerate(rows):
        y = TOP + index * ROW
        out.append(f'<text x="10" y="{y + 16}">{escape(_clip(label))}</text>')
        functions = escape(" ".join(keys), {'"': "&quot;"})
        for start, end, state in bars:
            stop = horizon if end == INFINITY else min(end, horizon)
            x = LABEL + start * scale
            w = max(1.0, (stop - start) * scale)
            until = NOT_RECOVERED if end == INFINITY else format_duration(end)
            out.append(
                f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{ROW - 8}" '
                f'fill="{COLOURS[state]}" data-state="{state}" data-start="{start:g}" '
                f'data-end="{"" if end == INFINITY else f"{end:g}"}" data-functions="{functions}">'
                f"<title>{escape(label)}: {format_duration(start)}–{until}"
                f" ({LEGEND[state]})</title></rect>"
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


def _horizon(report: IncidentReport) -> float:
    """The window plus a tenth, so recoveries and what stays down are visible; at least 1m."""
    end = report.simulation.end
    return max(60.0, end * 1.1)


def _clip(label: str) -> str:
    return label if len(label) <= 62 else label[:61] + "…"

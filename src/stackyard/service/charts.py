"""The dashboard's charts as inline SVG, drawn on the server: no script, no front-end build.

A radar of the newest assessment's area ratings (1-5), and a trend of the mean rating over
the recorded commits with each point's maturity level. Every chart scales to its box
(``viewBox`` with no fixed size), so it fits a phone as well as a wide screen, and carries
a ``<title>`` and text a screen reader can read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.sax.saxutils import escape

from markupsafe import Markup

from stackyard.app import AreaRating, HistoryPoint

TOP_RATING = 5
RADAR_SIZE = 420
RADAR_RADIUS = 140
TREND_WIDTH = 640
TREND_HEIGHT = 220
TREND_MARGIN = 40


def _point(angle: float, radius: float, centre: float) -> tuple[float, float]:
    return centre + radius * math.sin(angle), centre - radius * math.cos(angle)


def _points(coordinates: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)


def radar(areas: Sequence[AreaRating]) -> Markup:
    """The area ratings as a radar: one spoke per area, rings at each rating."""
    if len(areas) < 3:  # a radar needs three spokes to enclose anything
        return Markup("")
    centre = RADAR_SIZE / 2
    step = 2 * math.pi / len(areas)
    parts = [
        f'<svg class="chart radar" viewBox="0 0 {RADAR_SIZE} {RADAR_SIZE}" role="img" '
        'aria-labelledby="radar-title"><title id="radar-title">Maturity rating per area, '
        "1 to 5</title>"
    ]
    for ring in range(1, TOP_RATING + 1):
        ring_points = [
            _point(i * step, RADAR_RADIUS * ring / TOP_RATING, centre) for i in range(len(areas))
        ]
        parts.append(f'<polygon class="ring" points="{_points(ring_points)}"/>')
    for i, area in enumerate(areas):
        x, y = _point(i * step, RADAR_RADIUS, centre)
        lx, ly = _point(i * step, RADAR_RADIUS + 18, centre)
        anchor = "middle" if abs(lx - centre) < 10 else ("start" if lx > centre else "end")
        parts.append(f'<line class="spoke" x1="{centre}" y1="{centre}" x2="{x:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}">'
            f"{escape(area.area)} {area.rating}</text>"
        )
    rated = [
        _point(i * step, RADAR_RADIUS * a.rating / TOP_RATING, centre) for i, a in enumerate(areas)
    ]
    parts.append(f'<polygon class="rating" points="{_points(rated)}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def trend(history: Sequence[HistoryPoint]) -> Markup:
    """The mean area rating per recorded commit, oldest left, labelled with its level."""
    if not history:
        return Markup("")
    width, height, margin = TREND_WIDTH, TREND_HEIGHT, TREND_MARGIN
    inner_w, inner_h = width - 2 * margin, height - 2 * margin
    parts = [
        f'<svg class="chart trend" viewBox="0 0 {width} {height}" role="img" '
        'aria-labelledby="trend-title"><title id="trend-title">Mean area rating per '
        "assessed commit, oldest first</title>"
    ]
    for rating in range(1, TOP_RATING + 1):
        y = margin + inner_h * (1 - (rating - 1) / (TOP_RATING - 1))
        parts.append(
            f'<line class="grid" x1="{margin}" y1="{y:.1f}" x2="{width - margin}" y2="{y:.1f}"/>'
            f'<text class="axis" x="{margin - 8}" y="{y + 4:.1f}" text-anchor="end">{rating}</text>'
        )
    coordinates = []
    marks = []
    for i, point in enumerate(history):
        mean = sum(point.areas.values()) / len(point.areas) if point.areas else 1.0
        x = margin + (inner_w * i / (len(history) - 1) if len(history) > 1 else inner_w / 2)
        y = margin + inner_h * (1 - (mean - 1) / (TOP_RATING - 1))
        coordinates.append((x, y))
        label = f"{point.commit[:8]}: {point.level}, mean {mean:.1f}"
        marks.append(
            f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="5"><title>{escape(label)}'
            f'</title></circle><text class="label" x="{x:.1f}" y="{y - 10:.1f}" '
            f'text-anchor="middle">{escape(point.level)}</text>'
        )
    if len(coordinates) > 1:
        parts.append(f'<polyline class="line" points="{_points(coordinates)}"/>')
    parts.extend(marks)
    parts.append("</svg>")
    return Markup("".join(parts))

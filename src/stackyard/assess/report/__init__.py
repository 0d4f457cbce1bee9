"""Reports of an assessment: Markdown, self-contained HTML, SARIF, and comparisons.

The terminal table and the JSON document live with the command; these are the
formats meant for other tools and other people (pull requests, browsers, code
scanning, CI history).
"""

from stackyard.assess.report.compare import (
    Comparison,
    compare,
    load_previous,
    render_comparison_markdown,
)
from stackyard.assess.report.html import radar_points, radar_svg, render_html
from stackyard.assess.report.markdown import render_markdown
from stackyard.assess.report.sarif import to_sarif

__all__ = [
    "Comparison",
    "compare",
    "load_previous",
    "radar_points",
    "radar_svg",
    "render_comparison_markdown",
    "render_html",
    "render_markdown",
    "to_sarif",
]

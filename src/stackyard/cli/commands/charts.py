"""``stackyard charts pull SPEC|RENDERED -d DIR [--repository-map ORIGINAL=MIRROR]``."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape

from stackyard.app import (
    ChartPullResult,
    PlanRefusedError,
    parse_repository_map,
    pull_charts_for,
)
from stackyard.cli.output import OutputFormat, console, notice, print_json
from stackyard.cli.progress import progress_display
from stackyard.cli.results import exit_status, refused
from stackyard.cli.tables import table
from stackyard.wording import counted

SHORT_DIGEST = 12


def charts_pull_command(
    source: Path,
    directory: Path,
    repository_map: list[str],
    output: OutputFormat,
    ca_file: Path | None = None,
) -> int:
    """Pull every chart ``source`` needs into ``directory``; print each chart's status."""
    mapping = parse_repository_map(repository_map)
    try:
        with progress_display() as progress:
            result = pull_charts_for(source, directory, mapping, progress, ca_file)
    except PlanRefusedError as refusal:
        return refused(refusal, output)
    if output is OutputFormat.json:
        print_json(result.as_dict())
    else:
        _print_text(result)
    notice(
        f"{counted(result.count('pulled'), 'chart')} pulled, {result.count('present')} already "
        f"in {result.directory}, {result.count('skipped')} skipped"
    )
    return exit_status(result)


def _print_text(result: ChartPullResult) -> None:
    rows = table(f"Charts in {result.directory}", "chart", "version", "status", "source", "digest")
    for chart in sorted(result.charts, key=lambda c: (c.ref.chart, c.ref.version)):
        # The full digest is in the store's record and in -o json; twelve digits identify it.
        digest = chart.digest[: len("sha256:") + SHORT_DIGEST] if chart.digest else "-"
        status = f"{chart.status} ({chart.note})" if chart.note else chart.status
        rows.add_row(
            *(
                escape(cell)
                for cell in (chart.ref.chart, chart.ref.version, status, chart.source, digest)
            )
        )
    console().print(rows)

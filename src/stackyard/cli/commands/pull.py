"""``stackyard images pull``: print what a pull fetched into the layout."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape

from stackyard.app import ImagesPullResult, pull_images
from stackyard.cli.output import OutputFormat, console, line_printer, notice, print_json
from stackyard.cli.progress import progress_display
from stackyard.wording import counted


def images_pull_command(
    images: list[str],
    directory: Path,
    output: OutputFormat,
    *,
    platforms: tuple[str, ...],
    registry_map: tuple[str, ...],
    ca_file: Path | None,
) -> int:
    """Pull every image into the layout; exit 0 once each is named in its index."""
    with progress_display() as progress:
        result = pull_images(
            images,
            directory,
            platforms=platforms,
            registry_map=registry_map,
            ca_file=ca_file,
            progress=progress,
            on_wait=lambda: notice(f"waiting for another pull into {directory.absolute()}"),
        )
    if output is OutputFormat.json:
        print_json(result.as_dict())
    else:
        _say(result)
    report = result.report
    resumed = f", {report.blobs_resumed} of them resumed" if report.blobs_resumed else ""
    notice(
        f"{counted(len(report.images), 'image')} in {report.layout}: "
        f"{counted(report.blobs_fetched, 'blob')} fetched ({report.bytes_fetched} bytes{resumed}), "
        f"{report.blobs_present} already there"
    )
    return 0


def _say(result: ImagesPullResult) -> None:
    say = line_printer(console())
    for image in result.report.images:
        platforms = f" ({', '.join(image.platforms)})" if image.platforms else ""
        say(escape(f"{image.status:<8} {image.reference} {image.digest}{platforms}"))

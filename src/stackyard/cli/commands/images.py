"""``stackyard images list RENDERED [--charts STORE]``: every image the platform runs.

Three shapes, as kubectl names them: ``text`` a table (image, found in, clusters);
``name`` the references alone, one a line — the list ``images pull`` reads; ``json`` the
versioned document. What could not be inspected goes to stderr as warnings (and into
``notInspected`` in JSON), so a ``name`` list piped into a file stays a plain list.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

from rich.markup import escape

from stackyard.app import ImageInventory, list_images
from stackyard.cli.output import console, notice, print_json, warn
from stackyard.cli.progress import progress_display
from stackyard.cli.results import exit_status
from stackyard.cli.tables import table
from stackyard.wording import counted


class ImagesListOutput(StrEnum):
    """How ``images list`` prints the inventory."""

    text = "text"
    name = "name"
    json = "json"


def images_list_command(rendered: Path, output: ImagesListOutput, *, charts: Path | None) -> int:
    """List every image of the rendered tree; warn about whatever could not be inspected."""
    with progress_display() as progress:
        result = list_images(rendered, charts=charts, progress=progress)
    for node in result.nodes:
        if node.resolved_from:
            notice(
                f"note: {node.cluster}: Kubernetes {node.resolved_from} taken as "
                f"{node.distribution} {node.release}, the newest release known; pin a patch "
                "version in the spec for an exact list"
            )
    for gap in result.not_inspected:
        warn(f"warning: {gap.where}: {gap.kind} {gap.name} not inspected, {gap.reason}")
    if output is ImagesListOutput.json:
        print_json(result.as_dict())
    elif output is ImagesListOutput.name:
        sys.stdout.write("".join(f"{reference}\n" for reference in result.references))
    else:
        _print_table(result)
    notice(
        f"{counted(len(result.images), 'image')}; {result.charts_rendered} chart releases "
        f"rendered, {len(result.not_inspected)} not inspected"
    )
    return exit_status(result)


def _print_table(result: ImageInventory) -> None:
    rows = table(f"Images of {result.rendered}", "image", "found in", "clusters")
    for image in result.images:
        found = "\n".join(str(source) for source in image.sources)
        rows.add_row(
            escape(image.reference), escape(found), escape(", ".join(image.clusters) or "-")
        )
    console().print(rows)

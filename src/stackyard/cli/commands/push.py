"""``stackyard images push`` and ``stackyard git push``: print what a push moved."""

from __future__ import annotations

from pathlib import Path

from stackyard.app import push_git, push_images
from stackyard.cli.output import OutputFormat, print_json
from stackyard.cli.progress import progress_display
from stackyard.cli.pushes import say_git_pushed, say_images_pushed


def images_push_command(
    layout: Path, registry: str, output: OutputFormat, *, ca_file: Path | None
) -> int:
    """Push the layout's images; exit 0 once the registry holds every manifest."""
    with progress_display() as progress:
        result = push_images(layout, registry, ca_file=ca_file, progress=progress)
    if output is OutputFormat.json:
        print_json(result.as_dict())
        return 0
    say_images_pushed(result)
    return 0


def git_push_command(bundle: Path, url: str, output: OutputFormat, *, ca_file: Path | None) -> int:
    """Push the bundle's branches and tags; exit 0 once the server holds them all."""
    result = push_git(bundle, url, ca_file=ca_file)
    if output is OutputFormat.json:
        print_json(result.as_dict())
        return 0
    say_git_pushed(result)
    return 0

"""``stackyard images push`` and ``stackyard git push``: print what a push moved."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape

from stackyard.app import push_git, push_images
from stackyard.cli.output import OutputFormat, console, line_printer, print_json
from stackyard.cli.progress import progress_display
from stackyard.wording import counted


def images_push_command(
    layout: Path, registry: str, output: OutputFormat, *, ca_file: Path | None
) -> int:
    """Push the layout's images; exit 0 once the registry holds every manifest."""
    with progress_display() as progress:
        result = push_images(layout, registry, ca_file=ca_file, progress=progress)
    if output is OutputFormat.json:
        print_json(result.as_dict())
        return 0
    report = result.report
    say = line_printer(console())
    for manifest in report.manifests:
        if not manifest.reference.startswith("sha256:"):
            say(escape(f"{manifest.repository}:{manifest.reference} {manifest.digest}"))
    say(
        escape(
            f"{counted(report.blobs_pushed, 'blob')} pushed ({report.bytes_pushed} bytes), "
            f"{report.blobs_skipped} already in {report.registry}; "
            f"{counted(report.manifests_pushed, 'manifest')} pushed, "
            f"{report.manifests_skipped} already there"
        )
    )
    return 0


def git_push_command(bundle: Path, url: str, output: OutputFormat, *, ca_file: Path | None) -> int:
    """Push the bundle's branches and tags; exit 0 once the server holds them all."""
    result = push_git(bundle, url, ca_file=ca_file)
    if output is OutputFormat.json:
        print_json(result.as_dict())
        return 0
    say = line_printer(console())
    for ref, commit in result.report.refs:
        mark = "updated" if ref in result.report.updated else "up to date"
        say(escape(f"{ref} {commit[:12]} {mark}"))
    say(
        escape(
            f"{counted(len(result.report.updated), 'ref')} updated in {result.report.url}, "
            f"{len(result.report.refs) - len(result.report.updated)} already up to date"
        )
    )
    return 0

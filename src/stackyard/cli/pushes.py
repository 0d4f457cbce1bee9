"""What a push moved, in words: shared by ``images push``, ``git push`` and ``bundle push``."""

from __future__ import annotations

from rich.markup import escape

from stackyard.app import GitPushResult, ImagesPushResult
from stackyard.cli.output import console, line_printer
from stackyard.wording import counted


def say_images_pushed(result: ImagesPushResult) -> None:
    """Each tag the registry now holds, then what moved and what was already there."""
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


def say_git_pushed(result: GitPushResult) -> None:
    """Each branch and tag, updated or up to date, then the counts."""
    report = result.report
    say = line_printer(console())
    for ref, commit in report.refs:
        mark = "updated" if ref in report.updated else "up to date"
        say(escape(f"{ref} {commit[:12]} {mark}"))
    say(
        escape(
            f"{counted(len(report.updated), 'ref')} updated in {report.url}, "
            f"{len(report.refs) - len(report.updated)} already up to date"
        )
    )

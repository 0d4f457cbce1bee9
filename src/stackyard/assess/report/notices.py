"""Notices as reports show them: one line per kind of repeated notice, each file in JSON.

A template repository is read file by file, and each file read as a template gets its
own notice (which placeholders were unknown, how many logic lines were ignored): 57 of
them on one repository. A reader needs to know that it happened, where first, and where
to find the rest, as ``kubectl`` says "and N more" rather than listing every object. So
notices of a ``kind`` that occurs more than once become one line; notices without a kind,
or alone of theirs, stay as they are. The JSON document always holds every notice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from stackyard.assess.model import Notice, NoticeKind

# What happened to every file of a group of notices of one kind ("57 files: read as …").
GROUP_PHRASES: dict[NoticeKind, str] = {
    "template": "read as templates (placeholders unknown, template logic ignored)",
}


@dataclass(frozen=True)
class NoticeLine:
    """One line of a report's notices: a notice, or a summary of several of one kind."""

    where: str  # a file, or "57 files"
    message: str
    count: int = 1


def summarised(notices: Sequence[Notice]) -> list[NoticeLine]:
    """Notices in order, repeated kinds folded into one line at the first of them."""
    counts = Counter(n.kind for n in notices if n.kind)
    lines: list[NoticeLine] = []
    folded: set[NoticeKind] = set()
    for notice in notices:
        count = counts[notice.kind] if notice.kind else 1
        if count == 1:
            lines.append(NoticeLine(notice.file, notice.message))
        elif notice.kind not in folded:
            folded.add(notice.kind)
            lines.append(
                NoticeLine(
                    f"{count} files",
                    f"{GROUP_PHRASES[notice.kind]}; first {notice.file}; "
                    "every file and what it left unknown: --output json",
                    count,
                )
            )
    return lines

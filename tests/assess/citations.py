"""Open every span an assessment cites and check that its text is there.

A citation is right when the lines it names show its quote, the part of its text
before ``NOTE_SEPARATOR`` (what follows is a note the lines cannot show: the name a
template renders to, a count, an absence):

- ``key: value``: the key (its last dotted segment; the parent path may sit above it)
  and every word of the value are within the lines (``automated.selfHeal: true``);
- ``key:``: the key is within the lines (``resources:``);
- anything else: every word of it is within the lines (``Application platform-root``).

Two claims are shown by something other than words in the lines, and only they pass
without a quote: a claim about a whole file (it *is* a CI pipeline, a SOPS
configuration), cited at its first line and quoting the file's own name; and what a
chart installs by default, cited at the release that installs the chart, whose values
say nothing ("by chart default" in the note) - that silence is the claim.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from stackyard.assess.model import Assessment, ControlResult, Evidence

DEFAULT_CLAIMS = re.compile(r"by chart default")


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9_\-]+", text)


def claimed_words(text: str) -> list[str]:
    """What must appear within the cited lines for the quote ``text`` to be shown there."""
    key, sep, value = text.partition(": ")
    if not sep and text.endswith(":") and " " not in text:
        key, value = text[:-1], ""
    elif not sep or " " in key:
        return _words(text)
    return _words(key.rsplit(".", 1)[-1]) + _words(value)


def cited(control: ControlResult) -> Iterator[tuple[str, Evidence]]:
    """Every span ``control`` cites, labelled with the list it is in."""
    for e in control.evidence:
        yield "evidence", e
    for e in control.gaps:
        yield "gaps", e
    for unit in control.units:
        for e in unit.evidence:
            yield f"unit {unit.name}", e


def misquoted(assessment: Assessment) -> list[str]:
    """Every cited span (evidence, gaps and units of every control) whose lines lack its quote."""
    root = Path(assessment.root)
    return [
        f"{control.control} {label} {e.file}:{e.line}-{e.end_line} {e.text!r}"
        for area in assessment.areas
        for control in area.controls
        for label, e in cited(control)
        if not _shows(root, e)
    ]


def _shows(root: Path, evidence: Evidence) -> bool:
    path = root / evidence.file
    if not path.is_file() or evidence.line < 1 or evidence.end_line < evidence.line:
        return False
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    if evidence.end_line > max(len(lines), 1):
        return False
    quote = evidence.quote
    if evidence.line == evidence.end_line == 1 and quote in (
        evidence.file,
        PurePosixPath(evidence.file).name,
    ):
        return True  # a whole file, named by its path
    if DEFAULT_CLAIMS.search(evidence.text):
        return True
    span = "\n".join(lines[evidence.line - 1 : evidence.end_line])
    return all(word in span for word in claimed_words(quote))

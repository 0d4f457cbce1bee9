"""Open every span an assessment cites and check that its text is there.

A citation is right when the lines it names show its claim: the quoted key and value
(``automated.selfHeal: true`` must have ``selfHeal`` and ``true`` within the lines; the
parent path may sit above them), or every word of a description (``Application
platform-root`` within the object's lines). A claim about a whole file (it *is* a Packer
template or a CI pipeline) is cited at its first line and shows nothing to quote.
"""

from __future__ import annotations

import re
from pathlib import Path

from stackyard.assess.model import Assessment, Evidence

# Claims about what a whole file is, cited at line 1; nothing in the line to quote.
FILE_CLAIMS = re.compile(r"(pipeline|Packer template|Pulumi project)$")
# Claims of what a chart does by default, cited at the release that installs it: the
# values say nothing, which is the claim.
DEFAULT_CLAIMS = re.compile(r"by chart default")
# An Argo CD cluster Secret is cited at its server line, named as the cluster its
# ``name`` field (the line above, or base64 in data) calls it.
CLUSTER_CLAIM = re.compile(r"^cluster (Secret )?[\w.-]+$")


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9_\-]+", text)


def claimed_words(text: str) -> list[str]:
    """What must appear within the cited lines for ``text`` to be shown there."""
    key, sep, value = text.partition(": ")
    if not sep and text.endswith(":") and " " not in text:
        key, value = text[:-1], ""
    elif not sep or " " in key:
        return _words(text)
    return _words(key.rsplit(".", 1)[-1]) + _words(value)


def misquoted(assessment: Assessment) -> list[str]:
    """Every cited span (evidence and gaps of every control) whose lines lack its text."""
    root = Path(assessment.root)
    wrong = []
    for area in assessment.areas:
        for control in area.controls:
            for label, spans in (("evidence", control.evidence), ("gaps", control.gaps)):
                wrong += [
                    f"{control.control} {label} {e.file}:{e.line}-{e.end_line} {e.text!r}"
                    for e in spans
                    if not _shows(root, e)
                ]
    return wrong


def _shows(root: Path, evidence: Evidence) -> bool:
    path = root / evidence.file
    if not path.is_file() or evidence.line < 1 or evidence.end_line < evidence.line:
        return False
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    if evidence.end_line > len(lines):
        return False
    if evidence.line == evidence.end_line == 1 and FILE_CLAIMS.search(evidence.text):
        return True
    if DEFAULT_CLAIMS.search(evidence.text) or CLUSTER_CLAIM.match(evidence.text):
        return True
    span = "\n".join(lines[evidence.line - 1 : evidence.end_line])
    return all(word in span for word in claimed_words(evidence.text))

"""The counts every report states in the same words: what was left out, what was excepted.

A reader must be able to tell, from the summary alone, that part of the repository was
not read (and how to read it) and that part of the result was accepted rather than
fixed. The terminal report and the Markdown report print these lines; the JSON
document carries the same numbers in ``stats`` and the paths in ``excluded``.
"""

from __future__ import annotations

from stackyard.assess.model import Assessment
from stackyard.wording import counted


def excluded_line(assessment: Assessment) -> str:
    """``Excluded: 2 folders, 1 file (tests/ 1 folder; --exclude *.bak 1 file); ...``.

    Empty when nothing was left out.
    """
    if not assessment.excluded:
        return ""
    rules = []
    for paths in assessment.excluded:
        name = paths.rule if paths.origin == "default" else f"--exclude {paths.rule}"
        counts = [
            counted(n, noun)
            for n, noun in ((len(paths.folders), "folder"), (len(paths.files), "file"))
            if n
        ]
        rules.append(f"{name} {', '.join(counts)}")
    folders = sum(len(p.folders) for p in assessment.excluded)
    files = sum(len(p.files) for p in assessment.excluded)
    line = f"Excluded: {counted(folders, 'folder')}, {counted(files, 'file')} ({'; '.join(rules)})"
    if any(p.origin == "default" for p in assessment.excluded):
        line += "; --no-default-excludes reads the default ones"
    return line


def excepted_line(assessment: Assessment) -> str:
    """``Excepted: 3 workload findings, 1 control; 1 exception matched nothing``.

    Empty when no exception is in force and none was given.
    """
    counts = assessment.excepted_counts()
    unused = sum(1 for use in assessment.exceptions if not use.expired and not use.matched)
    expired = sum(1 for use in assessment.exceptions if use.expired)
    if not assessment.exceptions and not any(counts.values()):
        return ""
    line = (
        f"Excepted: {counted(counts['exceptedFindings'], 'workload finding')}, "
        f"{counted(counts['exceptedControls'], 'control')}"
    )
    if unused:
        line += f"; {counted(unused, 'exception')} matched nothing"
    if expired:
        line += f"; {counted(expired, 'exception')} expired"
    return line

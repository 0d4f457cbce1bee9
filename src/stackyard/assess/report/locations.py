"""Where evidence is, as reports show it: paths relative to the assessed repository.

Evidence may carry absolute paths (a tool that read the tree from elsewhere) or
relative ones; every report shows the repository-relative POSIX path, so a link works
in a pull request, in code scanning and on another machine.
"""

from __future__ import annotations

import contextlib
from pathlib import PurePath, PurePosixPath

from stackyard.assess.model import Evidence


def relative_path(file: str, root: str) -> str:
    """``file`` relative to ``root`` when it lies inside it, in POSIX form."""
    path, base = PurePath(file), PurePath(root)
    if path.is_absolute() == base.is_absolute():
        with contextlib.suppress(ValueError):
            path = path.relative_to(base)
    return PurePosixPath(*path.parts).as_posix() if path.parts else file


def span(evidence: Evidence, root: str) -> str:
    """``path:line`` or ``path:line-end`` for humans."""
    where = f"{relative_path(evidence.file, root)}:{evidence.line}"
    return where if evidence.end_line <= evidence.line else f"{where}-{evidence.end_line}"


def link(evidence: Evidence, root: str, base: str = "") -> str:
    """A link target: ``base`` + path + GitHub-style ``#L10-L12`` line anchor."""
    anchor = f"#L{evidence.line}"
    if evidence.end_line > evidence.line:
        anchor += f"-L{evidence.end_line}"
    return f"{base}{relative_path(evidence.file, root)}{anchor}"

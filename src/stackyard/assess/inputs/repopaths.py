"""Paths one repository file names for another, resolved inside the repository.

Kustomizations name patches and generator files relative to their folder, Terraform
names ``templatefile()`` templates relative to its module, Argo CD names source
folders relative to the repository. Each is resolved the same way, and never
outside the assessed root: ``..`` stops at the root and an absolute path
(``/etc/passwd``) is read from the root, so a reference to ``../../etc/passwd``
names at most a file of the repository (which the walk has read, or not) and
never a file of the machine.
"""

from __future__ import annotations

from pathlib import PurePosixPath


def in_repository(folder: str | PurePosixPath, path: str) -> str:
    """``path`` as written in a file of ``folder``, as a POSIX path from the root ("" for it)."""
    parts: list[str] = []
    for part in (*PurePosixPath(folder).parts, *PurePosixPath(path).parts):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in (".", "", "/"):
            parts.append(part)
    return "/".join(parts)

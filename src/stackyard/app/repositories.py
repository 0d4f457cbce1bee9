"""Read a platform repository's Git state: its head, and the last commit that touched a path.

The fleet service indexes repositories it does not own: a user's clone, a checkout the
service commits in. It only reads here (``git rev-parse``, ``git log``, ``git status``),
never changes a work tree, and a repository Git cannot read is bad input naming the path.
"""

from __future__ import annotations

import datetime
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from stackyard.errors import InputError, Location, Problem

GIT_SECONDS = 30.0


@dataclass(frozen=True)
class CommitRef:
    """A commit: its id and when it was made."""

    sha: str
    at: datetime.datetime


def _git(repository: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "GIT_LITERAL_PATHSPECS": "1", "LC_ALL": "C"}
    try:
        return subprocess.run(
            ["git", "-C", str(repository), *args],
            capture_output=True,
            text=True,
            env=environment,
            timeout=GIT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise _problem(repository, f"cannot run git: {e}") from e


def _problem(repository: Path, message: str, hint: str = "") -> InputError:
    return InputError([Problem(Location(str(repository)), "repository", message, hint)])


def repository_top(repository: Path) -> Path:
    """The top of the Git work tree at ``repository``.

    Raises:
        InputError: ``repository`` is not a folder, or not the top of a Git work tree.
    """
    if not repository.is_dir():
        raise _problem(repository, "is not a folder")
    result = _git(repository, "rev-parse", "--show-toplevel")
    if result.returncode != 0:
        raise _problem(repository, "is not a Git repository", "git init, or clone the platform")
    top = Path(result.stdout.strip())
    if top.resolve() != repository.resolve():
        raise _problem(repository, f"is inside the Git repository {top}, not its top")
    return top


def repository_head(repository: Path) -> str | None:
    """The commit HEAD points at, or None in a repository without commits."""
    result = _git(repository, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    return result.stdout.strip() or None if result.returncode == 0 else None


def last_commit_touching(repository: Path, path: str) -> CommitRef | None:
    """The newest commit that changed ``path`` (a file or folder), or None."""
    result = _git(repository, "log", "-1", "--format=%H %cI", "--", path)
    if result.returncode != 0 or not result.stdout.strip():
        return None
    sha, when = result.stdout.split()
    return CommitRef(sha, datetime.datetime.fromisoformat(when))


def uncommitted_changes(repository: Path, *paths: str) -> str:
    """``git status`` of ``paths``: '' when the work tree matches HEAD there."""
    result = _git(repository, "status", "--porcelain", "--untracked-files=all", "--", *paths)
    return result.stdout if result.returncode == 0 else "unknown"

"""Read a platform repository's Git state: its head, and the last commit that touched a path.

The fleet service indexes repositories it does not own: a user's clone, a checkout the
service commits in. It only reads here (``git rev-parse``, ``git log``, ``git status``),
never changes a work tree, and a repository Git cannot read is bad input naming the path.

A request of the fleet page asks for the state of every platform, so that state has a
cheap form: :func:`current_head` runs ``git rev-parse`` only when one of the files Git
keeps HEAD in (``HEAD``, the branch's ref, ``packed-refs``) changed since it last did (Git
replaces each by renaming a new file over it, so a new commit always changes its inode),
and :func:`file_blob_id` is the id Git gives a file's bytes, computed here without a
process and again only when the file's stat changed.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import subprocess
import time
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


def blob_id(data: bytes) -> str:
    """The id Git gives a blob of ``data`` (what ``git hash-object`` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


_FileState = tuple[int, int, int] | None
_git_dirs: dict[Path, tuple[str, str]] = {}
_pointers: dict[str, tuple[_FileState, str]] = {}
_heads: dict[Path, tuple[tuple[str, _FileState, _FileState], str | None]] = {}
_blobs: dict[str, tuple[tuple[int, int, int, int, int], str]] = {}
_SETTLED_NS = 1_000_000_000
"""How long a file must have been left alone before its stat is trusted to show a change.

File times move in clock ticks (milliseconds); a file rewritten in place within the tick
it was read in, to the same size, would look unchanged. A file last changed a second or
more before it was read cannot be: any later write moves its time past that second."""


def _file_state(path: str) -> _FileState:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_ino, found.st_mtime_ns, found.st_size)


def file_blob_id(path: str) -> str | None:
    """:func:`blob_id` of the file at ``path`` (None: unreadable), re-read only if it changed.

    Kept per path by the file's device, inode, size and times once the file has settled
    (``_SETTLED_NS``); a file changed since, or changed too recently to tell, is read again.
    Paths are plain strings here: this runs for every platform on every fleet request.
    """
    try:
        found = os.stat(path)
    except OSError:
        return None
    key = (found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns)
    kept = _blobs.get(path)
    if kept is not None and kept[0] == key:
        return kept[1]
    try:
        with open(path, "rb") as opened:
            blob = blob_id(opened.read())
    except OSError:
        return None
    if time.time_ns() - max(found.st_mtime_ns, found.st_ctime_ns) >= _SETTLED_NS:
        _blobs[path] = (key, blob)
    return blob


def _dirs(repository: Path) -> tuple[str, str] | None:
    """The repository's Git folder and the folder its refs are in (they differ in a worktree)."""
    known = _git_dirs.get(repository)
    if known is not None:
        return known
    result = _git(repository, "rev-parse", "--absolute-git-dir", "--git-common-dir")
    if result.returncode != 0:
        return None
    git_dir, common = result.stdout.splitlines()
    found = (git_dir, str((repository / common).resolve()))
    if os.path.exists(os.path.join(found[1], "reftable")):
        return None  # no HEAD file to watch: always ask Git
    _git_dirs[repository] = found
    return found


def _pointer(git_dir: str) -> str | None:
    """What the ``HEAD`` file says, re-read only when its stat changed.

    Git replaces the file (a lock file renamed over it) on every change, so each change
    is a new inode: its stat cannot look unchanged.
    """
    path = os.path.join(git_dir, "HEAD")
    state = _file_state(path)
    kept = _pointers.get(git_dir)
    if kept is not None and state is not None and kept[0] == state:
        return kept[1]
    try:
        with open(path, encoding="utf-8") as head_file:
            pointer = head_file.read()
    except (OSError, UnicodeDecodeError):
        return None
    _pointers[git_dir] = (state, pointer)
    return pointer


def current_head(repository: Path) -> str | None:
    """The commit HEAD points at (:func:`repository_head`), re-read only when it can differ.

    Repositories keeping refs in a reftable (no ``HEAD`` file to watch) are always asked.
    """
    dirs = _dirs(repository)
    if dirs is None:
        return repository_head(repository)
    git_dir, common = dirs
    pointer = _pointer(git_dir)
    if pointer is None:
        return repository_head(repository)
    ref = pointer.removeprefix("ref:").strip() if pointer.startswith("ref:") else ""
    state = (
        pointer,
        _file_state(os.path.join(common, ref)) if ref else None,
        _file_state(os.path.join(common, "packed-refs")),
    )
    seen = _heads.get(repository)
    if seen is not None and seen[0] == state:
        return seen[1]
    # Read after the files' state: a commit landing in between leaves a state that no
    # longer matches, so the next call asks again rather than keeping an old head.
    head = repository_head(repository)
    _heads[repository] = (state, head)
    return head

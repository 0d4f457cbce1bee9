"""Put a rendered tree into Git: where it sits in the work tree, and one commit per render.

Stackyard drives the ``git`` command line through ``subprocess`` rather than a library:
``git`` is on every machine that has a repository to render into, it honours the user's
own configuration (identity, hooks, signing) exactly as a hand-made commit would,
GitPython only wraps the same command line, and pygit2 needs libgit2 built and installed.
Every call passes its arguments as a list (no shell), literal pathspecs (a file name
is never a glob) and a NUL-separated path list on stdin (no length limit, no quoting).

A render commit contains exactly the files Stackyard wrote or deleted under the output
and its marker; anything else the user has staged or changed is left out of it.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from stackyard import __version__
from stackyard.errors import InputError, Location, Problem, StorageFullError
from stackyard.render.marker import MARKER, parse_marker
from stackyard.render.metadata import RenderMetadata

_OPTION = "--commit"
DISK_FULL = ("No space left on device", "Out of diskspace", "Disk quota exceeded")
"""How Git says the file system is full (its messages are not translated: LC_ALL=C)."""


def says_disk_full(stderr: str | bytes) -> bool:
    """Whether git's error output says the file system is full (:data:`DISK_FULL`)."""
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    return any(full in text for full in DISK_FULL)


def _failure(where: Path, message: str, hint: str = "") -> InputError:
    return InputError([Problem(Location(str(where)), _OPTION, message, hint)])


def _git(
    folder: Path, *args: str, stdin: bytes = b"", check: bool = True
) -> subprocess.CompletedProcess[bytes]:
    environment = {**os.environ, "GIT_LITERAL_PATHSPECS": "1", "LC_ALL": "C"}
    try:
        result = subprocess.run(
            ["git", "-C", str(folder), *args],
            input=stdin,
            capture_output=True,
            env=environment,
            check=False,
        )
    except FileNotFoundError as e:
        raise _failure(folder, "git is not installed (needed for --commit)") from e
    except OSError as e:
        raise _failure(folder, f"cannot run git: {e.strerror or e}") from e
    if check and result.returncode != 0:
        message = f"git {args[0]} failed: {_cause(result.stderr)}"
        if says_disk_full(result.stderr):
            raise StorageFullError([Problem(Location(str(folder)), _OPTION, message)])
        raise _failure(folder, message)
    return result


def _cause(stderr: bytes) -> str:
    """The line of git's output that says what went wrong.

    Git puts the cause on a ``fatal:`` or ``error:`` line and follows it with ``hint:``
    lines and advice; the last line alone ("remove the file manually to continue.")
    does not say what failed.
    """
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    lines = [line for line in lines if line]
    for line in lines:
        if line.startswith(("fatal:", "error:")):
            return line
    return lines[-1] if lines else "no message"


def _existing_ancestor(folder: Path) -> Path:
    folder = folder.absolute()
    while not folder.is_dir() and folder != folder.parent:
        folder = folder.parent
    return folder


def work_tree_top(folder: Path) -> Path | None:
    """The top of the Git work tree holding ``folder`` (or its nearest existing parent).

    None when it is in no work tree or ``git`` is not installed.
    """
    try:
        result = _git(_existing_ancestor(folder), "rev-parse", "--show-toplevel", check=False)
    except InputError:
        return None
    if result.returncode != 0:
        return None
    return Path(os.fsdecode(result.stdout.rstrip(b"\n")))


def _normal(path: str) -> str:
    parts = [part for part in path.replace("\\", "/").split("/") if part not in ("", ".")]
    return "/".join(parts) or "."


def path_mismatch(output: Path, gitops_path: str) -> str | None:
    """A warning when ``output`` sits in a work tree at another path than ``gitops.path``.

    Argo CD reads the tree at ``gitops.path`` of the repository; rendered elsewhere in
    a repository, the Applications point at files that are not there. Rendering to a
    scratch folder inside some other repository is legitimate, so this only warns.
    """
    top = work_tree_top(output)
    if top is None:
        return None
    try:
        relative = output.resolve().relative_to(top.resolve()).as_posix()
    except ValueError:
        return None
    if _normal(relative) == _normal(gitops_path):
        return None
    return (
        f"{output} is {_normal(relative)!r} in the Git repository {top}, "
        f"but the spec's gitops.path is {_normal(gitops_path)!r}: "
        "Argo CD will look for the tree at gitops.path"
    )


@dataclass(frozen=True)
class GitTarget:
    """A checked place to commit a render: the output folder inside a work tree."""

    output: Path
    top: Path


def prepare_commit(output: Path) -> GitTarget:
    """Check, before anything is written, that a render into ``output`` can be committed.

    Raises:
        InputError: git is missing, ``output`` is in no work tree, or no identity is
            configured for commits.
    """
    output = output.absolute()
    ancestor = _existing_ancestor(output)
    top = _git(ancestor, "rev-parse", "--show-toplevel", check=False)
    if top.returncode != 0:
        raise _failure(
            output, "is not inside a Git work tree", "run git init there first, or drop --commit"
        )
    for variable in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT"):
        if _git(ancestor, "var", variable, check=False).returncode != 0:
            raise _failure(
                output,
                "Git has no identity to commit with",
                'set it with git config user.name "…" and git config user.email "…"',
            )
    return GitTarget(output, Path(os.fsdecode(top.stdout.rstrip(b"\n"))))


def commit_message(metadata: RenderMetadata, subject: str | None) -> str:
    """The commit message: ``subject`` (or a default) and the facts of the render."""
    digest = metadata.spec_digest.removeprefix("sha256:")
    default = f"Render {metadata.platform or 'platform'} from spec sha256:{digest[:12]}"
    body = [
        f"Spec: sha256:{digest}" if digest else "Spec: digest unknown",
        f"Rendered-by: stackyard {__version__}",
    ]
    return f"{(subject or default).strip()}\n\n" + "\n".join(body) + "\n"


def _nul_list(paths: list[str]) -> bytes:
    return b"".join(os.fsencode(path) + b"\0" for path in paths)


def _names(result: subprocess.CompletedProcess[bytes]) -> set[str]:
    return {os.fsdecode(name) for name in result.stdout.split(b"\0") if name}


def _has_head(target: GitTarget) -> bool:
    return _git(target.output, "rev-parse", "--verify", "-q", "HEAD", check=False).returncode == 0


def _marker_files_in_git(target: GitTarget, prefix: str, revision: str) -> set[str]:
    """The files listed by the marker as Git holds it (``revision`` ``""`` is the index).

    An earlier render without ``--commit`` (or a killed one) may have deleted files that
    Git still tracks; the marker Git holds says they were Stackyard's. A marker Git does
    not hold, or one that is damaged, claims nothing.
    """
    result = _git(target.output, "show", f"{revision}:{prefix}{MARKER}", check=False)
    if result.returncode != 0:
        return set()
    try:
        return set(parse_marker(result.stdout, f"{revision}:{prefix}{MARKER}").files)
    except InputError:
        return set()


def commit_render(
    target: GitTarget,
    present: list[str],
    released: list[str],
    message: str,
    *,
    also: tuple[Path, ...] = (),
    author: str | None = None,
) -> str | None:
    """Record the render as one commit of exactly its own files.

    Every file Git tracks under the output that Stackyard owned and no longer renders
    is recorded as deleted, whichever render deleted it: ``released`` (owned by the
    marker or journal on disk) and the files the marker in Git lists, when they are
    gone from disk. Nothing Stackyard never owned is staged.

    Args:
        target: where (from ``prepare_commit``).
        present: every file the render owns now, relative to the output (marker too).
        released: the files it owned and no longer renders, relative to the output.
        message: the full commit message.
        also: files of the work tree outside the output recorded in the same commit
            (the spec the render came from, when a change edits both).
        author: ``Name <email>`` to record as the commit's author instead of the
            configured identity (the committer stays the configured one).

    Returns:
        The new commit's short id, or None when the render changed nothing in Git.

    Raises:
        InputError: a git command failed (its last line of output is shown).
    """
    here = target.output
    # Git answers with paths from the top of the work tree; ours are from the output.
    prefix = here.resolve().relative_to(target.top.resolve()).as_posix()
    prefix = "" if prefix == "." else prefix + "/"
    indexed = _names(_git(here, "ls-files", "-z", "--full-name", "--", "."))
    committed = set()
    if _has_head(target):
        committed = _names(_git(here, "ls-tree", "-r", "-z", "--full-name", "--name-only", "HEAD"))
    owned_before = set(released)
    for revision in ("", "HEAD"):
        owned_before |= _marker_files_in_git(target, prefix, revision)
    deleted = sorted(
        path
        for path in owned_before - set(present)
        if not os.path.lexists(here / path) and prefix + path in indexed | committed
    )
    gone_indexed = [path for path in deleted if prefix + path in indexed]
    gone = deleted
    # Pathspecs are read relative to the output, where git runs.
    outside = [os.path.relpath(path.absolute(), here) for path in also]
    outside_top = {path.resolve().relative_to(target.top.resolve()).as_posix() for path in also}
    staged = present + gone_indexed + outside
    # -f: a .gitignore covering a rendered file must not keep the render out of Git;
    # only the render's own paths are listed, so nothing else ignored is added.
    _git(
        here,
        "add",
        "--all",
        "--force",
        "--pathspec-from-file=-",
        "--pathspec-file-nul",
        stdin=_nul_list(staged),
    )
    paths = present + gone
    if _has_head(target):
        differing = _names(
            _git(here, "diff", "--cached", "--name-only", "-z", "HEAD", "--", ".", *outside)
        )
        if not differing & ({prefix + path for path in paths} | outside_top):
            return None
    identity = [f"--author={author}"] if author else []
    # --only: the commit holds these paths as they are now, not whatever else is staged.
    _git(
        here,
        "commit",
        "--quiet",
        "--only",
        "--cleanup=strip",
        *identity,
        "-m",
        message,
        "--pathspec-from-file=-",
        "--pathspec-file-nul",
        stdin=_nul_list(paths + outside),
    )
    return _git(here, "rev-parse", "--short", "HEAD").stdout.decode().strip()

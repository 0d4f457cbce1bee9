"""A change to a platform repository, made as one Git commit or not at all.

Registering or deregistering a cluster edits the spec and re-renders the tree; both go
into one commit (:func:`stackyard.render.gitwork.commit_render`), so Argo CD never sees
a spec without its render. This module holds what such a change needs around that
commit, driving the ``git`` command line as gitwork does:

- one change at a time per repository: an ``fcntl`` lock file in the repository's
  common Git folder (shared by its worktrees), released by the kernel however the holder
  exits — correct on one host; replicas sharing a repository add their own lock;
- the files it touches must be as committed before it starts, so undoing it
  (:func:`roll_back`) restores exactly the committed state and loses nothing of anyone's;
- a request carries an idempotency key, recorded as a commit trailer: the same key
  finds its earlier commit in the history (:func:`earlier_change`) instead of committing
  twice, and the history is the only record, so a key survives any restart;
- the push goes to the branch's remote without prompting for credentials; a refused or
  unreachable remote is reported (:class:`Pushed`), the local commit stays.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from stackyard.errors import InputError, Location, Problem, StorageFullError
from stackyard.fsio.lock import exclusive_lock
from stackyard.fsio.write import write_bytes
from stackyard.render.gitwork import says_disk_full

KEY_TRAILER = "Stackyard-Idempotency-Key"
REQUEST_TRAILER = "Stackyard-Request"
LOCK_FILE = "stackyard-change.lock"
LOCK_SECONDS = 600.0
"""How long a change waits for another one on the same repository (a render and a
validation each take seconds; several queued changes take their sum)."""
PUSH_SECONDS = 300.0

_RECORD = "\x1e"
_FIELD = "\x1f"


def _failure(where: Path, message: str, hint: str = "") -> InputError:
    return InputError([Problem(Location(str(where)), "", message, hint)])


def _run(
    top: Path, *args: str, check: bool = True, timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "GIT_LITERAL_PATHSPECS": "1",
        "LC_ALL": "C",
        "GIT_TERMINAL_PROMPT": "0",  # a remote asking for a password fails, never waits
    }
    try:
        result = subprocess.run(
            ["git", "-C", str(top), *args],
            capture_output=True,
            text=True,
            env=environment,
            check=False,
            timeout=timeout,
        )
    except FileNotFoundError as e:
        raise _failure(top, "git is not installed") from e
    except subprocess.TimeoutExpired as e:
        raise _failure(top, f"git {args[0]} did not finish in {timeout:.0f} seconds") from e
    if check and result.returncode != 0:
        message = f"git {args[0]} failed: {cause(result.stderr)}"
        if says_disk_full(result.stderr):
            raise StorageFullError([Problem(Location(str(top)), "", message)])
        raise _failure(top, message)
    return result


def cause(stderr: str) -> str:
    """The line of git's output that says what went wrong (``fatal:``/``error:``)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("fatal:", "error:", "remote:", "! [")):
            return line
    return lines[-1] if lines else "no message"


def repository_top(repository: Path) -> Path:
    """``repository`` resolved, once it is the top of a Git work tree with a commit.

    Raises:
        InputError: it is not a folder, not the top of a work tree, or has no commit.
    """
    if not repository.is_dir():
        raise _failure(repository, "is not a folder (expected a Git repository)")
    result = _run(repository, "rev-parse", "--show-toplevel", check=False)
    top = Path(result.stdout.strip()) if result.returncode == 0 else None
    if top is None or top.resolve() != repository.resolve():
        raise _failure(repository, "is not the top folder of a Git work tree")
    if _run(top, "rev-parse", "--verify", "-q", "HEAD", check=False).returncode != 0:
        raise _failure(top, "has no commit yet", "commit the spec first")
    return top


@contextmanager
def change_lock(top: Path, on_wait: Callable[[], None] = lambda: None) -> Iterator[None]:
    """Hold the repository's change lock: one change at a time, across processes.

    Raises:
        InputError: another change held it for :data:`LOCK_SECONDS`.
    """
    common = Path(_run(top, "rev-parse", "--git-common-dir").stdout.strip())
    folder = common if common.is_absolute() else top / common
    with exclusive_lock(
        folder / LOCK_FILE,
        timeout=LOCK_SECONDS,
        busy=f"another change to {top} has held its lock for {LOCK_SECONDS:.0f} seconds",
        on_wait=on_wait,
    ):
        yield


def uncommitted(top: Path, paths: tuple[Path, ...]) -> list[str]:
    """The files under ``paths`` that differ from the last commit (staged, changed, new)."""
    names = [os.path.relpath(path.absolute(), top) for path in paths]
    status = _run(top, "status", "--porcelain", "-z", "--untracked-files=all", "--", *names)
    entries = [entry for entry in status.stdout.split("\0") if entry]
    # A rename's record is followed by its origin's path; neither is a status line itself.
    return [entry[3:] for entry in entries if len(entry) > 3 and entry[2] == " "]


@dataclass(frozen=True)
class EarlierChange:
    """The commit an idempotency key was recorded in, and the request it recorded."""

    commit: str
    request: str


def earlier_change(top: Path, key: str) -> EarlierChange | None:
    """The newest commit of HEAD's history whose trailer records ``key``, if any."""
    layout = (
        f"%H{_FIELD}%(trailers:key={KEY_TRAILER},valueonly,separator=%x1f)"
        f"{_FIELD}%(trailers:key={REQUEST_TRAILER},valueonly){_RECORD}"
    )
    log = _run(top, "log", "-F", f"--grep={KEY_TRAILER}: {key}", f"--format={layout}", "HEAD")
    for record in log.stdout.split(_RECORD):
        fields = record.strip("\n").split(_FIELD)
        if len(fields) >= 3 and key in (value.strip() for value in fields[1:-1]):
            return EarlierChange(fields[0], fields[-1].strip())
    return None


def head(top: Path) -> str:
    """The full id of the commit HEAD names."""
    return _run(top, "rev-parse", "HEAD").stdout.strip()


def roll_back(top: Path, spec: Path, original: bytes, rendered: Path) -> None:
    """Put the spec and the rendered folder back as the last commit holds them.

    Only safe because :func:`uncommitted` found nothing under either before the change
    began: every difference now is the change's own.
    """
    names = [os.path.relpath(path.absolute(), top) for path in (spec, rendered)]
    folder = names[1]
    # A full disk is one reason to roll back, so first free what the change wrote (its
    # new files, then the files it changed or staged), and write back only what HEAD
    # holds of those, without the index where possible: rewriting the index needs room
    # for all of it, and Git's own checkout rewrites it.
    _run(top, "clean", "-f", "-d", "-q", "--", folder, check=False)
    changed = _run(top, "diff-index", "--name-only", "-z", "HEAD", "--", folder, check=False)
    paths = [name for name in changed.stdout.split("\0") if name]
    for name in paths:
        with suppress(FileNotFoundError, IsADirectoryError, NotADirectoryError):
            (top / name).unlink()
    staged = _run(top, "diff-index", "--cached", "--quiet", "HEAD", "--", *names, check=False)
    if staged.returncode != 0:
        # Unchecked: on a full disk the index may not be rewritable, and the files must
        # still be written back below; the caller reports the change's own error.
        _run(top, "reset", "-q", "HEAD", "--", *names, check=False)
    _write_from_head(top, paths)
    if spec.read_bytes() != original:
        write_bytes(spec, original)


def _write_from_head(top: Path, paths: list[str]) -> None:
    """Write ``paths`` as HEAD holds them (those it holds), mode and all, leaving the index."""
    if not paths:
        return
    listing = _run(top, "ls-tree", "-z", "HEAD", "--", *paths).stdout
    entries = []
    for entry in filter(None, listing.split("\0")):
        meta, name = entry.split("\t", 1)
        mode, kind, sha = meta.split()
        if kind == "blob":
            entries.append((mode, sha, name))
    batch = subprocess.run(
        ["git", "-C", str(top), "cat-file", "--batch"],
        input="".join(f"{sha}\n" for _, sha, _ in entries).encode(),
        capture_output=True,
        check=True,
    ).stdout
    offset = 0
    for mode, _, name in entries:
        header_end = batch.index(b"\n", offset)
        size = int(batch[offset:header_end].split()[2])
        data = batch[header_end + 1 : header_end + 1 + size]
        offset = header_end + 1 + size + 1
        target = top / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode == "120000":
            target.symlink_to(data.decode())
            continue
        write_bytes(target, data)
        if mode == "100755":
            current = target.stat().st_mode
            target.chmod(current | (current & 0o444) >> 2)  # execute wherever read is allowed


@dataclass(frozen=True)
class Pushed:
    """Where a change was pushed, or why it was not."""

    remote: str | None
    """The remote pushed to; None when the repository has none."""
    branch: str | None
    error: str | None = None
    """Git's reason when the push failed (the commit stays in the local repository)."""


def push_head(top: Path) -> Pushed:
    """Push the current branch to its remote (the branch's own, else ``origin`` or the only one).

    Never forced: a remote branch that moved on is reported, not overwritten.
    """
    branch_result = _run(top, "symbolic-ref", "-q", "--short", "HEAD", check=False)
    branch = branch_result.stdout.strip() or None
    remotes = _run(top, "remote").stdout.split()
    configured = (
        _run(top, "config", f"branch.{branch}.remote", check=False).stdout.strip() if branch else ""
    )
    if configured in remotes:
        remote: str | None = configured
    elif "origin" in remotes:
        remote = "origin"
    else:
        remote = remotes[0] if len(remotes) == 1 else None
    if remote is None:
        return Pushed(None, branch)
    if branch is None:
        return Pushed(remote, None, "HEAD is not on a branch, so there is no branch to push")
    try:
        result = _run(
            top,
            "push",
            "--porcelain",
            remote,
            f"HEAD:refs/heads/{branch}",
            check=False,
            timeout=PUSH_SECONDS,
        )
    except InputError as e:
        return Pushed(remote, branch, str(e.problems[0].message))
    if result.returncode != 0:
        return Pushed(remote, branch, cause(result.stderr or result.stdout))
    return Pushed(remote, branch)

"""Write a rendered tree into a folder that others share: a Git work tree, ``overrides/``.

Policy:

- **Ownership is explicit.** The marker (``marker.py``) lists the files Stackyard wrote.
  A render replaces only those, deletes only those it no longer renders (and the folders
  it emptied), and leaves every other file alone — ``.git``, ``overrides/``, a README the
  team added — reporting them as unknown. A file that is not Stackyard's but would be
  overwritten is a conflict: nothing is written unless the user passes ``force``.
  Nothing but a regular file is ever replaced, ``force`` or not, and no file is written
  through a symbolic link or a file standing where a folder should be.
  A rendered file edited by hand since the last render (its content is not what the
  marker records) is still replaced, but reported, so the edit can move to ``overrides/``.
- **One render at a time.** An exclusive lock (``fsio.lock``) on ``DIR/.stackyard-render.lock``
  serialises renders of one output. The lock file lives inside the output rather than
  beside it: the output is the one folder a render must be able to write anyway (its
  parent may be read-only or another repository's work tree), and the file is deleted
  when the render ends, so ``git status`` stays clean.
- **Crash safe.** Before the first change a journal lists every file that may be
  Stackyard's (old marker ∪ new tree) with the SHA-256 of the content meant for it
  (a listed file is recovered as Stackyard's only if it holds that content, so a
  file ``force`` never reached stays the user's); every file is replaced atomically; the marker is
  written last and the journal deleted after it. A render killed at any moment leaves
  no half-written file, and the next render knows every file the killed one may have
  written, so it can finish the job: stale files go, temporary files of the killed run
  go, and so do the ``.DIR.stackyard-new-*`` / ``-old-*`` sibling folders that earlier
  versions (which swapped whole folders) could leave behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from stackyard.errors import InputError, Location, Problem
from stackyard.fsio.lock import exclusive_lock, shared_lock_if_present
from stackyard.fsio.read import file_kind, read_tree_file
from stackyard.fsio.write import (
    flush_to_disk,
    is_temporary,
    make_folders,
    remove_empty_folders,
    remove_file,
    write_text,
)
from stackyard.render.marker import (
    JOURNAL,
    LOCK,
    MARKER,
    MAX_MARKER_BYTES,
    OVERRIDES,
    RESERVED,
    RenderMarker,
    journal_text,
    read_journal,
    read_marker,
    sha256_text,
)
from stackyard.render.metadata import RenderMetadata
from stackyard.render.tree import RenderedTree, RenderError
from stackyard.wording import first_few

OPTION = "DIR"  # the argument of `stackyard render SPEC DIR` that names the folder
LOCK_WAIT_SECONDS = 60.0
MAX_LISTED = 20
MAX_RECOVERED_BYTES = 16 * 1024 * 1024  # far above any rendered file
_OLD_STAGING = (".stackyard-new-", ".stackyard-old-")  # sibling folders of earlier versions


@dataclass(frozen=True)
class WriteReport:
    """What a render did to its output folder."""

    written: tuple[str, ...] = ()  # created or changed
    unchanged: int = 0
    deleted: tuple[str, ...] = ()  # Stackyard's files that are no longer rendered
    unknown: tuple[str, ...] = ()  # files Stackyard did not write, left alone
    cleaned: tuple[str, ...] = ()  # leftovers of an interrupted render, removed
    replaced: tuple[str, ...] = ()  # files Stackyard did not write, overwritten by force
    released: tuple[str, ...] = ()  # every owned file no longer rendered (deleted now or before)
    edited: tuple[str, ...] = ()  # Stackyard's files changed by hand since, overwritten


@dataclass(frozen=True)
class Difference:
    """One way the tree on disk differs from what would be rendered."""

    path: str
    reason: str  # missing | changed | stale | not a regular file | marker | interrupted


@dataclass
class _Disk:
    """The output folder as found: entries by relative path, and temporaries."""

    regular: set[str] = field(default_factory=set)
    other: dict[str, int] = field(default_factory=dict)  # path -> st_mode (not regular)
    folders: set[str] = field(default_factory=set)
    temporaries: list[str] = field(default_factory=list)

    def kind(self, path: str) -> str | None:
        if path in self.regular:
            return "a regular file"
        if path in self.other:
            mode = self.other[path]
            return file_kind(mode)
        if path in self.folders:
            return "a directory"
        return None


def _scan(output: Path) -> _Disk:
    """Every entry under ``output``, without entering ``.git`` or ``overrides/``."""
    disk = _Disk()
    if not output.is_dir():
        return disk
    pending = [("", output)]
    while pending:
        prefix, folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as e:
            raise InputError([Problem(Location(str(folder)), OPTION, e.strerror or str(e))]) from e
        for entry in entries:
            relative = prefix + entry.name
            if entry.name == ".git" or relative == OVERRIDES:
                continue
            if entry.is_dir(follow_symlinks=False):
                disk.folders.add(relative)
                pending.append((relative + "/", Path(entry.path)))
            elif is_temporary(entry.name) and entry.is_file(follow_symlinks=False):
                disk.temporaries.append(relative)
            elif entry.is_file(follow_symlinks=False):
                disk.regular.add(relative)
            else:
                disk.other[relative] = entry.stat(follow_symlinks=False).st_mode
    return disk


def _parents(path: str) -> Iterator[str]:
    parts = path.split("/")
    for depth in range(1, len(parts)):
        yield "/".join(parts[:depth])


def _refuse_reserved(tree: RenderedTree) -> None:
    for path, _ in tree:
        if path == OVERRIDES or path.startswith(OVERRIDES + "/"):
            raise RenderError(f"refusing to write {path}: overrides/ belongs to the user")
        if path in RESERVED or ".git" in path.split("/"):
            raise RenderError(f"refusing to write {path}: the name is reserved")


def _conflicts(
    tree: RenderedTree, disk: _Disk, owned: set[str], force: bool, output: Path
) -> list[str]:
    """The unowned files the tree would overwrite (allowed with ``force``).

    Raises:
        InputError: unowned files would be overwritten without ``force``, or a
            rendered path is taken by something that is never replaced.
    """
    blocked: list[Problem] = []
    unowned: list[str] = []
    for path, _ in tree:
        for parent in _parents(path):
            kind = disk.kind(parent)
            if kind not in (None, "a directory"):
                message = f"is {kind} where the render needs a folder; move it away"
                blocked.append(Problem(Location(str(output / parent)), OPTION, message))
        kind = disk.kind(path)
        if kind is None:
            continue
        if kind != "a regular file":
            message = f"is {kind} where the render writes a file; move it away"
            blocked.append(Problem(Location(str(output / path)), OPTION, message))
        elif path not in owned:
            unowned.append(path)
    if blocked:
        raise InputError(sorted(set(blocked), key=str))
    if unowned and not force:
        message = (
            f"{len(unowned)} files that stackyard render did not write would be overwritten: "
            f"{first_few(unowned, MAX_LISTED)}; nothing was written"
        )
        hint = "move them away, render into another folder, or pass --force to overwrite them"
        raise InputError([Problem(Location(str(output)), OPTION, message, hint)])
    return unowned


def _remove_old_staging(output: Path) -> list[str]:
    removed: list[str] = []
    try:
        siblings = list(os.scandir(output.parent))
    except OSError:
        return removed
    prefixes = tuple(f".{output.name}{mark}" for mark in _OLD_STAGING)
    for entry in siblings:
        if entry.name.startswith(prefixes) and entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(entry.path)
    return removed


def _recovered(
    interrupted: Mapping[str, str], marked: Mapping[str, str], disk: _Disk, output: Path
) -> set[str]:
    """The files a killed render's journal lists that are really Stackyard's now.

    A listed file is Stackyard's only if its content is what the journal meant to
    write or what the old marker recorded: a file ``--force`` was about to adopt, which
    the killed render never reached, still holds the user's content and stays theirs.
    """
    recovered: set[str] = set()
    for path, digest in interrupted.items():
        if path in marked or path not in disk.regular:
            continue
        if _digest(output / path) == digest:
            recovered.add(path)
    return recovered


def _remove_emptied_folders(path: str, disk: _Disk, output: Path) -> None:
    """Remove the folders of ``path`` that deleting it emptied.

    Only folders the scan saw as real folders (it never follows a link) are candidates:
    a marker listing ``g/objects/x`` with a planted ``g -> .git`` must not empty ``.git``.
    """
    parent = path.rpartition("/")[0]
    if parent and parent in disk.folders:
        remove_empty_folders(output / parent, output)


def _digest(path: Path) -> str:
    """The SHA-256 of the file at ``path`` ('' when it cannot be read whole)."""
    data = read_tree_file(path, max_bytes=MAX_RECOVERED_BYTES)
    return hashlib.sha256(data).hexdigest() if isinstance(data, bytes) else ""


def _same_content(path: Path, text: str) -> bool:
    data = read_tree_file(path, max_bytes=len(text.encode("utf-8")) + 1)
    return isinstance(data, bytes) and data == text.encode("utf-8")


def _busy(output: Path) -> str:
    return (
        f"another render of {output} has held its lock for {LOCK_WAIT_SECONDS:.0f} s; "
        "try again when it has finished"
    )


def write_tree(
    tree: RenderedTree,
    output: Path,
    metadata: RenderMetadata | None = None,
    *,
    force: bool = False,
    on_wait: Callable[[], None] = lambda: None,
    then: Callable[[WriteReport], None] | None = None,
) -> WriteReport:
    """Write ``tree`` into ``output``, touching only Stackyard's own files.

    Args:
        tree: the files to write.
        output: the folder (created if missing; may hold ``.git`` and other files).
        metadata: what the marker records about the render; by default the tree's.
        force: overwrite regular files Stackyard did not write (they become its own).
        on_wait: called once if another render holds the output's lock.
        then: run with the report while the lock is still held (e.g. a Git commit).

    Raises:
        RenderError: the tree writes into ``overrides/`` or a reserved name.
        InputError: conflicts, a damaged marker, a busy lock, or a file system error;
            nothing was written when conflicts are found.
    """
    _refuse_reserved(tree)
    output = output.absolute()
    if os.path.lexists(output) and not output.is_dir():
        raise InputError([Problem(Location(str(output)), OPTION, "exists and is not a folder")])
    make_folders(output, OPTION)
    with exclusive_lock(
        output / LOCK, timeout=LOCK_WAIT_SECONDS, busy=_busy(output), on_wait=on_wait
    ):
        report = _write_locked(tree, output, metadata or tree.metadata, force)
        if then is not None:
            then(report)
    return report


def _write_locked(
    tree: RenderedTree, output: Path, metadata: RenderMetadata, force: bool
) -> WriteReport:
    cleaned = _remove_old_staging(output)
    previous = read_marker(output)
    interrupted = read_journal(output)
    disk = _scan(output)
    marked = dict(previous.files) if previous is not None else {}
    owned = set(marked)
    if previous is not None and not previous.lists_files:
        # an earlier version replaced the whole folder each time
        owned |= {path for path, _ in tree if path in disk.regular}
    owned |= _recovered(interrupted, marked, disk, output)
    replaced = _conflicts(tree, disk, owned, force, output)

    for temporary in disk.temporaries:  # a killed render's half-written files
        if remove_file(output / temporary, OPTION, within=output):
            cleaned.append(temporary)
    if interrupted:
        cleaned.append(JOURNAL)  # replaced below, removed once the marker is written
    rendered = dict(tree)
    meant = {path: marked.get(path) or interrupted.get(path, "") for path in owned}
    meant |= {path: sha256_text(text) for path, text in rendered.items()}
    write_text(output / JOURNAL, journal_text(meant), option=OPTION)

    written: list[str] = []
    edited: list[str] = []
    for path, text in sorted(rendered.items()):
        target = output / path
        if path in disk.regular and _same_content(target, text):
            continue
        if path in marked and path in disk.regular and _digest(target) != marked[path]:
            edited.append(path)
        make_folders(target.parent, OPTION)
        write_text(target, text, option=OPTION, durable=False)
        written.append(path)
    deleted: list[str] = []
    for path in sorted(owned - set(rendered)):
        # Only what the scan saw as a regular file: never through a link to elsewhere.
        if path in disk.regular and remove_file(output / path, OPTION, within=output):
            deleted.append(path)
        _remove_emptied_folders(path, disk, output)
    if written or deleted:  # the marker must never reach the disk before the files
        flush_to_disk()
    marker = RenderMarker(metadata, {path: sha256_text(text) for path, text in rendered.items()})
    write_text(output / MARKER, marker.text(), option=OPTION)
    remove_file(output / JOURNAL, OPTION)

    unknown = sorted((disk.regular | set(disk.other)) - owned - set(rendered) - RESERVED)
    return WriteReport(
        written=tuple(written),
        unchanged=len(rendered) - len(written),
        deleted=tuple(deleted),
        unknown=tuple(unknown),
        cleaned=tuple(cleaned),
        replaced=tuple(replaced),
        released=tuple(sorted(owned - set(rendered))),
        edited=tuple(edited),
    )


def check_tree(
    tree: RenderedTree,
    output: Path,
    metadata: RenderMetadata | None = None,
    *,
    on_wait: Callable[[], None] = lambda: None,
) -> list[Difference]:
    """How the tree at ``output`` differs from ``tree``; writes nothing.

    Files Stackyard did not write (``.git``, ``overrides/``, a team's own files) and the
    lock file are not differences. A render in progress is waited for.

    Raises:
        InputError: the marker is damaged.
    """
    output = output.absolute()
    if not output.is_dir():
        return [Difference(path, "missing") for path, _ in tree] + [Difference(MARKER, "missing")]
    with shared_lock_if_present(
        output / LOCK, timeout=LOCK_WAIT_SECONDS, busy=_busy(output), on_wait=on_wait
    ):
        return _differences(tree, output, metadata or tree.metadata)


def _differences(tree: RenderedTree, output: Path, metadata: RenderMetadata) -> list[Difference]:
    previous = read_marker(output)
    disk = _scan(output)
    rendered = dict(tree)
    differences: list[Difference] = []
    for path, text in sorted(rendered.items()):
        kind = disk.kind(path)
        if kind is None:
            differences.append(Difference(path, "missing"))
        elif kind != "a regular file":
            differences.append(Difference(path, f"{kind}, not a regular file"))
        elif not _same_content(output / path, text):
            differences.append(Difference(path, "changed"))
    owned = set(previous.files) if previous is not None else set()
    for path in sorted(owned - set(rendered)):
        if disk.kind(path) is not None:
            differences.append(Difference(path, "stale"))
    marker = RenderMarker(metadata, {path: sha256_text(text) for path, text in rendered.items()})
    on_disk = read_tree_file(output / MARKER, max_bytes=MAX_MARKER_BYTES)
    if not isinstance(on_disk, bytes):
        differences.append(Difference(MARKER, "missing"))
    elif on_disk != marker.text().encode("utf-8"):
        differences.append(Difference(MARKER, "changed"))
    if JOURNAL in disk.regular:
        differences.append(Difference(JOURNAL, "interrupted"))
    return differences

"""One writer for every output path: atomic, never replacing what is not a regular file.

Policy: every file Stackyard writes — a rendered tree, ``init FILE``, ``simulate --svg``,
``assess --report``, ``validate``'s ``images.txt`` — goes through this module, so one
set of rules holds everywhere:

- the target is ``lstat``'ed first: a device, FIFO, socket, directory or symbolic link
  at the path is refused and left as it is (writing "through" a device or a link is
  how an output option destroys something it was never meant to touch);
- the text goes to a temporary file in the same directory, is flushed to disk and then
  renamed over the target, so the target is either the old file or the new one, never
  half of either, even when the process is killed; a failure removes the temporary;
- a new file gets the user's umask (``0666 & ~umask``), a replaced file keeps its
  permission bits, folders get ``0777 & ~umask``: Stackyard writes like ``cp`` would;
- every ``OSError`` (missing folder, a file where a folder should be, a read-only,
  immutable or full file system, permission denied, a name too long) becomes one
  ``InputError`` line naming the path and the cause; never a traceback.

Temporary names contain ``TEMPORARY_MARK`` so a later run can recognise and remove
the leftovers of a killed one (see ``is_temporary``).
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
import threading
from contextlib import suppress
from pathlib import Path

from stackyard.errors import InputError, Location, Problem, StorageFullError
from stackyard.fsio.read import file_kind

TEMPORARY_MARK = ".stackyard-tmp-"
# Long enough to recognise the target in a listing, short enough that the temporary
# name of a legal 255-byte file name is still legal.
_NAME_IN_TEMPORARY = 40
_umask_lock = threading.Lock()


def write_error(path: Path, option: str, message: str) -> InputError:
    """An ``InputError`` about the output ``path`` (given with ``option``, if any)."""
    return InputError([Problem(Location(str(path)), option, message)])


def _os_error(path: Path, option: str, error: OSError, doing: str = "cannot write") -> InputError:
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        message = f"{doing}: {error.strerror or error}"
        return StorageFullError([Problem(Location(str(path)), option, message)])
    return write_error(path, option, f"{doing}: {error.strerror or error}")


def current_umask() -> int:
    """The process umask (read by setting and restoring it, under a lock)."""
    with _umask_lock:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def existing_regular_file(path: Path, option: str = "") -> os.stat_result | None:
    """``lstat`` of ``path`` if it is a regular file, None if nothing is there.

    Raises:
        InputError: something other than a regular file is at ``path`` (it is left
            alone), or ``path`` cannot be examined.
    """
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise _os_error(path, option, e) from e
    if not stat.S_ISREG(status.st_mode):
        raise write_error(path, option, f"is {file_kind(status.st_mode)}; refusing to replace it")
    return status


def _check_folder(path: Path, option: str) -> Path:
    folder = path.parent
    try:
        status = os.stat(folder)
    except FileNotFoundError as e:
        raise write_error(path, option, "its directory does not exist") from e
    except OSError as e:
        raise _os_error(path, option, e) from e
    if not stat.S_ISDIR(status.st_mode):
        raise write_error(path, option, f"{folder} is {file_kind(status.st_mode)}, not a directory")
    return folder


def write_text(path: Path, text: str, *, option: str = "", durable: bool = True) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically.

    Args:
        path: the file to create or replace.
        text: the new content.
        option: the command-line option that named ``path``, for the message.
        durable: flush the file to disk before the rename (a render of thousands of
            files syncs once at the end instead).

    Raises:
        InputError: ``path`` is not a regular file, its folder is missing or not a
            folder, or the file system refuses the write; nothing was replaced.
    """
    write_bytes(path, text.encode("utf-8"), option=option, durable=durable)


def write_bytes(path: Path, data: bytes, *, option: str = "", durable: bool = True) -> None:
    """Write ``data`` to ``path`` atomically; as :func:`write_text`, for binary content.

    Raises:
        InputError: as :func:`write_text`; nothing was replaced.
    """
    existing = existing_regular_file(path, option)
    folder = _check_folder(path, option)
    mode = stat.S_IMODE(existing.st_mode) if existing else 0o666 & ~current_umask()
    prefix = f".{path.name[:_NAME_IN_TEMPORARY]}{TEMPORARY_MARK}"
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=prefix)
    except OSError as e:
        raise _os_error(path, option, e) from e
    try:
        try:
            with os.fdopen(handle, "wb") as stream:
                os.fchmod(stream.fileno(), mode)
                stream.write(data)
                stream.flush()
                if durable:
                    os.fsync(stream.fileno())
            existing_regular_file(path, option)  # nothing else swapped in meanwhile
            os.rename(temporary, path)
        except OSError as e:
            raise _os_error(path, option, e) from e
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise


def make_folders(path: Path, option: str = "") -> None:
    """Create ``path`` and missing parents with ``0777 & ~umask``.

    Raises:
        InputError: a component is a file, or the file system refuses.
    """
    try:
        os.makedirs(path, mode=0o777, exist_ok=True)
    except FileExistsError as e:
        raise write_error(path, option, "exists and is not a directory") from e
    except OSError as e:
        raise _os_error(path, option, e, "cannot create the folder") from e


def real_folders_between(stop: Path, folder: Path) -> bool:
    """Whether ``folder`` and every folder between it and ``stop`` is a real folder.

    Each component below ``stop`` is ``lstat``'ed: a symbolic link anywhere in the middle
    of a path would make ``unlink`` or ``rmdir`` act on something outside ``stop`` (a
    planted ``g -> .git`` or ``o -> /elsewhere``), so such a path is never acted on.
    """
    if folder == stop:
        return True
    if stop not in folder.parents:
        return False
    current = stop
    for part in folder.relative_to(stop).parts:
        current = current / part
        try:
            status = os.lstat(current)
        except OSError:
            return False
        if not stat.S_ISDIR(status.st_mode):
            return False
    return True


def remove_file(path: Path, option: str = "", *, within: Path | None = None) -> bool:
    """Delete the regular file ``path``; anything else there is left alone.

    Args:
        path: the file to delete.
        option: the command-line option that named it, for the message.
        within: when given, ``path`` is deleted only if every folder between ``within``
            and it is a real folder (no symbolic link in the middle of the path).

    Returns:
        Whether a file was deleted (False when nothing or a non-file was there).

    Raises:
        InputError: the file system refuses.
    """
    if within is not None and not real_folders_between(within, path.parent):
        return False
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError as e:
        raise _os_error(path, option, e, "cannot delete") from e
    if not stat.S_ISREG(status.st_mode):
        return False
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    except OSError as e:
        raise _os_error(path, option, e, "cannot delete") from e
    return True


def remove_empty_folders(folder: Path, stop: Path) -> None:
    """Remove ``folder`` and its parents below ``stop`` while they are empty.

    Nothing is removed through a symbolic link: each folder is removed only while it
    and every folder between it and ``stop`` are real folders.
    """
    while folder != stop and stop in folder.parents:
        if not real_folders_between(stop, folder):
            return
        try:
            os.rmdir(folder)
        except OSError:  # not empty, already gone, or not ours to remove: stop here
            return
        folder = folder.parent


def is_temporary(name: str) -> bool:
    """Whether ``name`` is a temporary file of ``write_text`` (left by a killed run)."""
    return name.startswith(".") and TEMPORARY_MARK in name


def flush_to_disk() -> None:
    """Flush every written file to disk: one ``sync`` after many undurable writes."""
    os.sync()

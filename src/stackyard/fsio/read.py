"""Reading a file that may be hostile: only regular files, never more than a cap.

Policy: every file Stackyard reads — a spec, a scenario, an exceptions or comparison
file named on the command line, or any file inside a repository it walks — goes
through this module, so one set of rules holds everywhere:

- the path is stat'ed first and only a regular file is opened (symbolic links are
  followed): a FIFO would block forever, a device such as ``/dev/zero`` never ends,
  and merely opening some devices has effects (a watchdog starts counting);
- the file is opened with ``O_NONBLOCK`` (a FIFO swapped in after the stat never
  blocks) and ``O_NOCTTY``, and the opened descriptor is checked again with
  ``fstat``, so a file replaced between the two calls is refused too;
- the byte cap is enforced while reading, never taken from ``st_size``: files in
  ``/proc`` report size 0 and a file may grow while it is read.

A file named as an input is refused with an ``InputError`` naming the path
(``read_input_bytes``); a file met inside a tree is skipped with a reason the caller
turns into a notice (``read_tree_file``).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from stackyard.errors import InputError, Location, Problem

# The first read asks for the announced size (plus one byte, to see the end at once);
# later reads, for files that grow or announce nothing, take this much at a time.
_CHUNK = 1024 * 1024
_MIN_FIRST_READ = 8192
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


class _RefusedError(Exception):
    """Why a file was not read, in words for the user."""


class _UnreadableError(_RefusedError):
    """The system refused to open or read the file (missing, no permission...)."""


_KINDS = {
    stat.S_IFREG: "a regular file",
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFLNK: "a symbolic link",
}


def file_kind(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words ("a FIFO", "a directory", ...)."""
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def _not_regular(mode: int) -> str:
    kind = file_kind(mode)
    return kind if kind == "not a regular file" else f"{kind}, not a regular file"


def _read(path: str | Path, max_bytes: int) -> bytes:
    """The bytes of the regular file at ``path``, or ``_RefusedError`` saying why not."""
    try:
        mode = os.stat(path).st_mode
    except OSError as e:
        raise _UnreadableError(e.strerror or str(e)) from e
    if not stat.S_ISREG(mode):
        raise _RefusedError(_not_regular(mode))
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as e:
        raise _UnreadableError(e.strerror or str(e)) from e
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):  # replaced after the stat above
            raise _RefusedError(_not_regular(status.st_mode))
        chunks: list[bytes] = []
        total = 0
        want = max(status.st_size + 1, _MIN_FIRST_READ)
        while True:
            chunk = os.read(fd, min(want, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise _RefusedError(f"over {max_bytes} bytes")
            want = _CHUNK
    except OSError as e:
        raise _UnreadableError(e.strerror or str(e)) from e
    finally:
        os.close(fd)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def read_input_bytes(path: str | Path, *, max_bytes: int, what: str = "") -> bytes:
    """Read a file named as an input, refusing anything but a regular file.

    Args:
        path: the file to read.
        max_bytes: the most bytes accepted; the limit holds while reading.
        what: what the file is to the user ("the spec"), used in the message.

    Raises:
        InputError: the file is missing, unreadable, not a regular file (FIFO,
            device, socket, directory) or over ``max_bytes``; it names the path.
    """
    try:
        return _read(path, max_bytes)
    except _RefusedError as e:
        message = f"cannot read {what or 'file'}: {e}"
        raise InputError([Problem(Location(str(path)), "", message)]) from e


def read_tree_file(path: str | Path, *, max_bytes: int) -> bytes | str:
    """Read a file met inside a tree, or say why it was skipped.

    Returns:
        The file's bytes, or a reason in words ending in "; skipped" ("a FIFO, not a
        regular file; skipped", "over 4194304 bytes; skipped", "cannot read file:
        Permission denied; skipped") that the caller reports as a notice.
    """
    try:
        return _read(path, max_bytes)
    except _UnreadableError as e:
        return f"cannot read file: {e}; skipped"
    except _RefusedError as e:
        return f"{e}; skipped"

"""An exclusive lock on an output, so two writers never interleave their changes.

Policy: the lock is ``fcntl.flock`` on a lock file. The kernel releases it when the
holder exits, however it exits (``kill -9`` included), so a crashed run never leaves a
stale lock behind. The holder deletes the lock file before releasing it, so nothing
is left in the output after a run; a waiter that then wins the lock on the deleted
file notices (the path no longer names the inode it locked) and tries again on the
new file. A second writer waits a bounded time, tells the user once that it waits,
and then fails with an ``InputError`` rather than hanging forever. A reader that
must write nothing (``render --check``) takes a shared lock on the file only if it
exists, so it never reads a tree half-way through a render.
"""

from __future__ import annotations

import fcntl
import os
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from stackyard.errors import InputError, Location, Problem
from stackyard.fsio.read import file_kind

_POLL_SECONDS = 0.05
_FLAGS = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _error(path: Path, message: str) -> InputError:
    return InputError([Problem(Location(str(path)), "", message)])


def _open(path: Path) -> int:
    try:
        fd = os.open(path, _FLAGS | getattr(os, "O_NONBLOCK", 0), 0o666)
    except OSError as e:
        raise _error(path, f"cannot open the lock file: {e.strerror or e}") from e
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise _error(path, f"the lock file is {file_kind(mode)}; remove it")
    return fd


def _still_named(path: Path, fd: int) -> bool:
    try:
        named = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


@contextmanager
def exclusive_lock(
    path: Path,
    *,
    timeout: float,
    busy: str,
    on_wait: Callable[[], None] = lambda: None,
) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` (created if missing) inside the block.

    Args:
        path: the lock file; deleted again when the block ends.
        timeout: seconds to wait for another holder before giving up.
        busy: the message of the error raised when the wait times out.
        on_wait: called once, when the lock is held by someone else.

    Raises:
        InputError: the lock stayed busy for ``timeout`` seconds, or the lock file
            cannot be created or is not a regular file.
    """
    deadline = time.monotonic() + timeout
    said = False

    def waiting() -> None:
        nonlocal said
        if not said:
            on_wait()
            said = True

    while True:
        fd = _open(path)
        try:
            _wait_for(fd, fcntl.LOCK_EX, path, deadline - time.monotonic(), busy, waiting)
        except BaseException:
            os.close(fd)
            raise
        if _still_named(path, fd):
            break
        os.close(fd)  # the holder before us deleted this file: lock the new one
    try:
        yield
    finally:
        with suppress(OSError):
            os.unlink(path)
        os.close(fd)


def _wait_for(
    fd: int, operation: int, path: Path, timeout: float, busy: str, on_wait: Callable[[], None]
) -> None:
    deadline = time.monotonic() + timeout
    waited = False
    while True:
        try:
            fcntl.flock(fd, operation | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if not waited:
                on_wait()
                waited = True
            if time.monotonic() >= deadline:
                raise _error(path, busy) from None
            time.sleep(_POLL_SECONDS)
        except OSError as e:
            raise _error(path, f"cannot lock: {e.strerror or e}") from e


@contextmanager
def shared_lock_if_present(
    path: Path,
    *,
    timeout: float,
    busy: str,
    on_wait: Callable[[], None] = lambda: None,
) -> Iterator[None]:
    """Wait until no one holds ``path`` exclusively, if it exists; never create it.

    Raises:
        InputError: the lock stayed busy for ``timeout`` seconds, or it cannot be opened.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        yield
        return
    except OSError as e:
        raise _error(path, f"cannot open the lock file: {e.strerror or e}") from e
    try:
        _wait_for(fd, fcntl.LOCK_SH, path, timeout, busy, on_wait)
        yield
    finally:
        os.close(fd)

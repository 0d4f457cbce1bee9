"""Things at a path that are not regular files: FIFOs, sockets, devices, links, folders.

Each maker creates its thing at ``path`` and returns a short description; a maker
that cannot work here (a device node needs root) calls ``pytest.skip`` with the reason.
"""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Callable
from pathlib import Path

import pytest


def make_fifo(path: Path) -> None:
    os.mkfifo(path)


def make_socket(path: Path) -> None:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.close()  # the socket file stays; nothing listens


def make_zero_device(path: Path) -> None:
    """A character device with /dev/zero's numbers: endless bytes if anyone reads it."""
    if os.geteuid() != 0:
        pytest.skip("creating a device node needs root")
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 5))


def make_null_device(path: Path) -> None:
    """A character device with /dev/null's numbers (a private one: the real one is safe)."""
    if os.geteuid() != 0:
        pytest.skip("creating a device node needs root")
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))


def make_directory(path: Path) -> None:
    path.mkdir()
    (path / "keep.txt").write_text("mine\n")


def make_link_to_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def make_link_loop(path: Path) -> None:
    path.symlink_to(path.name)


def make_dangling_link(path: Path) -> None:
    path.symlink_to(path.parent / "nowhere" / "at-all.yaml")


SPECIALS: dict[str, Callable[[Path], None]] = {
    "fifo": make_fifo,
    "socket": make_socket,
    "zero-device": make_zero_device,
    "null-device": make_null_device,
    "directory": make_directory,
    "link-to-dev-zero": make_link_to_zero,
    "link-loop": make_link_loop,
    "dangling-link": make_dangling_link,
}


def kind_of(path: Path) -> str:
    """What is at ``path`` now, without following links (to prove nothing replaced it)."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return "missing"
    for test, name in (
        (stat.S_ISLNK, "link"),
        (stat.S_ISFIFO, "fifo"),
        (stat.S_ISSOCK, "socket"),
        (stat.S_ISCHR, "char-device"),
        (stat.S_ISDIR, "directory"),
        (stat.S_ISREG, "file"),
    ):
        if test(mode):
            return name
    return "other"

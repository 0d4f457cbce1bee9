"""Reading hostile files: only regular files are opened, the byte cap holds while reading."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from stackyard.errors import InputError
from stackyard.fsio import file_kind, read_input_bytes, read_tree_file


def _refusal(path: Path, **kwargs: object) -> str:
    with pytest.raises(InputError) as caught:
        read_input_bytes(path, max_bytes=1024, **kwargs)  # type: ignore[arg-type]
    [problem] = caught.value.problems
    assert problem.location.file == str(path)
    return problem.message


def test_a_regular_file_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    data = os.urandom(300_000)
    path.write_bytes(data)
    assert read_input_bytes(path, max_bytes=len(data)) == data
    assert read_tree_file(path, max_bytes=len(data)) == data


def test_an_empty_file_reads_as_no_bytes(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_bytes(b"")
    assert read_input_bytes(path, max_bytes=10) == b""


def test_a_file_one_byte_over_the_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"x" * 1025)
    assert _refusal(path, what="the spec") == "cannot read the spec: over 1024 bytes"
    assert read_tree_file(path, max_bytes=1024) == "over 1024 bytes; skipped"
    path.write_bytes(b"x" * 1024)
    assert len(read_input_bytes(path, max_bytes=1024)) == 1024


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path ``os.open`` is called with while the test runs (it still opens them)."""
    paths: list[str] = []
    real = os.open

    def recording(path: str | os.PathLike[str], flags: int, *args: Any, **kwargs: Any) -> int:
        paths.append(os.fspath(path))
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", recording)
    return paths


def test_the_open_recorder_sees_a_regular_file_opened(tmp_path: Path, opened: list[str]) -> None:
    path = tmp_path / "ok.yaml"
    path.write_bytes(b"a: 1\n")
    assert read_tree_file(path, max_bytes=1024) == b"a: 1\n"
    assert opened == [str(path)]


def test_a_fifo_is_refused_without_being_opened(fifo: Path, opened: list[str]) -> None:
    # Opening a FIFO for reading blocks until a writer comes: refused from its stat alone.
    assert _refusal(fifo) == "cannot read file: a FIFO, not a regular file"
    assert read_tree_file(fifo, max_bytes=1024) == "a FIFO, not a regular file; skipped"
    assert str(fifo) not in opened


def test_a_fifo_with_a_writer_is_still_refused(fifo: Path) -> None:
    # A writer waiting on the other end must not make the FIFO look readable.
    writer = threading.Thread(target=lambda: fifo.write_bytes(b"a: 1\n"), daemon=True)
    writer.start()
    assert read_tree_file(fifo, max_bytes=1024) == "a FIFO, not a regular file; skipped"
    # Release the writer so the thread ends.
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    writer.join(timeout=5)
    os.close(fd)


def test_a_socket_is_refused(unix_socket: Path) -> None:
    assert _refusal(unix_socket) == "cannot read file: a socket, not a regular file"
    assert read_tree_file(unix_socket, max_bytes=10) == "a socket, not a regular file; skipped"


def test_a_directory_is_refused(tmp_path: Path) -> None:
    assert _refusal(tmp_path) == "cannot read file: a directory, not a regular file"


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null", "/dev/urandom"])
def test_a_device_is_refused_and_never_read(device: str, opened: list[str]) -> None:
    if not os.path.exists(device):
        pytest.skip(f"{device} does not exist here")
    assert _refusal(Path(device)) == "cannot read file: a character device, not a regular file"
    assert device not in opened


def test_a_symbolic_link_to_a_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "zero.yaml"
    link.symlink_to("/dev/zero")
    assert read_tree_file(link, max_bytes=10) == "a character device, not a regular file; skipped"


def test_a_symbolic_link_to_a_regular_file_is_followed(tmp_path: Path) -> None:
    (tmp_path / "real.yaml").write_bytes(b"a: 1\n")
    link = tmp_path / "link.yaml"
    link.symlink_to("real.yaml")
    assert read_input_bytes(link, max_bytes=10) == b"a: 1\n"


def test_a_missing_file_names_the_cause(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    assert _refusal(missing, what="the scenario") == (
        "cannot read the scenario: No such file or directory"
    )
    assert read_tree_file(missing, max_bytes=10) == (
        "cannot read file: No such file or directory; skipped"
    )


def test_an_unreadable_file_names_the_cause() -> None:
    # Beside /tmp rather than in pytest's private folder, so an unprivileged user can
    # reach the file and is stopped by its own mode, not by a folder on the way.
    folder = Path(tempfile.mkdtemp())
    try:
        folder.chmod(0o755)
        path = folder / "secret.yaml"
        path.write_bytes(b"a: 1\n")
        path.chmod(0)
        assert _refusal_as_a_user(path) == "cannot read file: Permission denied"
    finally:
        shutil.rmtree(folder)


def _refusal_as_a_user(path: Path) -> str:
    """``_refusal(path)``; as root, asked in a child that became the user nobody."""
    if os.geteuid() != 0:
        return _refusal(path)
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.setgid(65534)
            os.setuid(65534)
            os.write(writer, _refusal(path).encode())
        finally:
            os._exit(0)
    os.close(writer)
    os.waitpid(pid, 0)
    with os.fdopen(reader, "rb") as answer:
        return answer.read().decode()


def test_the_cap_holds_for_files_that_announce_no_size() -> None:
    # /proc files report st_size 0 and yet have content: the cap is enforced by reading.
    status = Path("/proc/self/status")
    if not status.exists():
        pytest.skip("no /proc here")
    assert os.stat(status).st_size == 0
    assert read_tree_file(status, max_bytes=10) == "over 10 bytes; skipped"
    content = read_tree_file(status, max_bytes=1024 * 1024)
    assert isinstance(content, bytes) and b"Name:" in content


def test_a_file_growing_while_read_stops_at_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "growing.yaml"
    path.write_bytes(b"x" * 100)
    stop = threading.Event()

    def grow() -> None:
        with path.open("ab") as handle:
            while not stop.is_set():
                handle.write(b"y" * 65536)
                handle.flush()

    writer = threading.Thread(target=grow, daemon=True)
    writer.start()
    try:
        time.sleep(0.05)
        result = read_tree_file(path, max_bytes=200_000)
    finally:
        stop.set()
        writer.join(timeout=5)
    assert result == "over 200000 bytes; skipped"


def test_a_char_device_named_like_yaml_is_never_opened(tmp_path: Path, opened: list[str]) -> None:
    if os.geteuid() != 0:
        pytest.skip("creating a device node needs root")
    device = tmp_path / "zero.yaml"
    try:
        os.mknod(device, 0o600 | 0o020000, os.makedev(1, 5))  # the /dev/zero device
    except PermissionError:
        pytest.skip("this container may not create device nodes")
    assert read_tree_file(device, max_bytes=1024) == (
        "a character device, not a regular file; skipped"
    )
    assert str(device) not in opened


def test_file_kind_names_each_kind(tmp_path: Path, fifo: Path) -> None:
    (tmp_path / "f").write_bytes(b"")
    assert file_kind(os.stat(tmp_path / "f").st_mode) == "a regular file"
    assert file_kind(os.stat(tmp_path).st_mode) == "a directory"
    assert file_kind(os.stat(fifo).st_mode) == "a FIFO"

"""The one writer: atomic, umask-respecting, and it never replaces what is not a file.

Every refusal is checked twice: the library raises an ``InputError`` naming the path,
and the command line (``init FILE``, through a real ``python -m stackyard`` process)
exits 2 with one line and no traceback, leaving what was there untouched.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from stackyard.errors import InputError
from stackyard.fsio.write import is_temporary, make_folders, remove_file, write_text
from tests.mounts import run_in_private_mount

Target = Callable[[Path], Path]


def test_write_replaces_a_file_atomically_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    write_text(target, "one\n")
    write_text(target, "two\n")
    assert target.read_text() == "two\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_a_replaced_file_keeps_its_permission_bits(tmp_path: Path) -> None:
    target = tmp_path / "run.sh"
    target.write_text("old\n")
    target.chmod(0o750)
    write_text(target, "new\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o750


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo.svg"
    os.mkfifo(path)
    return path


def _socket(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "s.svg"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    yield path
    server.close()


def _device(tmp_path: Path) -> Path:
    path = tmp_path / "null.svg"
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # like /dev/null
    except PermissionError:
        pytest.skip("creating a device node needs root")
    return path


def _directory(tmp_path: Path) -> Path:
    path = tmp_path / "folder.svg"
    path.mkdir()
    (path / "keep").write_text("kept\n")
    return path


def _symlink(tmp_path: Path) -> Path:
    precious = tmp_path / "precious.txt"
    precious.write_text("precious\n")
    path = tmp_path / "link.svg"
    path.symlink_to(precious)
    return path


def _missing_parent(tmp_path: Path) -> Path:
    return tmp_path / "no-such-folder" / "out.svg"


def _parent_is_file(tmp_path: Path) -> Path:
    (tmp_path / "file").write_text("a file\n")
    return tmp_path / "file" / "out.svg"


def _name_too_long(tmp_path: Path) -> Path:
    return tmp_path / ("x" * 300)


HOSTILE: dict[str, Target] = {
    "fifo": _fifo,
    "device": _device,
    "directory": _directory,
    "symlink": _symlink,
    "missing-parent": _missing_parent,
    "parent-is-file": _parent_is_file,
    "name-too-long": _name_too_long,
}
CAUSES = {
    "fifo": "is a FIFO",
    "device": "is a character device",
    "directory": "is a directory",
    "symlink": "is a symbolic link",
    "missing-parent": "does not exist",
    "parent-is-file": "Not a directory",
    "name-too-long": "File name too long",
}


def _snapshot(root: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every entry's type and (for regular files) content, without following links."""
    result = {}
    for path in sorted(root.rglob("*")):
        mode = path.lstat().st_mode
        content = path.read_bytes() if stat.S_ISREG(mode) else None
        result[str(path.relative_to(root))] = (stat.S_IFMT(mode), content)
    return result


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_the_writer_refuses_and_replaces_nothing(tmp_path: Path, case: str) -> None:
    target = HOSTILE[case](tmp_path)
    before = _snapshot(tmp_path)
    with pytest.raises(InputError) as raised:
        write_text(target, "<svg/>\n", option="--svg")
    (problem,) = raised.value.problems
    assert problem.location.file == str(target)
    assert CAUSES[case] in problem.message
    assert _snapshot(tmp_path) == before


def test_the_writer_refuses_a_socket(tmp_path: Path) -> None:
    for target in _socket(tmp_path):
        with pytest.raises(InputError, match="is a socket"):
            write_text(target, "x\n")
        assert stat.S_ISSOCK(target.lstat().st_mode)


def _run(*args: str, umask: int | None = None) -> subprocess.CompletedProcess[str]:
    def set_umask() -> None:
        if umask is not None:
            os.umask(umask)

    return subprocess.run(
        [sys.executable, "-m", "stackyard", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        preexec_fn=set_umask,
    )


def _assert_one_line_exit_two(result: subprocess.CompletedProcess[str], target: Path) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(target) in lines[0], result.stderr


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_init_output_to_a_hostile_path_exits_two_with_one_line(tmp_path: Path, case: str) -> None:
    target = HOSTILE[case](tmp_path)
    before = _snapshot(tmp_path)
    result = _run("init", "--force", str(target))
    _assert_one_line_exit_two(result, target)
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("umask", [0o022, 0o077], ids=["umask-022", "umask-077"])
def test_files_and_folders_get_the_users_umask(tmp_path: Path, umask: int) -> None:
    spec = tmp_path / "platform.yaml"
    assert _run("init", str(spec), umask=umask).returncode == 0
    assert stat.S_IMODE(spec.stat().st_mode) == 0o666 & ~umask
    out = tmp_path / "new" / "repo"
    assert _run("render", str(spec), str(out), umask=umask).returncode == 0
    for folder in (tmp_path / "new", out, out / "apps" / "applications"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o777 & ~umask, folder
    for file in (out / "README.md", out / "apps" / "project.yaml", out / ".stackyard-render"):
        assert stat.S_IMODE(file.stat().st_mode) == 0o666 & ~umask, file


def test_a_read_only_file_system_exits_two_and_keeps_the_file(tmp_path: Path) -> None:
    script = (
        "MNT=$(mktemp -d); mount -t tmpfs -o size=64k tmpfs $MNT; echo kept > $MNT/p.yaml; "
        "mount -o remount,ro $MNT; set +e; "
        '"$PYTHON" -m stackyard init --force $MNT/p.yaml; echo "exit=$?"; cat $MNT/p.yaml'
    )
    result = run_in_private_mount(script)
    assert "exit=2" in result.stdout, result.stderr
    assert result.stdout.rstrip().endswith("kept")
    assert "Read-only file system" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_full_file_system_exits_two_and_leaves_no_temporary(tmp_path: Path) -> None:
    script = (
        "MNT=$(mktemp -d); mount -t tmpfs -o size=16k tmpfs $MNT; echo kept > $MNT/p.yaml; "
        "head -c 65536 /dev/zero > $MNT/filler 2>/dev/null || true; set +e; "
        '"$PYTHON" -m stackyard init --force $MNT/p.yaml; echo "exit=$?"; '
        "cat $MNT/p.yaml; ls -A $MNT"
    )
    result = run_in_private_mount(script)
    assert "exit=2" in result.stdout, result.stderr
    assert "No space left on device" in result.stderr and "Traceback" not in result.stderr
    listing = result.stdout.split()
    assert "kept" in listing and sorted(listing[listing.index("kept") + 1 :]) == [
        "filler",
        "p.yaml",
    ]


def test_folders_and_removal_refuse_what_is_not_theirs(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x\n")
    with pytest.raises(InputError, match="not a directory"):
        make_folders(tmp_path / "file")
    (tmp_path / "dir").mkdir()
    assert remove_file(tmp_path / "dir") is False and (tmp_path / "dir").is_dir()
    assert remove_file(tmp_path / "absent") is False
    assert remove_file(tmp_path / "file") is True


def test_temporary_names_are_recognised() -> None:
    assert is_temporary(".values.yaml.stackyard-tmp-abc123")
    assert not is_temporary("values.yaml")

"""Files no assessment should open or trust: skipped with a notice, the rest still read."""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from stackyard.assess.inputs import walk
from stackyard.assess.inputs.walk import SourceFile, read_text
from stackyard.assess.model import Notice
from tests.assess.maturity.conftest import DEPLOYMENT, WriteTree, index, messages
from tests.processes import run_bounded


@pytest.fixture
def repo(write_tree: WriteTree) -> Iterator[Path]:
    """A repository with a good manifest, a FIFO, a socket and a symlink to the FIFO."""
    root = write_tree({"ok.yaml": DEPLOYMENT})
    os.mkfifo(root / "pipe.yaml")
    (root / "link.yaml").symlink_to("pipe.yaml")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(root / "socket.yaml"))
        yield root


def test_fifos_and_sockets_are_skipped_with_a_notice_without_blocking(repo: Path) -> None:
    facts, notices = run_bounded(index, repo)  # a FIFO opened blocking would hang here
    assert messages(notices, "pipe.yaml") == ["a FIFO, not a regular file: skipped"]
    assert messages(notices, "link.yaml") == ["a FIFO, not a regular file: skipped"]
    assert messages(notices, "socket.yaml") == ["a socket, not a regular file: skipped"]
    assert facts.kind_counts["Deployment"] == 1


def test_a_device_named_zero_yaml_is_never_read(write_tree: WriteTree) -> None:
    if os.geteuid() != 0:
        pytest.skip("creating a device node needs root")
    root = write_tree({"ok.yaml": DEPLOYMENT})
    try:
        os.mknod(root / "zero.yaml", 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero
    except PermissionError:
        pytest.skip("this container may not create device nodes")
    facts, notices = run_bounded(index, root)  # a hang fails, however slow the machine
    assert messages(notices, "zero.yaml") == ["a character device, not a regular file: skipped"]
    assert facts.kind_counts["Deployment"] == 1


def test_the_cap_holds_for_a_file_grown_after_the_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The walk saw 10 bytes; by the time it is read the file is past the cap.
    monkeypatch.setattr(walk, "MAX_FILE_BYTES", 100)
    path = tmp_path / "grown.yaml"
    path.write_text("a: " + "x" * 200 + "\n", encoding="utf-8")
    notices: list[Notice] = []
    assert read_text(SourceFile(str(path), "grown.yaml", "yaml", 10), notices) is None
    assert [n.message for n in notices] == ["over 100 bytes: skipped"]


def test_a_file_that_vanished_after_the_walk_is_a_notice(tmp_path: Path) -> None:
    notices: list[Notice] = []
    source = SourceFile(str(tmp_path / "gone.yaml"), "gone.yaml", "yaml", 10)
    assert read_text(source, notices) is None
    assert [n.message for n in notices] == ["cannot read file: No such file or directory: skipped"]


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("[" * 50_000 + "]" * 50_000 + "\n", "unsafe YAML, file skipped: line 13: nesting deeper"),
        ("- " * 50_000 + "x\n", "unsafe YAML, file skipped: line 13: nesting deeper"),
        (
            "a0: &a0 {}\n"
            + "".join(
                f"a{i}: &a{i} {{<<: [{', '.join([f'*a{i - 1}'] * 10)}]}}\n" for i in range(1, 10)
            ),
            "unsafe YAML, file skipped: line",
        ),
    ],
    ids=["deep flow", "deep block", "merge bomb"],
)
def test_hostile_yaml_is_skipped_whole_and_quickly(
    write_tree: WriteTree, text: str, start: str
) -> None:
    root = write_tree({"evil.yaml": DEPLOYMENT + "---\n" + text})
    facts, notices = run_bounded(index, root)  # a hang fails, however slow the machine
    assert messages(notices, "evil.yaml")[0].startswith(start)
    assert not facts.kind_counts


def test_a_syntax_error_is_reported_as_a_syntax_error(write_tree: WriteTree) -> None:
    # libyaml's message says "not allowed", which once read as a foreign tag.
    root = write_tree({"broken.yaml": DEPLOYMENT + "---\nkind: Service\nmetadata: name: x\n"})
    facts, notices = index(root)
    (message,) = messages(notices, "broken.yaml")
    assert message.startswith("line 14: invalid YAML: mapping values are not allowed")
    assert message.endswith("kept the 1 documents before it")
    assert facts.kind_counts["Deployment"] == 1


def test_an_impossible_date_is_invalid_not_hostile(write_tree: WriteTree) -> None:
    root = write_tree({"dated.yaml": DEPLOYMENT + "---\nkind: ConfigMap\nexpires: 2024-02-30\n"})
    facts, notices = index(root)
    (message,) = messages(notices, "dated.yaml")
    assert message.startswith("line 14: bad timestamp value '2024-02-30'")
    assert facts.kind_counts["Deployment"] == 1


def test_unusual_but_valid_yaml_is_read(write_tree: WriteTree) -> None:
    config = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: &n am, namespace: mon}\n"
        "data: {matchType: =, other: &n again, ref: *n}\n"
    )
    root = write_tree({"cm.yaml": config})
    facts, notices = index(root)
    assert messages(notices, "cm.yaml") == []
    assert facts.kind_counts["ConfigMap"] == 1

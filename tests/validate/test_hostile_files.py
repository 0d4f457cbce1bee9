"""A rendered tree with files that are not regular files: each is a finding, none is opened."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stackyard.cli.main import app
from stackyard.validate.run import validate_directory

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "local-multicluster.yaml"


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A rendered tree holding a FIFO, a socket and (as root) a /dev/zero device, all *.yaml."""
    root = tmp_path_factory.mktemp("hostile") / "repo"
    result = CliRunner().invoke(app, ["render", str(EXAMPLE), str(root)])
    assert result.exit_code == 0, result.stderr
    os.mkfifo(root / "apps" / "fifo.yaml")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(root / "apps" / "socket.yaml"))
        if os.geteuid() == 0:
            # The /dev/zero device: reading it never ends. A container may forbid it.
            with contextlib.suppress(PermissionError):
                os.mknod(root / "apps" / "zero.yaml", 0o600 | stat.S_IFCHR, os.makedev(1, 5))
        yield root


def _messages(findings: list[tuple[str, str]], name: str) -> list[str]:
    return [message for file, message in findings if file.endswith(f"/apps/{name}")]


def test_a_fifo_and_a_socket_are_findings_never_opened(tree: Path) -> None:
    report = validate_directory(tree)
    found = [(f.location.file, f.message) for f in report.findings if f.check == "yaml"]
    assert _messages(found, "fifo.yaml") == ["cannot read file: a FIFO, not a regular file"]
    assert _messages(found, "socket.yaml") == ["cannot read file: a socket, not a regular file"]


def test_a_device_named_zero_yaml_is_a_finding_never_read(tree: Path) -> None:
    if not (tree / "apps" / "zero.yaml").exists():
        pytest.skip("creating a device node needs root and a container that allows it")
    report = validate_directory(tree)
    found = [(f.location.file, f.message) for f in report.findings if f.check == "yaml"]
    assert _messages(found, "zero.yaml") == [
        "cannot read file: a character device, not a regular file"
    ]


def test_the_command_reports_them_and_exits_1_in_time(tree: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "stackyard", "validate", str(tree), "-o", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "STACKYARD_LOG_DIR": str(tree.parent / "crash-logs")},
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    files = {f["file"] for f in json.loads(done.stdout)["findings"]}
    assert str(tree / "apps" / "fifo.yaml") in files
    assert str(tree / "apps" / "socket.yaml") in files

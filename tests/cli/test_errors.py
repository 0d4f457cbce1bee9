"""A bug in Stackyard ends in one readable line and a log, never a raw traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import stackyard.app.reference as catalog_module
from stackyard.cli.errors import BROKEN_PIPE, BUG, exit_codes
from stackyard.cli.main import app
from stackyard.plan import Plan
from tests.conftest import EXAMPLES


def _broken(*_: object) -> int:
    raise RuntimeError("the catalog table fell over\nsecond line")


def test_a_bug_prints_one_line_and_writes_a_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STACKYARD_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setattr(catalog_module, "load_catalog", _broken)
    result = CliRunner().invoke(app, ["catalog"], catch_exceptions=False)
    assert result.exit_code == BUG
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "internal error" in lines[0]
    assert "RuntimeError: the catalog table fell over" in lines[0]
    assert "Traceback" not in result.output
    (log,) = (tmp_path / "logs").iterdir()
    assert str(log) in lines[0]
    text = log.read_text()
    assert "Traceback" in text
    assert "second line" in text


def test_every_command_runs_inside_the_one_error_handler() -> None:
    handler = exit_codes(lambda: 0).__code__  # the wrapper every command must be
    unwrapped = [
        info.name for info in app.registered_commands if info.callback.__code__ is not handler
    ]
    assert not unwrapped, f"commands without @exit_codes: {unwrapped}"


def test_a_bug_deep_in_the_library_ends_in_exit_three(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STACKYARD_LOG_DIR", str(tmp_path))

    def broken(self: Plan) -> dict[str, object]:
        raise RuntimeError("as_dict lost its way")

    monkeypatch.setattr(Plan, "as_dict", broken)
    spec = str(EXAMPLES / "community-poc.yaml")
    result = CliRunner().invoke(app, ["plan", spec, "-o", "json"], catch_exceptions=False)
    assert result.exit_code == BUG
    (line,) = result.stderr.splitlines()
    assert "RuntimeError: as_dict lost its way" in line
    (log,) = tmp_path.glob("crash-*.log")
    assert str(log) in line
    assert "in broken" in log.read_text()  # the traceback reaches the injected frame


def test_the_log_falls_back_to_the_temporary_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    monkeypatch.setenv("STACKYARD_LOG_DIR", str(blocked / "logs"))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(catalog_module, "load_catalog", _broken)
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    result = CliRunner().invoke(app, ["catalog"], catch_exceptions=False)
    assert result.exit_code == BUG
    (log,) = tmp_path.glob("crash-*.log")
    assert "RuntimeError" in log.read_text()


def test_input_errors_keep_exit_two(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["plan", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2
    assert "missing.yaml" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["plan", str(EXAMPLES / "local-multicluster.yaml")],  # printed by rich
        ["schema"],  # printed as plain text
        ["plan", str(EXAMPLES / "local-multicluster.yaml"), "-o", "json"],
    ],
    ids=["rich", "plain", "json"],
)
def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path: Path, args: list[str]) -> None:
    """``stackyard … | head``: no traceback, no "internal error", the shell's SIGPIPE code."""
    reader, writer = os.pipe()
    os.close(reader)  # the reader is gone before the first line is written
    done = subprocess.run(
        [sys.executable, "-m", "stackyard", *args],
        stdout=writer,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "STACKYARD_LOG_DIR": str(tmp_path)},
        check=False,
        timeout=120,
    )
    os.close(writer)
    assert done.returncode == BROKEN_PIPE, done.stderr
    assert done.stderr == ""
    assert list(tmp_path.iterdir()) == []  # no crash log: nothing went wrong

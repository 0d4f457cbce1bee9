"""A bug in Stackyard ends in one readable line and a log, never a raw traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import stackyard.cli.commands.catalog as catalog_module
from stackyard.cli.errors import BUG
from stackyard.cli.main import app


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

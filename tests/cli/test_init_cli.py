"""``init``: ``-o text`` is the commented spec as ``-o yaml`` is; ``--force`` is a flag."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

Cli = Callable[..., Result]


def test_init_output_text_is_the_yaml_format_not_a_file(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    as_text = cli("init", "-o", "text")
    assert as_text.exit_code == 0
    assert not (tmp_path / "text").exists()
    assert as_text.stdout == cli("init", "-o", "yaml").stdout == cli("init").stdout
    assert "deprecated" not in as_text.stderr
    written = cli("init", "platform.yaml", "-o", "text")
    assert written.exit_code == 0 and (tmp_path / "platform.yaml").is_file()


def test_init_force_is_a_plain_flag(cli: Cli, tmp_path: Path) -> None:
    help_text = cli("init", "--help").stdout
    assert "--force" in help_text and "--no-force" not in help_text
    target = tmp_path / "platform.yaml"
    target.write_text("mine\n", encoding="utf-8")
    assert cli("init", str(target)).exit_code == 2
    assert cli("init", str(target), "--force").exit_code == 0
    assert target.read_text(encoding="utf-8") != "mine\n"

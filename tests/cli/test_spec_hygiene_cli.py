"""End to end, as a user runs it: secrets in a spec exit 1 and nothing is rendered;
hostile text and numbers exit 2 with file:line; never a traceback."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "community-poc.yaml"
HUGE = "9" * 400
Cli = Callable[..., Result]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stackyard", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )


def spec(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_password_in_a_values_overlay_fails_plan_and_render_writes_nothing(
    tmp_path: Path,
) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    text += "components:\n  grafana:\n    values:\n      adminPassword: hunter2\n"
    line = len(text.splitlines())
    path = spec(tmp_path, "secret.yaml", text)
    plan = run("plan", path.name, cwd=tmp_path)
    assert plan.returncode == 1
    assert f"secret.yaml:{line}:7" in plan.stdout and "SY601" in plan.stdout
    assert "hunter2" not in plan.stdout
    render = run("render", path.name, "out", cwd=tmp_path)
    assert render.returncode == 1
    assert "nothing written" in render.stderr
    assert not (tmp_path / "out").exists()
    assert "Traceback" not in plan.stderr + render.stderr


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("domain: poc.example.internal", 'domain: "poc.example.internal\\n"', "domain"),
        ("  rto: 4h", f"  rto: {HUGE}h", "slo.rto"),
        ("  availability: 99", "  availability: .nan", "slo.availability"),
        ("memory: 16Gi", "memory: -16Gi", "clusters[0].nodePools[0].memory"),
    ],
)
def test_hostile_text_and_numbers_exit_2_with_file_and_line(
    tmp_path: Path, cli: Cli, old: str, new: str, field: str
) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new, 1)
    line = next(i for i, content in enumerate(text.splitlines(), 1) if new in content)
    result = cli("plan", str(spec(tmp_path, "bad.yaml", text)))
    assert result.exit_code == 2
    assert f"bad.yaml:{line}:" in result.stderr
    assert field in result.stderr
    assert "Traceback" not in result.stderr + result.stdout

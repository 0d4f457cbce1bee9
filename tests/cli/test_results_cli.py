"""Every command exits from its result the same way, and reports a refused spec the same way.

Exit 1 exactly when the result failed, each reason an ``error:`` line on stderr that
``--quiet`` keeps; a spec that plans with error findings prints its findings (with
``-o json``, the refusal document on stdout) and one line on stderr, for render, its
check, simulate and a manifest diff alike.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from stackyard.app import schema_id
from tests.app.schemas import assert_matches
from tests.app.test_spec_use_cases import COMMUNITY, LOCAL, _with_errors
from tests.conftest import ROOT

Cli = Callable[..., Result]
SEED001 = ROOT / "tests" / "assess" / "repos" / "seed001"


def _refusing_commands(spec: Path, tmp_path: Path) -> dict[str, list[str]]:
    return {
        "render": ["render", str(spec), str(tmp_path / "out")],
        "check": ["render", str(spec), str(tmp_path / "out"), "--check"],
        "simulate": ["simulate", str(spec)],
        "diff": ["diff", "--manifests", str(COMMUNITY), str(spec)],
    }


@pytest.mark.parametrize("command", ["render", "check", "simulate", "diff"])
def test_a_refused_spec_prints_a_refusal_document_with_json(
    cli: Cli, tmp_path: Path, command: str
) -> None:
    spec = _with_errors(tmp_path)
    result = cli(*_refusing_commands(spec, tmp_path)[command], "-o", "json")
    assert result.exit_code == 1, result.stderr
    data = json.loads(result.stdout)
    assert_matches("refusal", data)
    assert data["spec"] == str(spec) and "SY404" in {f["check"] for f in data["findings"]}
    assert result.stderr.splitlines()[-1] == f"error: {data['message']}; nothing written"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["render", "check", "simulate", "diff"])
def test_a_refused_spec_prints_its_findings_and_one_line_in_text(
    cli: Cli, tmp_path: Path, command: str
) -> None:
    spec = _with_errors(tmp_path)
    result = cli("-q", *_refusing_commands(spec, tmp_path)[command])
    assert result.exit_code == 1
    assert "SY404" in result.stdout and "Findings" in result.stdout
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: {spec} has ") and line.endswith(" nothing written")


def test_plan_with_errors_exits_one_and_says_why_on_stderr(cli: Cli, tmp_path: Path) -> None:
    spec = _with_errors(tmp_path)
    result = cli("-q", "plan", str(spec), "-o", "json")
    assert result.exit_code == 1
    count = len([f for f in json.loads(result.stdout)["findings"] if f["severity"] == "error"])
    assert result.stderr == f"error: {spec} has {count} error finding{'s' * (count != 1)}\n"
    clean = cli("plan", str(LOCAL), "-o", "json")
    assert clean.exit_code == 0 and clean.stderr == ""


def test_a_check_that_differs_says_so_even_when_quiet(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert cli("render", str(COMMUNITY), str(out)).exit_code == 0
    (out / "README.md").write_text("edited\n", encoding="utf-8")
    result = cli("-q", "render", str(COMMUNITY), str(out), "--check")
    assert result.exit_code == 1
    assert result.stderr == f"error: {out} differs from what {COMMUNITY} renders: 1 path\n"


def test_render_check_refuses_force_before_reading_anything(cli: Cli, tmp_path: Path) -> None:
    result = cli(
        "render", str(tmp_path / "missing.yaml"), str(tmp_path / "out"), "--check", "--force"
    )
    assert result.exit_code == 2
    assert "--check writes nothing" in result.stderr and "missing.yaml" not in result.stderr


def test_the_disruption_gate_says_why_it_failed(cli: Cli, tmp_path: Path) -> None:
    moved = tmp_path / "moved.yaml"
    text = LOCAL.read_text(encoding="utf-8")
    moved.write_text(text.replace("podCIDR: 10.102.0.0/16", "podCIDR: 10.103.0.0/16"), "utf-8")
    gate = cli("-q", "diff", str(LOCAL), str(moved), "--fail-on-disruptive", "-o", "json")
    assert gate.exit_code == 1
    disruptive = json.loads(gate.stdout)["summary"]["disruptive"]
    assert gate.stderr.startswith(f"error: {disruptive} disruptive change")
    assert gate.stderr.endswith(" (--fail-on-disruptive)\n")


@pytest.fixture
def earlier(cli: Cli, tmp_path: Path) -> Path:
    """An earlier JSON report of seed001, written by the command line."""
    path = tmp_path / "earlier.json"
    path.write_text(cli("assess", str(SEED001), "-o", "json").stdout, encoding="utf-8")
    return path


def test_assess_compare_with_json_puts_the_comparison_in_the_document(
    cli: Cli, earlier: Path
) -> None:
    result = cli("-q", "assess", str(SEED001), "-o", "json", "--compare", str(earlier))
    assert result.exit_code == 0 and result.stderr == ""
    data = json.loads(result.stdout)
    assert_matches("assessment", data)
    assert_matches("comparison", data["comparison"])
    assert data["comparison"]["schema"] == schema_id("comparison")


@pytest.mark.parametrize("output", ["text", "markdown"])
def test_assess_compare_prints_the_comparison_on_stdout_after_the_report(
    cli: Cli, earlier: Path, output: str
) -> None:
    result = cli("-q", "assess", str(SEED001), "-o", output, "--compare", str(earlier))
    assert result.exit_code == 0 and result.stderr == ""
    report, comparison = result.stdout.split("## Since the previous assessment")
    assert "CNCF" in report or "Cloud Native" in report
    assert "No change." in comparison

"""``stackyard simulate`` under odd and hostile input.

Inputs that could make it hang or eat memory (long windows, 400-digit durations, a
target left down) run as a real ``python -m stackyard`` process with a wall-clock and a
memory limit, so a hang or a runaway fails the case instead of the test run; inputs
that can only be refused run in-process. Every case must end with exit 0, 1 or 2, no
traceback, and — when refused — a message that names the input.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import Result

from tests.processes import Outcome, run_stackyard_process
from tests.simulate.conftest import LOCAL

SECONDS = 60  # generous for a shared CI machine; a hang runs into it anyway
MEMORY = 2 * 1024**3  # address space: a runaway stops here instead of swapping
SVG = "{http://www.w3.org/2000/svg}"
HUGE = "9" * 400
Cli = Callable[..., Result]


def stackyard(tmp_path: Path, *args: str | Path) -> Outcome:
    """Run ``python -m stackyard ARGS`` in ``tmp_path``; crash logs stay there too."""
    return run_stackyard_process(*args, cwd=tmp_path, timeout=SECONDS, memory=MEMORY)


def assert_clean(run: Outcome | Result, code: int, *words: str) -> None:
    """Exit ``code``, no traceback or internal error, and every word in stderr."""
    assert (run.code if isinstance(run, Outcome) else run.exit_code) == code, run.stderr
    for stream in (run.stdout, run.stderr):
        assert "Traceback" not in stream and "internal error" not in stream, stream
    for word in words:
        assert word in run.stderr, run.stderr


@pytest.mark.parametrize(
    ("duration", "words"),
    [
        ("366d", ["--for", "'366d'", "365d"]),
        (HUGE + "h", ["--for", "'99999", "(401 characters)", "365d"]),
        ("100000000d", ["--for", "'100000000d'", "365d"]),
    ],
)
def test_for_longer_than_a_year_exits_2_naming_the_bound(
    tmp_path: Path, duration: str, words: list[str]
) -> None:
    run = stackyard(tmp_path, "simulate", LOCAL, "--fail", "mgmt", "--for", duration)
    assert_clean(run, 2, *words)
    assert len(run.stderr) < 300, run.stderr  # a 400-digit value is not echoed whole


@pytest.mark.parametrize(
    ("duration", "words"),
    [
        ("0s", ["--for", "'0s'", "not a positive duration"]),
        ("0", ["--for", "'0'", "not a positive duration"]),
        ("-5m", ["--for", "'-5m'", "not a duration"]),
        ("1e400h", ["--for", "'1e400h'", "not a duration"]),
        ("3 hours", ["--for", "'3 hours'", "not a duration"]),
        ("", ["--for", "''", "not a duration"]),
    ],
)
def test_for_must_be_a_positive_duration(cli: Cli, duration: str, words: list[str]) -> None:
    assert_clean(cli("simulate", str(LOCAL), "--fail", "mgmt", "--for", duration), 2, *words)


def test_the_matrix_bounds_for_too(cli: Cli) -> None:
    run = cli("simulate", str(LOCAL), "--all-single-failures", "--for", HUGE + "s")
    assert_clean(run, 2, "--for", "365d")


def test_a_year_long_outage_is_drawn_with_bounded_ticks(tmp_path: Path) -> None:
    chart = tmp_path / "year.svg"
    run = stackyard(tmp_path, "simulate", LOCAL, "--fail", "mgmt", "--for", "365d", "--svg", chart)
    assert_clean(run, 0)  # the process's time limit guards against a hang
    assert chart.stat().st_size < 50_000  # a chart, not a mark per hour of a year (1h: 7 kB)
    root = ElementTree.fromstring(chart.read_text(encoding="utf-8"))
    grid = [line for line in root.iter(f"{SVG}line") if line.get("stroke") == "#dddddd"]
    assert 2 <= len(grid) <= 9
    matrix = stackyard(tmp_path, "simulate", LOCAL, "--all-single-failures", "--for", "365d")
    assert_clean(matrix, 0)


def test_a_scenario_that_leaves_mgmt_down_is_reported_in_text_json_and_svg(
    cli: Cli, tmp_path: Path
) -> None:
    scenario = tmp_path / "lost.yaml"
    scenario.write_text("name: mgmt lost\nsteps:\n  - {at: 0s, fail: mgmt}\n", encoding="utf-8")
    chart = tmp_path / "lost.svg"
    text = cli("simulate", str(LOCAL), "--scenario", str(scenario))
    assert_clean(text, 0)
    assert "1h  ⏸ mgmt still down when the simulated window ends" in text.stdout
    assert "RTO mgmt: down 1h, not recovered when the simulated window ends" in text.stdout
    out = stackyard(
        tmp_path, "simulate", LOCAL, "--scenario", scenario, "-o", "json", "--svg", chart
    )
    assert_clean(out, 0)
    data = json.loads(out.stdout)
    assert data["scenario"]["stillDown"] == ["mgmt"]
    assert data["timeline"][-1]["kind"] == "still-down"
    rto = next(e for e in data["slo"] if e["slo"] == "rto")
    assert rto["verdict"] == "exceeds"
    labels = {t.text for t in ElementTree.fromstring(chart.read_text("utf-8")).iter(f"{SVG}text")}
    assert "mgmt down (not recovered)" in labels
    assert_clean(cli("simulate", str(LOCAL), "--scenario", str(scenario), "--strict"), 1)


SCENARIOS = {
    "a-list": ("- {at: 0s, fail: mgmt}\n", ["a-list.yaml:1:1", "found a list"]),
    "empty": ("", ["empty.yaml:1:1", "expected a mapping, found nothing"]),
    "null": ("null\n", ["null.yaml:1:1", "found nothing"]),
    "unknown-key": (
        "name: x\nwhen: now\nsteps:\n  - {at: 0s, fail: mgmt}\n",
        ["unknown-key.yaml:2:1", "when: unknown key"],
    ),
    "duplicate-step": (
        "name: x\nsteps:\n  - {at: 0s, fail: mgmt}\n  - {at: 0s, fail: mgmt}\n",
        ["duplicate-step.yaml:4:", "steps[1]: repeats steps[0]"],
    ),
    "after-the-window": (
        "name: x\nfor: 1h\nsteps:\n  - {at: 0s, fail: mgmt}\n  - {at: 2h, recover: mgmt}\n",
        ["after-the-window.yaml:5:", "steps[1].at: 2h is after the end"],
    ),
    "huge-at": (
        f"name: x\nsteps:\n  - {{at: 0s, fail: mgmt}}\n  - {{at: {HUGE}s, recover: mgmt}}\n",
        ["huge-at.yaml:4:", "steps[1].at"],
    ),
    "year-and-a-day": (
        "name: x\nsteps:\n  - {at: 0s, fail: mgmt}\n  - {at: 366d, recover: mgmt}\n",
        ["year-and-a-day.yaml:4:", "steps[1].at", "365d"],
    ),
    "negative-at": (
        "name: x\nsteps:\n  - {at: -1h, fail: mgmt}\n",
        ["negative-at.yaml:3:", "steps[0].at", "'-1h'"],
    ),
    "zero-for": (
        "name: x\nfor: 0s\nsteps:\n  - {at: 0s, fail: mgmt}\n",
        ["zero-for.yaml:2:", "for: '0s'"],
    ),
    "unicode-target": (
        "name: x\nsteps:\n  - {at: 0s, fail: mgmt\u200b}\n",
        ["unicode-target.yaml:3:", "steps[0].fail", "mgmt\\u200b"],
    ),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_odd_scenario_files_exit_2_naming_file_line_and_field(
    cli: Cli, tmp_path: Path, name: str
) -> None:
    text, words = SCENARIOS[name]
    scenario = tmp_path / f"{name}.yaml"
    scenario.write_text(text, encoding="utf-8")
    run = cli("simulate", str(LOCAL), "--scenario", str(scenario))
    assert_clean(run, 2, *words)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--fail", "", "--for", "1h"], ["--fail", "''", "is not a cluster"]),
        (["--fail", "välült", "--for", "1h"], ["--fail", "'välült'"]),
        (["--fail", "keycloak", "--for", "1h"], ["--fail", "'keycloak'", "is not a cluster"]),
        (["--fail", "x" * 5000, "--for", "1h"], ["--fail", "is not a cluster"]),
        (["--all-single-failures"], ["--for DURATION is required"]),
        (["--fail", "mgmt", "--scenario", "s.yaml"], ["--fail and --scenario cannot be combined"]),
        (["--scenario", "s.yaml", "--for", "1h"], ["--for applies to", "'for:'"]),
        (["--svg", "x.svg"], ["--svg draws one incident"]),
    ],
)
def test_odd_command_lines_exit_2_with_a_clear_message(
    cli: Cli, tmp_path: Path, args: list[str], words: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text("name: x\nsteps:\n  - {at: 0s, fail: mgmt}\n", "utf-8")
    run = cli("simulate", str(LOCAL), *args)
    assert_clean(run, 2, *words)
    assert len(run.stderr) < 1000

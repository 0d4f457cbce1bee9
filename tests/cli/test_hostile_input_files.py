"""Hostile files named on the command line: exit 2 naming the file, quickly, never a crash.

Cases that could hang or kill the interpreter (a FIFO, a device, nesting that
overflowed libyaml's C stack, bombs) run ``python -m stackyard`` in a child process
with a time limit, so a hang or a death by signal fails the case instead of the test
run; the others run in this process.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result

from tests.processes import Outcome, run_stackyard_process

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "local-multicluster.yaml"
LIMIT_SECONDS = 60
LEVELS = 50_000


def stackyard(*args: str | Path, cwd: Path) -> Outcome:
    return run_stackyard_process(*args, cwd=cwd, timeout=LIMIT_SECONDS)


def assert_refused(run: Outcome, path: str | Path, words: str) -> None:
    assert run.code == 2, (run.code, run.stderr[-2000:])
    assert "Traceback" not in run.stderr
    assert f"{path}:" in run.stderr, run.stderr
    assert words in run.stderr, run.stderr


def test_dev_zero_as_the_spec_is_refused_at_once(tmp_path: Path) -> None:
    run = stackyard("plan", "/dev/zero", cwd=tmp_path)
    assert_refused(run, "/dev/zero", "cannot read the spec: a character device, not a regular")


def test_a_fifo_as_the_spec_is_refused_without_blocking(tmp_path: Path, fifo: Path) -> None:
    assert_refused(stackyard("plan", fifo, cwd=tmp_path), fifo, "a FIFO, not a regular file")


def test_a_socket_as_the_spec_is_refused(
    cli: Callable[..., Result], tmp_path: Path, unix_socket: Path
) -> None:
    result = cli("render", str(unix_socket), str(tmp_path / "out"))
    assert_refused(_ran(result), unix_socket, "a socket, not a regular file")
    assert not (tmp_path / "out").exists()


def test_a_directory_as_the_spec_is_refused(cli: Callable[..., Result], tmp_path: Path) -> None:
    (tmp_path / "spec.yaml").mkdir()
    result = cli("plan", str(tmp_path / "spec.yaml"))
    assert_refused(_ran(result), tmp_path / "spec.yaml", "a directory, not a regular file")


def _ran(result: Result) -> Outcome:
    return Outcome(("in-process",), result.exit_code, result.stdout, result.stderr, 0.0)


def _merge_bomb() -> str:
    lines = ["a0: &a0 {}"]
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} {{<<: [{', '.join([f'*a{i - 1}'] * 10)}]}}")
    return "\n".join(lines) + "\n"


SPECS: dict[str, tuple[Callable[[], str], str]] = {
    "deep flow sequences": (lambda: "[" * LEVELS + "]" * LEVELS, "nesting deeper than 64"),
    "deep flow mappings": (lambda: "{a: " * LEVELS + "1" + "}" * LEVELS, "nesting deeper"),
    "deep block sequences": (lambda: "- " * LEVELS + "x\n", "nesting deeper than 64"),
    "deep value": (lambda: "name: x\nclusters: " + "[" * LEVELS, "nesting deeper than 64"),
    "merge bomb": (_merge_bomb, "merge bomb"),
}


@pytest.mark.parametrize("make", [m for m, _ in SPECS.values()], ids=list(SPECS))
def test_a_hostile_spec_is_a_located_error(tmp_path: Path, make: Callable[[], str]) -> None:
    words = next(w for m, w in SPECS.values() if m is make)
    spec = tmp_path / "platform.yaml"
    spec.write_text(make(), encoding="utf-8")
    run = stackyard("plan", spec, cwd=tmp_path)
    assert_refused(run, spec, words)
    assert f"{spec}:1:" in run.stderr or f"{spec}:2:" in run.stderr  # located


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("name: x\nexpires: 2024-02-30\n", "bad timestamp value"),
        ("name: x\nexpires: 9999-99-99\n", "month must be in 1..12"),
        ("name: x\nreplicas: " + "7" * 5_000 + "\n", "bad int value"),
        ("name: x\nport: 1" + ":00" * 300_000 + "\n", "bad int value"),
    ],
    ids=["impossible date", "month 99", "5,000 digits", "long sexagesimal"],
)
def test_a_value_yaml_cannot_hold_is_a_located_error(
    cli: Callable[..., Result], tmp_path: Path, text: str, words: str
) -> None:
    spec = tmp_path / "platform.yaml"
    spec.write_text(text, encoding="utf-8")
    run = _ran(cli("plan", str(spec)))
    assert_refused(run, spec, words)
    assert f"{spec}:2:" in run.stderr


def test_assess_skips_hostile_files_and_reports_the_rest(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "deep.yaml").write_text("[" * LEVELS + "]" * LEVELS, encoding="utf-8")
    (repo / "bomb.yaml").write_text(_merge_bomb(), encoding="utf-8")
    os.mkfifo(repo / "pipe.yaml")
    (repo / "ok.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {matchType: =}\n",
        encoding="utf-8",
    )
    run = stackyard("assess", repo, "-o", "json", cwd=tmp_path)
    assert run.code in (0, 1), run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    notices = {n["file"]: n["message"] for n in json.loads(run.stdout)["notices"]}
    assert notices["deep.yaml"].startswith("unsafe YAML, file skipped: line 1: nesting deeper")
    assert notices["bomb.yaml"].startswith("unsafe YAML, file skipped")
    assert notices["pipe.yaml"] == "a FIFO, not a regular file: skipped"
    assert "ok.yaml" not in notices


def test_assess_refuses_a_fifo_as_the_exceptions_file(tmp_path: Path, fifo: Path) -> None:
    run = stackyard("assess", tmp_path, "--exceptions", fifo, cwd=tmp_path)
    assert_refused(run, fifo, "cannot read the exceptions file: a FIFO, not a regular file")


def test_assess_refuses_a_fifo_as_the_earlier_report(tmp_path: Path, fifo: Path) -> None:
    run = stackyard("assess", tmp_path, "--compare", fifo, cwd=tmp_path)
    assert_refused(run, fifo, "cannot read the earlier report: a FIFO, not a regular file")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[" * LEVELS + "]" * LEVELS, "nesting is too deep"),
        ('{"schema": ' + "9" * 5_000 + "}", "invalid JSON"),
        ('{"schema": "x", ', "invalid JSON"),
    ],
    ids=["deep", "5,000 digits", "truncated"],
)
def test_assess_refuses_a_hostile_earlier_report(
    cli: Callable[..., Result], tmp_path: Path, text: str, words: str
) -> None:
    report = tmp_path / "old.json"
    report.write_text(text, encoding="utf-8")
    result = cli("assess", str(tmp_path), "--compare", str(report))
    assert_refused(_ran(result), report, words)


def test_simulate_refuses_a_fifo_as_the_scenario(tmp_path: Path, fifo: Path) -> None:
    run = stackyard("simulate", EXAMPLE, "--scenario", fifo, cwd=tmp_path)
    assert_refused(run, fifo, "a FIFO, not a regular file")


def test_simulate_refuses_a_deep_scenario(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("steps: " + "[" * LEVELS, encoding="utf-8")
    run = stackyard("simulate", EXAMPLE, "--scenario", scenario, cwd=tmp_path)
    assert_refused(run, scenario, "nesting deeper than 64")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('"areas": "x"', ":1:52: areas: expected a list, found text 'x'"),
        ('"areas": [1]', ":1:53: areas[0]: expected a mapping, found a number"),
        ('"areas": [{"id": "a"}]', ":1:53: areas[0].rating: required key is missing"),
        ('"areas": [{"id": "a", "rating": "5"}]', "areas[0].rating: expected an integer"),
        ('"areas": [{"id": "a", "rating": 1, "controls": 7}]', "areas[0].controls: expected a"),
        (
            '"areas": [{"id": "a", "rating": 1, "controls": [{"id": "c", "status": "?"}]}]',
            "areas[0].controls[0].status: '?' is not one of: missing, partial, achieved",
        ),
        ('"workloadFindings": 5', "workloadFindings: expected a list"),
        ('"workloadFindings": [{"check": ["x"], "object": "o"}]', "workloadFindings[0].check"),
        ('"workloadFindings": [{"check": "c", "object": "o", "evidence": 1}]', "evidence"),
    ],
)
def test_assess_refuses_an_earlier_report_of_the_wrong_shape(
    cli: Callable[..., Result], tmp_path: Path, body: str, words: str
) -> None:
    report = tmp_path / "old.json"
    report.write_text('{"schema": "stackyard.dev/assessment/v1", ' + body + "}", encoding="utf-8")
    result = cli("assess", str(tmp_path), "--compare", str(report))
    assert_refused(_ran(result), report, words)


def _write_flat_lists(folder: Path, items: int) -> None:
    """A flat list of ``items`` empty mappings, alone and after an anchor defined twice."""
    folder.mkdir()
    flat = "[" + ",".join(["{}"] * items) + "]"
    (folder / "wide.yaml").write_text(flat + "\n", encoding="utf-8")
    (folder / "anchors.yaml").write_text(f"a: &x 1\nb: &x 2\nc: {flat}\n", encoding="utf-8")


def test_assess_skips_huge_flat_files_before_composing_them(
    cli: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Composing these two files took 8 and 15 seconds before the node cap came first. The
    # cap counts the parser's events, so the composer must never be handed either file
    # (the workers that read files are forked, and inherit the guard).
    compose_all = yaml.compose_all

    def composing(stream: Any, Loader: Any) -> Any:  # noqa: N803 - PyYAML's name
        assert len(stream) < 1_000_000, "a huge flat file reached the YAML composer"
        return compose_all(stream, Loader=Loader)

    monkeypatch.setattr(yaml, "compose_all", composing)
    _write_flat_lists(tmp_path / "repo", 1_300_000)
    run = _ran(cli("assess", str(tmp_path / "repo"), "-o", "json"))
    assert run.code in (0, 1), run.stderr[-2000:]
    notices = {n["file"]: n["message"] for n in json.loads(run.stdout)["notices"]}
    # This wording comes only from the count on the parser's events, before composing.
    skipped = "unsafe YAML, file skipped: line {}: document has over 200000 nodes"
    assert notices == {"wide.yaml": skipped.format(1), "anchors.yaml": skipped.format(3)}


def test_validate_reports_huge_flat_files_at_their_line(tmp_path: Path) -> None:
    # Smaller files: validate also scans every line for secrets, which takes its own time.
    repo = tmp_path / "repo"
    _write_flat_lists(repo, 250_000)
    run = stackyard("validate", repo, cwd=tmp_path)
    assert run.code == 1, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    listing = "".join(run.stdout.split())  # the table wraps long cells
    assert f"{repo / 'wide.yaml'}:1:" in listing and f"{repo / 'anchors.yaml'}:3:" in listing
    assert listing.count("documenthasover200000nodes") == 2

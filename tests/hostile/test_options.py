"""Hostile option values, side files and output paths for every command.

Side files (a scenario, accepted exceptions, an earlier report) get the same YAML
payloads as specs; special files named as inputs are refused with exit 2; output
paths that are not regular files are refused and never replaced.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from tests.hostile.payloads import BASE_SPEC, YAML_PAYLOADS
from tests.hostile.specials import SPECIALS, kind_of
from tests.processes import check_outcome, run_stackyard

LOCAL = EXAMPLES / "local-multicluster.yaml"


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "platform.yaml"
    path.write_text(BASE_SPEC, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "duration",
    ["0s", "-1h", "1e400h", "9" * 400 + "h", "99999999999999d", "10000y", "", " ", "3h;x", "∞"],
)
def test_simulate_for_is_bounded_and_checked(tmp_path: Path, duration: str) -> None:
    outcome = run_stackyard("simulate", LOCAL, "--fail", "mgmt", "--for", duration, cwd=tmp_path)
    check_outcome(outcome, names="--for")


def test_simulate_all_single_failures_with_a_huge_duration(tmp_path: Path) -> None:
    outcome = run_stackyard(
        "simulate", LOCAL, "--all-single-failures", "--for", "400000d", cwd=tmp_path
    )
    check_outcome(outcome, names="--for")


@pytest.mark.parametrize(
    "target", ["", "@", "vault@", "@mgmt", "nope", "vault@nowhere", "💥", "x" * 5000, "git@git"]
)
def test_simulate_fail_targets(tmp_path: Path, target: str) -> None:
    outcome = run_stackyard("simulate", LOCAL, "--fail", target, "--for", "1h", cwd=tmp_path)
    check_outcome(outcome, names="--fail")


def test_simulate_svg_of_a_long_incident_stays_small(tmp_path: Path) -> None:
    svg = tmp_path / "incident.svg"
    outcome = run_stackyard(
        "simulate", LOCAL, "--fail", "mgmt", "--for", "300d", "--svg", svg, cwd=tmp_path
    )
    check_outcome(outcome, names="--for")
    if outcome.code == 0:
        assert svg.stat().st_size < 2_000_000


SCENARIOS = {
    "left-down": "name: x\nsteps:\n  - {at: 0s, fail: mgmt}\n",
    "recover-before-fail": "name: x\nsteps:\n  - {at: 0s, recover: vault}\n",
    "same-instant": "name: x\nsteps:\n  - {at: 0s, fail: vault}\n  - {at: 0s, recover: vault}\n",
    "far-future": "name: x\nsteps:\n  - {at: 0s, fail: vault}\n"
    "  - {at: 99999999d, recover: vault}\n",
    "huge-at": "name: x\nsteps:\n  - {at: " + "9" * 400 + "s, fail: vault}\n",
    "negative-at": "name: x\nsteps:\n  - {at: -1h, fail: vault}\n",
    "steps-mapping": "name: x\nsteps: {at: 0s}\n",
    "step-null": "name: x\nsteps:\n  - null\n",
    "unknown-key": "name: x\nsurprise: 1\nsteps:\n  - {at: 0s, fail: vault}\n",
    "10k-steps": "name: x\nsteps:\n"
    + "".join(
        f"  - {{at: {i}s, {'fail' if i % 2 == 0 else 'recover'}: vault}}\n" for i in range(10_000)
    ),
}


@pytest.mark.parametrize("payload", sorted(YAML_PAYLOADS) + sorted(SCENARIOS))
def test_simulate_scenario_payloads(tmp_path: Path, payload: str) -> None:
    scenario = tmp_path / "scenario.yaml"
    content = YAML_PAYLOADS[payload] if payload in YAML_PAYLOADS else SCENARIOS[payload].encode()
    scenario.write_bytes(content)
    outcome = run_stackyard("simulate", LOCAL, "--scenario", scenario, "-o", "json", cwd=tmp_path)
    check_outcome(outcome, names="scenario.yaml")
    assert scenario.read_bytes() == content
    if outcome.code == 0:
        json.loads(outcome.stdout)


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\ndata: {k: v}\n"
    )
    return repo


@pytest.mark.parametrize("payload", sorted(YAML_PAYLOADS))
def test_assess_exceptions_payloads(tmp_path: Path, repository: Path, payload: str) -> None:
    exceptions = tmp_path / "exceptions.yaml"
    exceptions.write_bytes(YAML_PAYLOADS[payload])
    outcome = run_stackyard("assess", repository, "--exceptions", exceptions, cwd=tmp_path)
    check_outcome(outcome, names="exceptions.yaml")


COMPARE_PAYLOADS = {
    "empty": b"",
    "not-json": b"{{{",
    "list": b"[]",
    "deep": b"[" * 200_000 + b"]" * 200_000,
    "nan": b'{"areas": NaN}',
    "huge-number": b'{"schemaVersion": ' + b"9" * 5000 + b"}",
    "wrong-shape": b'{"areas": "all", "findings": 3}',
    "not-utf8": b'{"a": "\xff"}',
    "yaml-not-json": b"areas: []\n",
}


@pytest.mark.parametrize("payload", sorted(COMPARE_PAYLOADS))
def test_assess_compare_payloads(tmp_path: Path, repository: Path, payload: str) -> None:
    old = tmp_path / "old.json"
    old.write_bytes(COMPARE_PAYLOADS[payload])
    outcome = run_stackyard("assess", repository, "--compare", old, cwd=tmp_path)
    check_outcome(outcome, names="old.json")


@pytest.mark.parametrize(
    "options",
    [
        ["--jobs", "100000"],
        ["--jobs", "-1"],
        ["--fail-under", "Mars"],
        ["--fail-under", "9" * 400],
        ["--fail-under", ""],
        ["-o", "pdf"],
    ],
    ids=["jobs-huge", "jobs-negative", "level-unknown", "level-huge", "level-empty", "format"],
)
def test_assess_option_values(tmp_path: Path, repository: Path, options: list[str]) -> None:
    outcome = run_stackyard("assess", repository, *options, cwd=tmp_path)
    check_outcome(outcome)


@pytest.mark.parametrize("special", sorted(SPECIALS))
@pytest.mark.parametrize("command", ["plan", "simulate", "diff", "render", "scenario", "compare"])
def test_special_files_named_as_input_are_refused(
    tmp_path: Path, repository: Path, command: str, special: str
) -> None:
    target = tmp_path / "input.yaml"
    SPECIALS[special](target)
    arguments: dict[str, list[str | Path]] = {
        "plan": ["plan", target],
        "simulate": ["simulate", target],
        "diff": ["diff", LOCAL, target],
        "render": ["render", target, "out"],
        "scenario": ["simulate", LOCAL, "--scenario", target],
        "compare": ["assess", repository, "--compare", target],
    }
    outcome = run_stackyard(*arguments[command], cwd=tmp_path, timeout=30)
    check_outcome(outcome, names="input.yaml")
    assert outcome.code == 2, outcome.stderr


Writer = Callable[[Path], list[str | Path]]


def _writers(spec: Path, repository: Path) -> dict[str, Writer]:
    return {
        "init": lambda target: ["init", target],
        "svg": lambda target: ["simulate", spec, "--fail", "poc", "--for", "1h", "--svg", target],
        "report": lambda target: ["assess", repository, "-o", "html", "--report", target],
        "render": lambda target: ["render", spec, target],
    }


@pytest.mark.parametrize("special", sorted(set(SPECIALS) - {"directory"}))
@pytest.mark.parametrize("writer", ["init", "svg", "report", "render"])
def test_output_paths_that_are_not_files_are_never_replaced(
    tmp_path: Path, spec: Path, repository: Path, writer: str, special: str
) -> None:
    target = tmp_path / "target.out"
    SPECIALS[special](target)
    kind = kind_of(target)
    arguments = _writers(spec, repository)[writer](target)
    outcome = run_stackyard(*arguments, cwd=tmp_path, timeout=60)
    check_outcome(outcome, names="target.out")
    assert outcome.code == 2, outcome.stderr
    assert kind_of(target) == kind, "the special file was replaced"


@pytest.mark.parametrize(
    "where",
    ["missing-parent", "parent-is-a-file", "name-too-long", "directory"],
)
@pytest.mark.parametrize("writer", ["init", "svg", "report"])
def test_output_paths_that_cannot_be_written(
    tmp_path: Path, spec: Path, repository: Path, writer: str, where: str
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("keep me\n")
    targets = {
        "missing-parent": tmp_path / "no" / "such" / "dir" / "out.txt",
        "parent-is-a-file": blocker / "out.txt",
        "name-too-long": tmp_path / ("n" * 300 + ".txt"),
        "directory": tmp_path / "a-dir",
    }
    target = targets[where]
    if where == "directory":
        target.mkdir()
        (target / "keep.txt").write_text("mine\n")
    arguments = _writers(spec, repository)[writer](target)
    outcome = run_stackyard(*arguments, cwd=tmp_path)
    check_outcome(outcome, names="a-file" if where == "parent-is-a-file" else target.name[:40])
    assert outcome.code == 2, outcome.stderr
    assert blocker.read_text() == "keep me\n"
    if where == "directory":
        assert (target / "keep.txt").read_text() == "mine\n"


@pytest.mark.parametrize(
    "version", ["1", "1.35\n", "../x", "abc", "9" * 400, "", "1.35.0.0.0", "v1.35"]
)
def test_validate_kubernetes_version_values(tmp_path: Path, spec: Path, version: str) -> None:
    check_outcome(run_stackyard("render", spec, "tree", cwd=tmp_path))
    outcome = run_stackyard(
        "validate", tmp_path / "tree", "--kubernetes-version", version, cwd=tmp_path
    )
    check_outcome(outcome, names="--kubernetes-version")

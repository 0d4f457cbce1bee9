"""Every user file read into a model answers a mistake the same way: file:line:column: field.

The spec, a scenario, an exceptions file and an earlier report for ``--compare`` go
through one helper (``stackyard.yamlio.validate_document``); a value of the wrong type,
an unknown key and a missing key each exit 2 with the place, the field and what is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import EXAMPLES

Cli = Callable[..., Result]

SPEC = (EXAMPLES / "local-multicluster.yaml").read_text(encoding="utf-8")
SCENARIO = "name: x\nsteps:\n  - {at: 0s, fail: mgmt}\n"
EXCEPTIONS = "exceptions:\n  - check: WL007\n    reason: accepted\n    expires: 2030-01-01\n"
REPORT = {
    "schema": "stackyard.dev/assessment/v1",
    "areas": [{"id": "gitops", "rating": 2, "controls": [{"id": "c", "status": "missing"}]}],
    "workloadFindings": [],
}


def _report(change: Callable[[dict[str, object]], None]) -> str:
    data = json.loads(json.dumps(REPORT))
    change(data)
    return json.dumps(data, indent=2)


CASES = {
    # The spec: plan SPEC.
    "spec-wrong-type": (
        "spec",
        SPEC.replace("  revision: main\n", "  revision: [main]\n"),
        ":15:13: gitops.revision: expected text, found a list",
    ),
    "spec-unknown-key": (
        "spec",
        SPEC.replace("kind: Platform\n", "kind: Platform\ncolour: blue\n"),
        ":6:1: colour: unknown key 'colour'",
    ),
    "spec-missing-key": (
        "spec",
        SPEC.replace("name: local-multicluster\n", ""),
        ":4:1: name: required key is missing",
    ),
    # A scenario: simulate SPEC --scenario FILE.
    "scenario-wrong-type": (
        "scenario",
        "name: x\nsteps: 5\n",
        ":2:8: steps: expected a list, found a number",
    ),
    "scenario-unknown-key": (
        "scenario",
        SCENARIO.replace("name: x\n", "name: x\ncolour: red\n"),
        ":2:1: colour: unknown key 'colour' (valid keys here: for, name, steps)",
    ),
    "scenario-missing-key": (
        "scenario",
        SCENARIO.replace("name: x\n", ""),
        ":1:1: name: required key is missing",
    ),
    # An exceptions file: assess DIR --exceptions FILE.
    "exceptions-wrong-type": (
        "exceptions",
        EXCEPTIONS.replace("reason: accepted", "reason: [accepted]"),
        ":3:13: exceptions[0].reason: must be a non-empty string",
    ),
    "exceptions-unknown-key": (
        "exceptions",
        EXCEPTIONS + "    owner: me\n",
        ":5:5: exceptions[0].owner: unknown key 'owner'",
    ),
    "exceptions-missing-key": (
        "exceptions",
        EXCEPTIONS.replace("    expires: 2030-01-01\n", ""),
        ":2:5: exceptions[0].expires: required key is missing",
    ),
    # An earlier report: assess DIR --compare FILE (the JSON is indented by json.dumps).
    "report-wrong-type": (
        "report",
        _report(lambda r: r["areas"][0].update(rating="2")),  # type: ignore[index]
        ":6:17: areas[0].rating: expected an integer, found text",
    ),
    "report-missing-key": (
        "report",
        _report(lambda r: r["areas"][0].pop("rating")),  # type: ignore[index]
        ":4:5: areas[0].rating: required key is missing",
    ),
}


def _run(cli: Cli, kind: str, path: Path, tmp_path: Path) -> Result:
    repository = tmp_path / "repo"
    repository.mkdir(exist_ok=True)
    example = str(EXAMPLES / "local-multicluster.yaml")
    commands = {
        "spec": ["plan", str(path)],
        "scenario": ["simulate", example, "--scenario", str(path)],
        "exceptions": ["assess", str(repository), "--exceptions", str(path)],
        "report": ["assess", str(repository), "--compare", str(path)],
    }
    return cli(*commands[kind])


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_file_names_file_line_field_and_exits_two(
    cli: Cli, tmp_path: Path, case: str
) -> None:
    kind, text, expected = CASES[case]
    path = tmp_path / ("old.json" if kind == "report" else f"{kind}.yaml")
    path.write_text(text, encoding="utf-8")
    result = _run(cli, kind, path, tmp_path)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert f"{path}{expected}" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_an_earlier_report_may_carry_keys_compare_does_not_read(cli: Cli, tmp_path: Path) -> None:
    # Within one schema version a report may gain keys; a later report still compares.
    path = tmp_path / "old.json"
    path.write_text(_report(lambda r: r.update(colour="blue")), encoding="utf-8")
    result = _run(cli, "report", path, tmp_path)
    assert result.exit_code in (0, 1), result.stderr
    assert "Since the previous assessment" in result.stdout


def test_every_problem_of_a_file_is_reported_in_one_run(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "exceptions.yaml"
    text = EXCEPTIONS.replace("reason: accepted", "reason: ''") + "    owner: me\n"
    path.write_text(text.replace("    expires: 2030-01-01\n", ""), encoding="utf-8")
    result = _run(cli, "exceptions", path, tmp_path)
    assert result.exit_code == 2
    for field in ("reason", "expires", "owner"):
        assert f"exceptions[0].{field}: " in result.stderr, result.stderr

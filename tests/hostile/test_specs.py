"""Hostile specs: every spec-reading command survives every payload, and loses nothing.

Each payload is written as ``platform.yaml`` and given to ``plan``, ``render``,
``simulate`` and ``diff``. Whatever the payload, the run exits 0, 1 or 2 without a
traceback, a hang or a signal; a refusal names the file; the spec is left as it was;
and a render that does not succeed writes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.payloads import BASE_SPEC, SPEC_PAYLOADS, YAML_PAYLOADS
from tests.processes import check_outcome, run_stackyard, tree_snapshot

PAYLOADS = {**YAML_PAYLOADS, **SPEC_PAYLOADS}
COMMANDS = ["plan", "render", "simulate", "diff"]


def _arguments(command: str, spec: Path, base: Path) -> list[str | Path]:
    if command == "render":
        return ["render", spec, "out"]
    if command == "diff":
        return ["diff", base, spec, "-o", "json"]
    return [command, spec]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_a_spec_payload_never_crashes_and_loses_nothing(
    tmp_path: Path, payload: str, command: str
) -> None:
    spec = tmp_path / "platform.yaml"
    spec.write_bytes(PAYLOADS[payload])
    base = tmp_path / "base.yaml"
    base.write_text(BASE_SPEC, encoding="utf-8")
    outcome = run_stackyard(*_arguments(command, spec, base), cwd=tmp_path)
    check_outcome(outcome, names="platform.yaml")
    assert spec.read_bytes() == PAYLOADS[payload], "the input was changed"
    if command == "render" and outcome.code != 0:
        assert not (tmp_path / "out").exists(), "a refused render wrote files"


def test_a_refused_rerender_keeps_the_previous_tree(tmp_path: Path) -> None:
    spec = tmp_path / "platform.yaml"
    spec.write_text(BASE_SPEC, encoding="utf-8")
    check_outcome(run_stackyard("render", spec, "out", cwd=tmp_path))
    overrides = tmp_path / "out" / "overrides" / "values" / "common" / "grafana.yaml"
    overrides.parent.mkdir(parents=True)
    overrides.write_text("mine: true\n")
    before = tree_snapshot(tmp_path / "out")
    for payload in ("deep-flow-list-50k", "billion-laughs", "merge-bomb", "availability-nan"):
        spec.write_bytes(PAYLOADS[payload])
        outcome = run_stackyard("render", spec, "out", cwd=tmp_path)
        check_outcome(outcome, names="platform.yaml")
        assert outcome.code != 0, payload
        assert tree_snapshot(tmp_path / "out") == before, payload

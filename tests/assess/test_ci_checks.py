"""Pipeline steps that validate infrastructure, as Ansible repositories write them.

The workflow is written in the style of an Ansible repository that installs K3s
(pre-commit through its GitHub action, Molecule scenarios), not copied from one.
"""

from __future__ import annotations

from pathlib import Path

from stackyard.assess import assess_directory

LINT = """\
name: Lint
on: [pull_request]
jobs:
  pre-commit:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Run pre-commit
        uses: pre-commit/action@v3.0.1
"""
TEST = """\
name: Test
on: [pull_request]
jobs:
  molecule:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        scenario: [default, ipv6]
    steps:
      - uses: actions/checkout@v4
      - name: Test with molecule
        run: molecule test --scenario-name ${{ matrix.scenario }}
"""


def test_pre_commit_action_and_molecule_scenarios_validate_changes(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "lint.yml").write_text(LINT, encoding="utf-8")
    (workflows / "test.yml").write_text(TEST, encoding="utf-8")
    assessment = assess_directory(tmp_path, workers=0)
    checks = next(c for a in assessment.areas for c in a.controls if c.control == "CICD-CHECKS")
    assert checks.status == "achieved"
    assert [(e.file, e.line) for e in checks.evidence] == [
        (".github/workflows/lint.yml", 9),
        (".github/workflows/test.yml", 12),
    ]

"""SY971-SY973: policy template names, the policies they name, assignments that match nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stackyard.cli.main import app
from stackyard.plan import Finding, make_plan
from stackyard.spec import load_spec_text
from tests.plan.conftest import EXAMPLES, example_text

SAMPLE = Path(__file__).resolve().parents[1] / "spec" / "data" / "policy-templates.yaml"
APP1 = "  - name: app1\n    role: app\n"
MODE = "  mode: enforce\n"


def found(text: str, code: str) -> list[Finding]:
    plan = make_plan(load_spec_text(text, "platform.yaml", EXAMPLES))
    return [f for f in plan.findings if f.check == code]


def spec(*replacements: tuple[str, str]) -> str:
    text = example_text("mesh-local")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def line_of(text: str, line: str) -> int:
    return text.splitlines().index(line) + 1


def test_a_cluster_naming_an_unknown_template_is_an_error() -> None:
    text = spec((APP1, f"{APP1}    policyTemplate: regulatd\n"))
    (finding,) = found(text, "SY971")
    assert finding.severity == "error"
    assert finding.cluster == "app1"
    assert "'regulatd'" in finding.message
    assert finding.hint == "did you mean 'regulated'?"
    assert finding.location.line == line_of(text, "    policyTemplate: regulatd")


def test_an_assignment_naming_an_unknown_template_is_an_error() -> None:
    text = spec((MODE, f"{MODE}  assignments:\n    - {{matchLabels: {{}}, template: pci}}\n"))
    (finding,) = found(text, "SY971")
    assert finding.field == "policy.assignments[0].template"
    assert "known templates: baseline, default, regulated, restricted" in finding.hint


def test_an_unknown_template_renders_nothing(tmp_path: Path) -> None:
    spec_file = tmp_path / "platform.yaml"
    spec_file.write_text(spec((APP1, f"{APP1}    policyTemplate: pci\n")), encoding="utf-8")
    result = CliRunner().invoke(app, ["render", str(spec_file), str(tmp_path / "out")])
    assert result.exit_code == 1
    assert not (tmp_path / "out").exists()


def test_a_template_naming_a_policy_stackyard_does_not_render_is_an_error() -> None:
    text = spec(
        (
            MODE,
            f"{MODE}  templates:\n    pci:\n      podSecurity: {{enforce: restricted}}\n"
            "      policies:\n        - {name: disallow-latest-tags}\n",
        )
    )
    (finding,) = found(text, "SY972")
    assert finding.field == "policy.templates.pci.policies[0].name"
    assert finding.hint == "did you mean 'disallow-latest-tag'?"


def test_an_assignment_no_cluster_matches_is_information() -> None:
    text = spec(
        (MODE, f"{MODE}  assignments:\n    - {{matchLabels: {{tier: pci}}, template: regulated}}\n")
    )
    (finding,) = found(text, "SY973")
    assert finding.severity == "info"
    assert "tier=pci" in finding.message
    assert finding.field == "policy.assignments[0].matchLabels"


def test_templates_chosen_well_are_quiet() -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    plan = make_plan(load_spec_text(text, "platform.yaml", SAMPLE.parent))
    assert [f for f in plan.findings if f.check in ("SY971", "SY972", "SY973")] == []


@pytest.mark.parametrize("example", ["local-multicluster", "aws-enterprise", "mesh-local"])
def test_the_examples_have_no_such_finding(example: str) -> None:
    text = example_text(example)
    assert [f for c in ("SY971", "SY972", "SY973") for f in found(text, c)] == []


def test_plan_output_shows_each_cluster_template_and_what_it_enforces() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["plan", str(SAMPLE), "-o", "json"])
    clusters = {c["name"]: c["policy"] for c in json.loads(result.stdout)["clusters"]}
    assert clusters["app1"]["template"] == "restricted"
    assert clusters["app1"]["chosenBy"] == "cluster"
    assert clusters["app1"]["policies"] == [
        {
            "name": "disallow-latest-tag",
            "action": "enforce",
            "summary": "every image pinned to a tag other than latest, or to a digest",
        }
    ]
    assert clusters["app2"]["template"] == "payments"
    assert clusters["app2"]["chosenBy"] == "assignment"
    assert clusters["mgmt"]["template"] == "baseline"
    assert clusters["mgmt"]["kyverno"] is False
    assert clusters["mgmt"]["podSecurity"] == {
        "enforce": "baseline",
        "audit": "restricted",
        "warn": "restricted",
    }
    text = runner.invoke(app, ["plan", str(SAMPLE)], terminal_width=200).stdout
    assert "policy template: payments (a policy assignment)" in text
    assert "Kyverno enforces: restrict-image-registries, require-image-digest" in text
    assert "Kyverno: does not run here" in text

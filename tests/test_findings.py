"""One finding type: plan and validate report findings in one shape, one table, one vocabulary."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from click.testing import Result
from typer.testing import CliRunner

from stackyard.cli.main import app
from stackyard.errors import Location
from stackyard.findings import SEVERITIES, Finding
from tests.conftest import ROOT
from tests.plan.conftest import example_text

Cli = Callable[..., Result]

# A Deployment with a field the schema does not know (an error) and a kustomization,
# which kustomize reads rather than applies (not checked: a gap in coverage).
TREE = {
    "apps/web.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
        "  replicaz: 2\n  selector: {matchLabels: {app: web}}\n"
        "  template:\n    metadata: {labels: {app: web}}\n"
        "    spec: {containers: [{name: web, image: nginx:1.27}]}\n"
    ),
    "extra/kustomization.yaml": "resources: []\n",
}


@pytest.fixture
def cli() -> Cli:
    runner = CliRunner(env={"COLUMNS": "200"})
    return lambda *args: runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def bad_spec(tmp_path: Path) -> Path:
    spec = tmp_path / "platform.yaml"
    text = example_text("aws-standard").replace("  cni: cilium", "  cni: canal")
    spec.write_text(text.replace("  ciliumRoutingMode: eni", ""), encoding="utf-8")
    return spec


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    for name, text in TREE.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_plan_and_validate_print_findings_in_one_json_shape(
    cli: Cli, bad_spec: Path, tree: Path
) -> None:
    plan = json.loads(cli("plan", str(bad_spec), "-o", "json").stdout)
    validation = json.loads(cli("validate", str(tree), "-o", "json").stdout)
    found = plan["findings"] + validation["findings"] + validation["unchecked"]
    assert plan["findings"] and validation["findings"] and validation["unchecked"]
    assert {tuple(f) for f in found} == {tuple(plan["findings"][0])}
    assert {f["severity"] for f in found} <= set(SEVERITIES)


def test_a_coverage_gap_is_an_unchecked_info_finding(cli: Cli, tree: Path) -> None:
    data = json.loads(cli("validate", str(tree), "-o", "json").stdout)
    (gap,) = data["unchecked"]
    assert (gap["severity"], gap["unchecked"], gap["file"]) == (
        "info",
        True,
        str(tree / "extra/kustomization.yaml"),
    )
    assert not any(f["unchecked"] for f in data["findings"])
    assert data["summary"] == {"error": 1, "warning": 0, "unchecked": 1}


def test_plan_and_validate_print_the_same_findings_table(
    cli: Cli, bad_spec: Path, tree: Path
) -> None:
    plan = cli("plan", str(bad_spec)).stdout
    validation = cli("validate", str(tree)).stdout
    header = ("severity", "check", "where", "problem")
    for text in (plan, validation):
        line = next(line for line in text.splitlines() if "severity" in line)
        words = [w for w in line.replace("┃", " ").replace("|", " ").split() if w]
        assert tuple(words[:4]) == header, line
    assert "Validation findings" in validation and "Not checked" in validation


def test_render_refuses_a_plan_with_errors_with_the_same_table(
    cli: Cli, bad_spec: Path, tmp_path: Path
) -> None:
    result = cli("render", str(bad_spec), str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "SY404" in result.stdout and "severity" in result.stdout


def test_a_gap_in_coverage_has_no_severity_but_info() -> None:
    gap = Finding.not_checked(Location("a.yaml", 3, 1), "schema", "no schema")
    assert (gap.severity, gap.unchecked) == ("info", True)
    with pytest.raises(ValueError, match="severity info"):
        Finding(Location("a.yaml"), "schema", "no schema", "error", unchecked=True)


def test_findings_sort_by_place_whatever_else_they_carry() -> None:
    first = Finding(Location("a.yaml", 2, 1), "SY1", "b", "info", cluster="mgmt")
    second = Finding(Location("a.yaml", 10, 1), "SY1", "a", "error")
    third = Finding(Location("b.yaml", 1, 1), "schema", "a", "warning", cluster=None)
    assert sorted([third, second, first]) == [first, second, third]


def test_every_report_schema_describes_the_one_finding_shape() -> None:
    documents = {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((ROOT / "docs" / "schemas").glob("*.json"))
    }
    definitions = {
        name: document["$defs"]["finding"]
        for name, document in documents.items()
        if "finding" in document.get("$defs", {})
    }
    assert {"plan.v1.json", "validation.v1.json", "refusal.v1.json"} <= set(definitions)
    definition = definitions["plan.v1.json"]
    assert all(other == definition for other in definitions.values()), definitions
    finding = Finding(Location("a.yaml", 3, 5), "SY101", "wrong", "warning", "a.b", "fix it")
    gap = Finding.not_checked(Location("b.yaml"), "schema", "no schema")
    for item in (finding, gap):
        jsonschema.validate(item.as_dict(), definition)
        assert set(item.as_dict()) == set(definition["properties"])

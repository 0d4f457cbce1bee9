"""``stackyard migrate plan`` on the command line: formats, exit codes, bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import Result
from typer.testing import CliRunner

from stackyard.cli.main import app
from tests.conftest import EXAMPLES, ROOT

Cli = Callable[..., Result]
MESH = str(EXAMPLES / "mesh-local.yaml")
SCHEMA = json.loads((ROOT / "docs/schemas/migration-plan.v1.json").read_text(encoding="utf-8"))


@pytest.fixture
def cli() -> Cli:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


def _migrate(cli: Cli, *args: str) -> Result:
    return cli("migrate", "plan", MESH, *args)


def test_json_output_validates_against_its_schema(cli: Cli) -> None:
    for args in (("--to", "app2"), ("--to", "mgmt")):
        result = _migrate(cli, "--from", "app1", *args, "-o", "json")
        document = json.loads(result.stdout)
        jsonschema.validate(document, SCHEMA)
        assert document["schema"] == "stackyard.dev/migration-plan/v1"
    assert document["summary"]["error"] == 1
    assert document["files"] == []
    assert result.exit_code == 1
    assert "error: the migration has 1 error finding; nothing rendered" in result.stderr


def test_yaml_output_is_the_objects_in_apply_order(cli: Cli) -> None:
    result = _migrate(cli, "--from", "app1", "--to", "app2", "-o", "yaml")
    assert result.exit_code == 0, result.stderr
    kinds = [d["kind"] for d in yaml.safe_load_all(result.stdout)]
    assert kinds == ["Backup", "BackupStorageLocation", "Restore"]


def test_markdown_output_is_the_runbook(cli: Cli) -> None:
    result = _migrate(cli, "--from", "app1", "--to", "app2", "-o", "markdown")
    assert result.exit_code == 0
    assert result.stdout.startswith("# Migration app1-to-app2\n")
    assert "### 8. Decommission" in result.stdout


def test_text_output_names_the_move_and_the_findings(cli: Cli) -> None:
    result = _migrate(cli, "--from", "app1", "--to", "mgmt")
    assert result.exit_code == 1
    assert "namespace shop" in result.stdout
    assert "SY727" in result.stdout


def test_write_reports_the_files(cli: Cli, mesh_tree: Path) -> None:
    result = _migrate(cli, "--from", "app1", "--to", "app2", "--write", str(mesh_tree))
    assert result.exit_code == 0, result.stderr
    assert "migrations/app1-to-app2/target-restore.yaml: written" in result.stdout
    assert "4 files written, 0 unchanged" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "nope", "--to", "app2"), "'nope' is not a cluster of"),
        (("--from", "app1", "--to", "app1"), "'app1' is the source cluster too"),
        (("--from", "app1", "--to", "app2", "--namespace", "ghost"), "'ghost' is not a tenant"),
        (
            ("--from", "app1", "--to", "app2", "--storage-class-map", "local-path:x"),
            "is not OLD=NEW",
        ),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(
    cli: Cli, args: tuple[str, ...], message: str
) -> None:
    result = _migrate(cli, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_write_into_a_directory_that_is_no_tree_exits_2(cli: Cli, tmp_path: Path) -> None:
    result = _migrate(cli, "--from", "app1", "--to", "app2", "--write", str(tmp_path))
    assert result.exit_code == 2
    assert "is not a tree stackyard rendered" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_to_spec_compares_the_kubernetes_versions(cli: Cli, tmp_path: Path) -> None:
    older = tmp_path / "older.yaml"
    older.write_text(
        (EXAMPLES / "mesh-local.yaml")
        .read_text(encoding="utf-8")
        .replace('version: "1.35"', 'version: "1.34"', 1),
        encoding="utf-8",
    )
    result = _migrate(cli, "--from", "app1", "--to", "app1", "--to-spec", str(older), "-o", "json")
    document = json.loads(result.stdout)
    assert result.exit_code == 1
    assert [f["check"] for f in document["findings"] if f["severity"] == "error"] == ["SY724"]
    assert document["crossPlatform"] is True

"""The rendered GitHub workflow installs Stackyard in a way that works and shows its findings.

The workflow is checked against GitHub's workflow JSON schema as vendored by
check-jsonschema (a pinned dev dependency), so no test reaches the network.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from packaging.requirements import Requirement

from stackyard import __version__
from tests.render.conftest import Rendered

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ".github/workflows/stackyard-validate.yaml"


def workflow(tree: Rendered) -> dict[str, Any]:
    (document,) = tree.documents(WORKFLOW)
    return document


def run_steps(tree: Rendered) -> list[str]:
    return [step["run"] for step in workflow(tree)["jobs"]["validate"]["steps"] if "run" in step]


def test_the_workflow_is_valid_by_githubs_schema(rendered: dict[str, Rendered]) -> None:
    schema_file = (
        resources.files("check_jsonschema") / "builtin_schemas/vendor/github-workflows.json"
    )
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    for tree in rendered.values():
        if WORKFLOW in tree.files:
            # YAML 1.1 would read the key `on` as True; GitHub reads it as the string.
            document = workflow(tree)
            jsonschema.validate(document, schema)


def test_stackyard_is_installed_from_its_source_repository_at_the_rendered_version(
    rendered: dict[str, Rendered],
) -> None:
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
    (install,) = [run for run in run_steps(rendered["community-poc"]) if "pip install" in run]
    assert "stackyard==" not in install  # not published on any index
    (argument,) = shlex.split(install)[2:]
    requirement = Requirement(argument)
    assert requirement.name == "stackyard"
    assert requirement.url == f"git+{urls['Source']}.git@v{__version__}"


@pytest.mark.parametrize("planted", [False, True])
def test_the_validate_step_prints_its_findings_in_the_log(
    rendered: dict[str, Rendered], tmp_path: Path, planted: bool
) -> None:
    tree = rendered["community-poc"]
    (validate,) = [run for run in run_steps(tree) if run.startswith("stackyard validate")]
    assert ">" not in validate and "|" not in validate  # nothing hidden in a file
    for path, text in tree.files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    if planted:
        namespaces = tmp_path / "manifests" / "poc" / "base" / "namespaces.yaml"
        namespaces.write_text(namespaces.read_text().replace("  labels:", "  lables:", 1))
    command = [sys.executable, "-m", *shlex.split(validate)]
    result = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == (1 if planted else 0), result.stderr
    assert "0 errors" not in result.stdout if planted else "0 errors" in result.stdout
    if planted:
        assert "namespaces.yaml" in result.stdout and "lables" in result.stdout


def test_the_rendered_file_is_the_yaml_github_reads(rendered: dict[str, Rendered]) -> None:
    text = rendered["community-poc"].files[WORKFLOW]
    assert "'on':" in text  # quoted, so no YAML 1.1 reader turns it into true
    assert yaml.safe_load(text)["on"]["push"]["branches"] == ["main"]

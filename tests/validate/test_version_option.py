"""``validate --kubernetes-version`` takes what a spec takes; anything else is exit 2 naming it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stackyard.cli.main import app

TREE = Path(__file__).resolve().parent / "resources" / "valid"


def _validate(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["validate", *map(str, args)], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    "version",
    ["1", "1.35\n", "../x", "abc", "9" * 400, "1." + "9" * 5_000, "", "1.35.0.0", "١.٣٥"],
    ids=[
        "major",
        "newline",
        "path",
        "word",
        "400-digits",
        "5000-digits",
        "empty",
        "4-parts",
        "arabic-digits",
    ],
)
def test_a_value_that_is_no_version_is_refused_naming_the_option(version: str) -> None:
    code, _, stderr = _validate(TREE, "--kubernetes-version", version)
    assert code == 2, stderr
    assert stderr.startswith("error: --kubernetes-version: "), stderr
    assert "is not a Kubernetes version" in stderr
    assert "internal error" not in stderr


@pytest.mark.parametrize("version", ["1.35", "v1.35", "1.35.2"])
def test_versions_a_spec_accepts_are_taken(version: str) -> None:
    code, stdout, stderr = _validate(TREE, "-o", "json", "--kubernetes-version", version)
    assert code in (0, 1), stderr
    assert json.loads(stdout)["kubernetesVersion"] == version


def test_a_version_without_schemas_names_the_option() -> None:
    code, _, stderr = _validate(TREE, "--kubernetes-version", "1.999999999")
    assert code == 2
    assert (
        stderr.strip()
        == "error: --kubernetes-version: no Kubernetes schemas for version 1.999999999"
    )


@pytest.mark.parametrize("version", ["99999999999999999999.1", "1." + "9" * 5_000])
def test_a_marker_version_that_is_no_version_names_the_marker(tmp_path: Path, version: str) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(TREE, tree)
    (tree / ".stackyard-render").write_text(json.dumps({"kubernetesVersion": version}))
    code, _, stderr = _validate(tree)
    assert code == 2, stderr
    assert stderr.startswith(f"error: {tree / '.stackyard-render'}: kubernetesVersion: "), stderr
    assert "internal error" not in stderr

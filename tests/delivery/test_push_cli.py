"""``stackyard images push`` and ``git push`` as a user runs them: JSON, text, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from stackyard.cli.main import app
from tests.app.schemas import assert_matches, printed
from tests.gitserver import PASSWORD as GIT_PASSWORD
from tests.gitserver import USERNAME as GIT_USERNAME
from tests.gitserver import GitServer, sample_bundle
from tests.ociimages import build_layout
from tests.registry import PASSWORD, USERNAME, Registry


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STACKYARD_REGISTRY_USERNAME", USERNAME)
    monkeypatch.setenv("STACKYARD_REGISTRY_PASSWORD", PASSWORD)
    monkeypatch.setenv("STACKYARD_GIT_USERNAME", GIT_USERNAME)
    monkeypatch.setenv("STACKYARD_GIT_PASSWORD", GIT_PASSWORD)


def test_images_push_prints_its_json_then_skips_everything(
    registry: Registry, tmp_path: Path
) -> None:
    layout = build_layout(tmp_path / "layout")
    args = ["images", "push", str(layout.path), "--registry", f"{registry.host}/cli"]
    args += ["--ca-file", str(registry.ca_file), "-o", "json"]
    first = printed(*args)
    assert_matches("images-push", first)
    # eight blobs: the base both images share goes up once and is mounted for the second
    assert first["blobs"]["pushed"] == 7 and first["blobs"]["skipped"] == 1
    last = first["images"][-1]  # an index goes up after the manifests it lists
    assert (last["repository"], last["reference"]) == ("cli/docker.io/example/web", "2.1")
    again = printed(*args)
    assert again["blobs"] == {"pushed": 0, "skipped": 8, "bytesPushed": 0}


def test_images_push_text_says_what_moved(registry: Registry, tmp_path: Path) -> None:
    layout = build_layout(tmp_path / "layout")
    args = ["images", "push", str(layout.path), "--registry", f"{registry.host}/text"]
    result = CliRunner().invoke(
        app,
        [*args, "--ca-file", str(registry.ca_file)],
        env={"COLUMNS": "300"},
    )
    assert result.exit_code == 0, result.stderr
    pushed = layout.images["ghcr.io/example/app:1.0"]
    assert f"text/ghcr.io/example/app:1.0 {pushed}" in result.stdout
    assert "7 blobs pushed" in result.stdout


@pytest.mark.parametrize(
    ("env", "ca", "message"),
    [
        ({"STACKYARD_REGISTRY_PASSWORD": "wrong"}, True, "refused the credentials of 'pusher'"),
        ({}, False, "TLS certificate is not trusted"),
    ],
)
def test_images_push_faults_exit_2_with_one_error_line(
    registry: Registry, tmp_path: Path, env: dict[str, str], ca: bool, message: str
) -> None:
    layout = build_layout(tmp_path / "layout")
    args = ["images", "push", str(layout.path), "--registry", registry.host]
    args += ["--ca-file", str(registry.ca_file)] if ca else []
    result = CliRunner().invoke(app, args, env={"COLUMNS": "300", **env})
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_git_push_prints_its_json(git_server: GitServer, tmp_path: Path) -> None:
    _, bundle = sample_bundle(tmp_path)
    url = git_server.create("cli.git")
    data = printed("git", "push", str(bundle), "--git", url, "-o", "json")
    assert_matches("git-push", data)
    assert data["updated"] == ["refs/heads/main", "refs/heads/staging", "refs/tags/v1"]
    assert GIT_PASSWORD not in str(data)


def test_git_push_wrong_password_exits_2(git_server: GitServer, tmp_path: Path) -> None:
    _, bundle = sample_bundle(tmp_path)
    url = git_server.create("cli-refused.git")
    result = CliRunner().invoke(
        app, ["git", "push", str(bundle), "--git", url], env={"STACKYARD_GIT_PASSWORD": "nope"}
    )
    assert result.exit_code == 2
    assert "refused the login" in result.stderr and "nope" not in result.stderr

"""``stackyard bundle push``: a verified bundle into a real registry and a real Git server."""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stackyard.app import make_bundle, make_signing_keys
from stackyard.cli.main import app
from tests.app.schemas import assert_matches, printed
from tests.gitserver import PASSWORD as GIT_PASSWORD
from tests.gitserver import USERNAME as GIT_USERNAME
from tests.gitserver import GitServer
from tests.ociimages import image_layout
from tests.registry import PASSWORD, USERNAME, Registry

CHART_YAML = b"apiVersion: v2\nname: demo\nversion: 1.2.3\ndescription: a test chart\n"


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STACKYARD_REGISTRY_USERNAME", USERNAME)
    monkeypatch.setenv("STACKYARD_REGISTRY_PASSWORD", PASSWORD)
    monkeypatch.setenv("STACKYARD_GIT_USERNAME", GIT_USERNAME)
    monkeypatch.setenv("STACKYARD_GIT_PASSWORD", GIT_PASSWORD)


def _git(folder: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(folder), *args], capture_output=True, check=True, text=True
    )
    return result.stdout.strip()


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """A bundle of a committed repository, a chart and an image; its public key; the commit."""
    root = tmp_path_factory.mktemp("push-sources")
    repo = root / "repo"
    repo.mkdir()
    (repo / "README.md").write_text("platform\n")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "render")
    charts = root / "charts"
    charts.mkdir()
    with tarfile.open(charts / "demo-1.2.3.tgz", "w:gz") as tar:
        info = tarfile.TarInfo("demo/Chart.yaml")
        info.size = len(CHART_YAML)
        tar.addfile(info, io.BytesIO(CHART_YAML))
    image_layout(root / "app", "docker.io/library/app:1", [{"bin/app": b"app v1\n"}])
    make_signing_keys(root / "signing.key")
    bundle = root / "platform.tar"
    make_bundle(repo, bundle, key=root / "signing.key", charts=charts, images=(root / "app",))
    return bundle, root / "signing.key.pub", _git(repo, "rev-parse", "HEAD")


def _args(bundle: Path, key: Path, registry: Registry, prefix: str, url: str) -> list[str]:
    return [
        "bundle", "push", str(bundle), "--key", str(key),
        "--registry", f"{registry.host}/{prefix}", "--git", url,
        "--ca-file", str(registry.ca_file), "-o", "json",
    ]  # fmt: skip


def test_bundle_push_moves_images_charts_and_the_repository_then_nothing_again(
    signed: tuple[Path, Path, str], registry: Registry, git_server: GitServer
) -> None:
    bundle, key, commit = signed
    url = git_server.create("bundle.git")
    first = printed(*_args(bundle, key, registry, "corp", url))
    assert_matches("bundle-push", first)
    tags = {(i["repository"], i["reference"]) for i in first["registry"]["images"]}
    assert ("corp/charts/demo", "1.2.3") in tags
    assert ("corp/docker.io/library/app", "1") in tags
    assert not any("gitops" in repository for repository, _ in tags)  # Git's, not the registry's
    assert first["registry"]["blobs"]["pushed"] > 0
    assert first["git"]["refs"] == [{"ref": "refs/heads/main", "commit": commit}]
    assert first["git"]["updated"] == ["refs/heads/main"]
    again = printed(*_args(bundle, key, registry, "corp", url))
    assert again["registry"]["blobs"]["pushed"] == 0
    blobs = first["registry"]["blobs"]  # another test may have sent a shared blob before
    assert again["registry"]["blobs"]["skipped"] == blobs["pushed"] + blobs["skipped"]
    assert again["git"]["updated"] == []


def test_a_tampered_bundle_pushes_nothing_and_leaves_no_scratch(
    signed: tuple[Path, Path, str],
    registry: Registry,
    git_server: GitServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bundle, key, _ = signed
    tampered = tmp_path / "tampered.tar"
    with tarfile.open(bundle) as source, tarfile.open(tampered, "w") as out:
        for member in source:
            data = source.extractfile(member).read() if member.isfile() else b""  # type: ignore[union-attr]
            if member.name == "bundle.json":
                data = data.replace(b"1.2.3", b"1.2.4")
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    url = git_server.create("tampered.git")
    result = CliRunner().invoke(
        app, _args(tampered, key, registry, "forged", url), env={"COLUMNS": "300"}
    )
    assert result.exit_code == 2, result.stdout
    assert "error:" in result.stderr and "Traceback" not in result.stderr + result.stdout
    assert list(scratch.iterdir()) == []
    assert _git(git_server.root / "tampered.git", "for-each-ref") == ""
    assert not (registry.storage / "docker/registry/v2/repositories/forged").exists()

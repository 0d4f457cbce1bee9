"""Pushing the GitOps repository's bundle into a real smart-HTTP Git server and cloning it back."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.delivery.bundle import GIT_ARTIFACT, GIT_CONFIG, GIT_LAYER
from stackyard.delivery.gitpush import GitPushError, push_git_bundle
from stackyard.delivery.layout import REF_NAME, Layout, json_bytes
from tests.gitserver import PASSWORD, USERNAME, GitServer, git, sample_bundle

CREDENTIALS = {"STACKYARD_GIT_USERNAME": USERNAME, "STACKYARD_GIT_PASSWORD": PASSWORD}


def _refs(repository: Path) -> str:
    return git(
        "for-each-ref",
        "--format=%(refname) %(objectname)",
        "refs/heads",
        "refs/tags",
        cwd=repository,
    )


def test_a_pushed_bundle_clones_back_with_the_same_refs(
    git_server: GitServer, tmp_path: Path
) -> None:
    source, bundle = sample_bundle(tmp_path)
    url = git_server.create("same-refs.git")
    report = push_git_bundle(bundle, url, environ=CREDENTIALS)
    assert {ref for ref, _ in report.refs} == {
        "refs/heads/main",
        "refs/heads/staging",
        "refs/tags/v1",
    }
    assert set(report.updated) == {ref for ref, _ in report.refs}
    clone = tmp_path / "clone"
    authenticated = url.replace("http://", f"http://{USERNAME}:{PASSWORD}@")
    git("clone", "-q", "--mirror", authenticated, clone, cwd=tmp_path)
    assert _refs(clone) == _refs(source)
    again = push_git_bundle(bundle, url, environ=CREDENTIALS)
    assert again.updated == ()


def test_wrong_git_credentials_are_refused(git_server: GitServer, tmp_path: Path) -> None:
    _, bundle = sample_bundle(tmp_path)
    url = git_server.create("refused.git")
    wrong = {**CREDENTIALS, "STACKYARD_GIT_PASSWORD": "wrong"}
    with pytest.raises(GitPushError, match="refused the login") as caught:
        push_git_bundle(bundle, url, environ=wrong)
    assert "wrong" not in str(caught.value)
    assert not (git_server.root / "refused.git" / "refs" / "heads" / "main").exists()


def test_a_password_in_the_url_is_refused(git_server: GitServer, tmp_path: Path) -> None:
    _, bundle = sample_bundle(tmp_path)
    url = git_server.url("x.git").replace("http://", "http://u:secret@")
    with pytest.raises(GitPushError, match="carries a password"):
        push_git_bundle(bundle, url, environ=CREDENTIALS)


def test_a_server_branch_that_moved_on_is_not_overwritten(
    git_server: GitServer, tmp_path: Path
) -> None:
    source, bundle = sample_bundle(tmp_path)
    url = git_server.create("diverged.git")
    push_git_bundle(bundle, url, environ=CREDENTIALS)
    git("checkout", "-q", "main", cwd=source)
    git("commit", "-q", "--allow-empty", "-m", "made inside the gap", cwd=source)
    authenticated = url.replace("http://", f"http://{USERNAME}:{PASSWORD}@")
    git("push", "-q", authenticated, "main", cwd=source)
    git("reset", "-q", "--hard", "HEAD~1", cwd=source)
    git("commit", "-q", "--allow-empty", "-m", "a new render", cwd=source)
    newer = tmp_path / "newer.bundle"
    git("bundle", "create", "-q", newer, "--all", cwd=source)
    with pytest.raises(GitPushError, match="main"):
        push_git_bundle(newer, url, environ=CREDENTIALS)


def test_an_unpacked_bundle_layout_pushes_its_gitops_repository(
    git_server: GitServer, tmp_path: Path
) -> None:
    source, bundle = sample_bundle(tmp_path)
    layout = Layout.create(tmp_path / "layout")
    layer = layout.add_bytes(bundle.read_bytes(), GIT_LAYER)
    config = layout.add_bytes(json_bytes({"head": "x"}), GIT_CONFIG)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": GIT_ARTIFACT,
        "config": config.as_dict(),
        "layers": [layer.as_dict()],
    }
    top = layout.add_bytes(
        json_bytes(manifest),
        "application/vnd.oci.image.manifest.v1+json",
        annotations={REF_NAME: "gitops/source:abc"},
        artifact_type=GIT_ARTIFACT,
    )
    layout.write_index([top])
    url = git_server.create("from-layout.git")
    report = push_git_bundle(layout.root, url, environ=CREDENTIALS)
    assert len(report.refs) == 3
    clone = tmp_path / "clone"
    authenticated = url.replace("http://", f"http://{USERNAME}:{PASSWORD}@")
    git("clone", "-q", "--mirror", authenticated, clone, cwd=tmp_path)
    assert _refs(clone) == _refs(source)

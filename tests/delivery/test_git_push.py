"""Pushing the GitOps repository's bundle into a real smart-HTTP Git server and cloning it back."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from stackyard.delivery.gitpush import GitPushError, push_git_bundle
from tests.gitserver import PASSWORD, USERNAME, GitServer

CREDENTIALS = {"STACKYARD_GIT_USERNAME": USERNAME, "STACKYARD_GIT_PASSWORD": PASSWORD}


def _git(*args: str | Path, cwd: Path) -> str:
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *map(str, args)]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


def _bundle(tmp_path: Path) -> tuple[Path, Path]:
    """A repository with two branches and a tag, and its bundle."""
    source = tmp_path / "source"
    source.mkdir()
    _git("init", "-q", "-b", "main", cwd=source)
    (source / "app.yaml").write_text("replicas: 1\n")
    _git("add", ".", cwd=source)
    _git("commit", "-qm", "first render", cwd=source)
    _git("tag", "-a", "v1", "-m", "release", cwd=source)
    _git("checkout", "-qb", "staging", cwd=source)
    (source / "app.yaml").write_text("replicas: 2\n")
    _git("commit", "-qam", "staging render", cwd=source)
    bundle = tmp_path / "gitops.bundle"
    _git("bundle", "create", "-q", bundle, "--all", cwd=source)
    return source, bundle


def _refs(repository: Path) -> str:
    return _git(
        "for-each-ref",
        "--format=%(refname) %(objectname)",
        "refs/heads",
        "refs/tags",
        cwd=repository,
    )


def test_a_pushed_bundle_clones_back_with_the_same_refs(
    git_server: GitServer, tmp_path: Path
) -> None:
    source, bundle = _bundle(tmp_path)
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
    _git("clone", "-q", "--mirror", authenticated, clone, cwd=tmp_path)
    assert _refs(clone) == _refs(source)
    again = push_git_bundle(bundle, url, environ=CREDENTIALS)
    assert again.updated == ()


def test_wrong_git_credentials_are_refused(git_server: GitServer, tmp_path: Path) -> None:
    _, bundle = _bundle(tmp_path)
    url = git_server.create("refused.git")
    wrong = {**CREDENTIALS, "STACKYARD_GIT_PASSWORD": "wrong"}
    with pytest.raises(GitPushError, match="refused the login") as caught:
        push_git_bundle(bundle, url, environ=wrong)
    assert "wrong" not in str(caught.value)
    assert not (git_server.root / "refused.git" / "refs" / "heads" / "main").exists()


def test_a_password_in_the_url_is_refused(git_server: GitServer, tmp_path: Path) -> None:
    _, bundle = _bundle(tmp_path)
    url = git_server.url("x.git").replace("http://", "http://u:secret@")
    with pytest.raises(GitPushError, match="carries a password"):
        push_git_bundle(bundle, url, environ=CREDENTIALS)


def test_a_server_branch_that_moved_on_is_not_overwritten(
    git_server: GitServer, tmp_path: Path
) -> None:
    source, bundle = _bundle(tmp_path)
    url = git_server.create("diverged.git")
    push_git_bundle(bundle, url, environ=CREDENTIALS)
    _git("checkout", "-q", "main", cwd=source)
    _git("commit", "-q", "--allow-empty", "-m", "made inside the gap", cwd=source)
    authenticated = url.replace("http://", f"http://{USERNAME}:{PASSWORD}@")
    _git("push", "-q", authenticated, "main", cwd=source)
    _git("reset", "-q", "--hard", "HEAD~1", cwd=source)
    _git("commit", "-q", "--allow-empty", "-m", "a new render", cwd=source)
    newer = tmp_path / "newer.bundle"
    _git("bundle", "create", "-q", newer, "--all", cwd=source)
    with pytest.raises(GitPushError, match="main"):
        push_git_bundle(newer, url, environ=CREDENTIALS)

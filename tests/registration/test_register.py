"""Registering a cluster: one commit of the edited spec and its validated render, or nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from stackyard.app import register_cluster, validate
from stackyard.errors import InputError
from stackyard.spec import load_spec
from tests.app.schemas import assert_matches
from tests.gitserver import GitServer
from tests.registration.conftest import AUTHOR, commits, git, registration, status


def test_a_registration_is_one_commit_of_the_spec_and_its_render(platform_repo: Path) -> None:
    before = (platform_repo / "platform.yaml").read_text()
    count = commits(platform_repo)
    result = register_cluster(platform_repo, registration("app3", 4), author=AUTHOR, push=False)
    assert result.status == "committed"
    assert not result.failed
    assert commits(platform_repo) == count + 1
    assert result.commit == git(platform_repo, "rev-parse", "HEAD").strip()
    changed = git(platform_repo, "show", "--name-only", "--format=", "HEAD").split()
    assert "platform.yaml" in changed
    assert "rendered/apps/clusters/app3.yaml" in changed
    assert "rendered/.stackyard-render" in changed
    assert all(path == "platform.yaml" or path.startswith("rendered/") for path in changed)
    assert git(platform_repo, "show", "-s", "--format=%an <%ae>", "HEAD").strip() == AUTHOR
    subject = git(platform_repo, "show", "-s", "--format=%s", "HEAD").strip()
    assert subject == "Register cluster app3"
    # the spec in the commit is the old one, untouched, with the cluster after it
    committed = git(platform_repo, "show", "HEAD:platform.yaml")
    assert committed.startswith(before)
    assert committed[len(before) :].startswith("  - name: app3\n    role: app\n")
    assert [c.name for c in load_spec(platform_repo / "platform.yaml").platform.clusters] == [
        "mgmt",
        "app1",
        "app2",
        "app3",
    ]
    assert status(platform_repo) == ""
    assert validate(platform_repo / "rendered").errors == []
    assert {change.subject for change in result.changes} >= {"app3"}
    assert_matches("cluster-change", result.as_dict())


def test_a_plan_with_errors_is_refused_and_nothing_is_written(platform_repo: Path) -> None:
    head = git(platform_repo, "rev-parse", "HEAD")
    spec = (platform_repo / "platform.yaml").read_bytes()
    huge = registration(
        "app3",
        4,
        node_pools=(
            {"name": "cp", "role": "control-plane", "count": 3, "cpu": 2, "memory": "64Gi"},
        ),
    )
    result = register_cluster(platform_repo, huge, author=AUTHOR, push=False)
    assert result.status == "refused"
    assert result.failed
    assert result.commit is None
    assert "SY202" in {finding.check for finding in result.findings}  # the host is too small
    assert all(finding.severity == "error" for finding in result.findings)
    assert git(platform_repo, "rev-parse", "HEAD") == head
    assert (platform_repo / "platform.yaml").read_bytes() == spec
    assert status(platform_repo) == ""
    assert not (platform_repo / "rendered" / "apps" / "clusters" / "app3.yaml").exists()
    assert_matches("cluster-change", result.as_dict())


def test_a_render_that_does_not_validate_is_rolled_back(platform_repo: Path) -> None:
    # A manifest someone committed into the rendered tree by hand, with a misspelt field:
    # the render leaves it alone, the validation of the tree finds it.
    extra = platform_repo / "rendered" / "extra" / "broken.yaml"
    extra.parent.mkdir()
    extra.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\n  namespace: default\n"
        "dataa:\n  key: value\n"
    )
    git(platform_repo, "add", "rendered/extra/broken.yaml")
    git(platform_repo, "commit", "-q", "-m", "a hand-made manifest")
    head = git(platform_repo, "rev-parse", "HEAD")
    spec = (platform_repo / "platform.yaml").read_bytes()
    result = register_cluster(platform_repo, registration("app3", 4), author=AUTHOR, push=False)
    assert result.status == "refused"
    assert any("broken.yaml" in finding.location.file for finding in result.findings)
    assert git(platform_repo, "rev-parse", "HEAD") == head
    assert (platform_repo / "platform.yaml").read_bytes() == spec
    assert status(platform_repo) == ""  # the render's new files are gone again
    assert not (platform_repo / "rendered" / "apps" / "clusters" / "app3.yaml").exists()


def test_the_same_idempotency_key_returns_the_earlier_commit(platform_repo: Path) -> None:
    first = register_cluster(
        platform_repo, registration("app3", 4), author=AUTHOR, idempotency_key="req-1", push=False
    )
    count = commits(platform_repo)
    again = register_cluster(
        platform_repo, registration("app3", 4), author=AUTHOR, idempotency_key="req-1", push=False
    )
    assert again.status == "committed"
    assert again.replayed
    assert again.commit == first.commit
    assert commits(platform_repo) == count
    assert_matches("cluster-change", again.as_dict())
    message = git(platform_repo, "show", "-s", "--format=%B", "HEAD")
    assert "Stackyard-Idempotency-Key: req-1\n" in message
    # a key names one request: another request under it is refused, not replayed
    with pytest.raises(InputError, match="was used for another request"):
        register_cluster(
            platform_repo,
            registration("app4", 5),
            author=AUTHOR,
            idempotency_key="req-1",
            push=False,
        )
    assert commits(platform_repo) == count


def test_a_registration_already_there_is_unchanged(platform_repo: Path) -> None:
    register_cluster(platform_repo, registration("app3", 4), author=AUTHOR, push=False)
    count = commits(platform_repo)
    result = register_cluster(platform_repo, registration("app3", 4), author=AUTHOR, push=False)
    assert result.status == "unchanged"
    assert not result.failed
    assert result.commit is None
    assert commits(platform_repo) == count
    # the same name for another cluster is a mistake, not a no-op
    with pytest.raises(InputError, match="already in the spec"):
        register_cluster(platform_repo, registration("app3", 5), author=AUTHOR, push=False)


def test_uncommitted_changes_to_the_spec_are_refused(platform_repo: Path) -> None:
    spec = platform_repo / "platform.yaml"
    spec.write_text(spec.read_text() + "# a note in progress\n")
    with pytest.raises(InputError, match="uncommitted changes"):
        register_cluster(platform_repo, registration("app3", 4), author=AUTHOR, push=False)
    assert spec.read_text().endswith("# a note in progress\n")


def test_a_folder_that_is_not_a_repository_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not the top folder of a Git work tree"):
        register_cluster(tmp_path, registration("app3", 4), author=AUTHOR)
    with pytest.raises(InputError, match="is not 'Name <email>'"):
        register_cluster(tmp_path, registration("app3", 4), author="ann")


def test_the_commit_is_pushed_to_the_remote(platform_repo: Path, remote: Path) -> None:
    result = register_cluster(platform_repo, registration("app3", 4), author=AUTHOR)
    assert result.pushed is not None
    assert (result.pushed.remote, result.pushed.branch, result.pushed.error) == (
        "origin",
        "main",
        None,
    )
    assert git(remote, "rev-parse", "main").strip() == result.commit


def test_a_refused_push_keeps_the_local_commit_and_says_why(
    platform_repo: Path, remote: Path
) -> None:
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'main is frozen for the release' >&2\nexit 1\n")
    hook.chmod(0o755)
    remote_head = git(remote, "rev-parse", "main")
    result = register_cluster(
        platform_repo, registration("app3", 4), author=AUTHOR, idempotency_key="try-1"
    )
    assert result.status == "committed"
    assert result.push_failed
    assert result.failed
    assert result.commit == git(platform_repo, "rev-parse", "HEAD").strip()
    assert git(remote, "rev-parse", "main") == remote_head
    assert "main is frozen for the release" in result.reasons[0]
    assert result.reasons[0].startswith(f"committed {result.commit} locally")
    assert_matches("cluster-change", result.as_dict())
    # the retry under the same key commits nothing new and sends the commit
    hook.unlink()
    retry = register_cluster(
        platform_repo, registration("app3", 4), author=AUTHOR, idempotency_key="try-1"
    )
    assert (retry.status, retry.replayed, retry.commit) == ("committed", True, result.commit)
    assert not retry.failed
    assert git(remote, "rev-parse", "main").strip() == result.commit


def test_a_push_the_git_server_does_not_authorise_fails_without_waiting(
    platform_repo: Path, git_server: GitServer
) -> None:
    url = git_server.create("platform-unauthorised.git")
    git(platform_repo, "remote", "add", "origin", url)
    count = commits(platform_repo)
    result = register_cluster(platform_repo, registration("app3", 4), author=AUTHOR)
    assert result.status == "committed"
    assert result.pushed is not None
    assert result.pushed.error is not None
    assert "could not read Username" in result.pushed.error  # asked, never prompted
    assert commits(platform_repo) == count + 1
    done = subprocess.run(["git", "-C", str(platform_repo), "fsck"], capture_output=True)
    assert done.returncode == 0


def test_a_rendered_folder_argo_cd_does_not_read_is_committed_with_a_warning(
    platform_repo: Path,
) -> None:
    result = register_cluster(
        platform_repo, registration("app3", 4), rendered="elsewhere", author=AUTHOR, push=False
    )
    assert result.status == "committed"
    assert (platform_repo / "elsewhere" / "apps" / "clusters" / "app3.yaml").is_file()
    assert len(result.warnings) == 1
    assert "gitops.path is 'rendered'" in result.warnings[0]
    assert_matches("cluster-change", result.as_dict())


def test_a_cluster_registered_with_a_policy_template_renders_its_policies(
    platform_repo: Path,
) -> None:
    result = register_cluster(
        platform_repo,
        registration("app3", 4, policy_template="regulated"),
        author=AUTHOR,
        push=False,
    )
    assert result.status == "committed", [f.message for f in result.findings]
    spec = git(platform_repo, "show", "HEAD:platform.yaml")
    assert "    policyTemplate: regulated\n" in spec
    rendered = platform_repo / "rendered" / "manifests"
    app3 = "".join(path.read_text() for path in (rendered / "app3").rglob("*.yaml"))
    app1 = "".join(path.read_text() for path in (rendered / "app1").rglob("*.yaml"))
    # regulated requires a NetworkPolicy before a pod; the default template does not
    assert "require-network-policy" in app3
    assert "require-network-policy" not in app1


def test_an_unknown_policy_template_is_refused_by_the_plan(platform_repo: Path) -> None:
    head = git(platform_repo, "rev-parse", "HEAD")
    result = register_cluster(
        platform_repo,
        registration("app3", 4, policy_template="strictest"),
        author=AUTHOR,
        push=False,
    )
    assert result.status == "refused"
    assert "SY971" in {finding.check for finding in result.findings}
    assert git(platform_repo, "rev-parse", "HEAD") == head
    assert status(platform_repo) == ""

"""Deregistering a cluster: nothing without a confirmation, then one commit."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.app import deregister_cluster
from stackyard.errors import InputError
from tests.app.schemas import assert_matches
from tests.registration.conftest import AUTHOR, commits, git, status


def test_a_deregistration_without_confirmation_changes_nothing(platform_repo: Path) -> None:
    head = git(platform_repo, "rev-parse", "HEAD")
    result = deregister_cluster(platform_repo, "app1", confirm=False, author=AUTHOR, push=False)
    assert result.status == "needs-confirmation"
    assert result.failed
    assert result.commit is None
    removed = [c for c in result.disruptive if c.kind == "cluster" and c.subject == "app1"]
    assert removed, "the removal of the cluster itself is disruptive"
    # app2 moves up the list: its Cilium cluster id changes, which disrupts it too
    assert any(c.cluster == "app2" for c in result.disruptive)
    assert "needs a confirmation" in result.reasons[0]
    assert_matches("cluster-change", result.as_dict())
    assert git(platform_repo, "rev-parse", "HEAD") == head
    assert status(platform_repo) == ""


def test_a_confirmed_deregistration_removes_the_cluster_and_its_render(
    platform_repo: Path,
) -> None:
    before = (platform_repo / "platform.yaml").read_text()
    count = commits(platform_repo)
    result = deregister_cluster(
        platform_repo, "app2", confirm=True, author=AUTHOR, idempotency_key="bye-app2", push=False
    )
    assert result.status == "committed"
    assert commits(platform_repo) == count + 1
    tree = git(platform_repo, "ls-tree", "-r", "--name-only", "HEAD").split()
    assert "rendered/apps/clusters/app2.yaml" not in tree
    assert not any(path.startswith("rendered/manifests/app2/") for path in tree)
    assert "rendered/apps/clusters/app1.yaml" in tree
    # app2 is the last cluster: everything before it is the file as it was
    after = git(platform_repo, "show", "HEAD:platform.yaml")
    assert after == before[: before.index("  - name: app2\n")]
    assert status(platform_repo) == ""
    again = deregister_cluster(
        platform_repo, "app2", confirm=True, author=AUTHOR, idempotency_key="bye-app2", push=False
    )
    assert (again.status, again.commit, again.replayed) == ("committed", result.commit, True)


def test_an_unknown_cluster_is_refused(platform_repo: Path) -> None:
    with pytest.raises(InputError, match="no cluster named 'app9'"):
        deregister_cluster(platform_repo, "app9", confirm=True, author=AUTHOR, push=False)

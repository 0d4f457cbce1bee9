"""The fleet use cases over real Git repositories and a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from stackyard.app import (
    Fleet,
    PlatformExistsError,
    UnknownPlatformError,
    add_platform,
    assess_platform,
    incident_matrix,
    list_fleet,
    open_fleet,
    platform_history,
    platform_spec,
    read_platform,
)
from stackyard.errors import InputError
from tests.fleet_repos import git, git_identity, platform_repository
from tests.postgres import database_url, postgres

__all__ = ["database_url", "git_identity", "postgres"]


@pytest.fixture
def fleet(database_url: str, git_identity: None) -> Iterator[Fleet]:
    opened = open_fleet(database_url)
    yield opened
    opened.close()


def test_a_rendered_repository_joins_the_fleet_with_its_render_and_level(
    fleet: Fleet, tmp_path: Path
) -> None:
    repository = platform_repository(tmp_path / "poc")
    rendered = git(repository, "log", "-1", "--format=%H", "--", "rendered")

    summary = add_platform(fleet, repository, actor="ada")

    assert summary.name == "community-poc"
    assert (summary.edition, summary.provider, summary.distribution) == (
        "community",
        "onprem",
        "rke2",
    )
    assert summary.clusters == ("poc",)
    assert summary.rendered_commit == rendered
    assert summary.drift == ()
    assert summary.level
    assert (
        "ingress-nginx-public is retired upstream since 2026-03-31 (move to cilium-gateway-api)"
        in summary.warnings
    )
    (point,) = platform_history(fleet, "community-poc")
    assert point.commit == rendered
    assert point.level == summary.level
    assert set(point.areas) >= {"gitops-iac", "disaster-recovery"}
    (event,) = fleet.store.audit_events()
    assert (event.actor, event.action, event.platform) == ("ada", "platform.add", "community-poc")


def test_a_spec_changed_after_its_render_shows_drift(fleet: Fleet, tmp_path: Path) -> None:
    repository = platform_repository(tmp_path / "poc")
    add_platform(fleet, repository)
    spec = repository / "platform.yaml"
    spec.write_text(spec.read_text().replace("poc.example.internal", "lab.example.internal"))

    (summary,) = list_fleet(fleet).platforms

    assert summary.drift, "the rendered tree no longer matches the spec"
    assert any("differ from the spec" in w for w in summary.warnings)


def test_an_unrendered_repository_says_so(fleet: Fleet, tmp_path: Path) -> None:
    repository = platform_repository(tmp_path / "poc", rendered=False)
    summary = add_platform(fleet, repository)
    assert summary.rendered_commit is None
    assert summary.level is None
    assert "nothing rendered in rendered/ yet" in summary.warnings
    with pytest.raises(InputError, match="nothing is rendered"):
        assess_platform(fleet, "community-poc")


def test_every_new_rendered_commit_enters_the_history(fleet: Fleet, tmp_path: Path) -> None:
    repository = platform_repository(tmp_path / "poc")
    add_platform(fleet, repository)
    shutil.rmtree(repository / "rendered" / "manifests" / "poc" / "velero")
    git(repository, "add", "-A")
    git(repository, "commit", "--quiet", "-m", "drop velero manifests")
    newest = git(repository, "rev-parse", "HEAD")

    read_platform(fleet, "community-poc")
    history = platform_history(fleet, "community-poc")

    assert [p.commit for p in history][-1] == newest
    assert len(history) == 2


def test_an_uncommitted_rendered_folder_is_not_assessed_into_history(
    fleet: Fleet, tmp_path: Path
) -> None:
    repository = platform_repository(tmp_path / "poc")
    add_platform(fleet, repository)
    (repository / "rendered" / "README.md").write_text("edited by hand\n")
    with pytest.raises(InputError, match="not committed"):
        assess_platform(fleet, "community-poc")
    assert len(platform_history(fleet, "community-poc")) == 1


def test_reading_a_platform_shows_clusters_components_and_findings(
    fleet: Fleet, tmp_path: Path
) -> None:
    add_platform(fleet, platform_repository(tmp_path / "multi", "local-multicluster"))
    (summary,) = list_fleet(fleet).platforms
    assert summary.name == "local-multicluster"  # the spec's name
    detail = read_platform(fleet, summary.name)
    assert [c.name for c in detail.clusters] == list(summary.clusters)
    assert len(detail.clusters) > 1
    mgmt = next(c for c in detail.clusters if c.role == "mgmt")
    assert any(c.name == "argo-cd" for c in mgmt.components)
    assert all(c.namespace for c in mgmt.components)
    assert {a.area for a in detail.areas} >= {"gitops-iac"}
    assert all(1 <= a.rating <= 5 for a in detail.areas)
    document = detail.as_dict()
    assert document["schema"] == "stackyard.dev/fleet-platform/v1"
    assert platform_spec(fleet, summary.name).startswith("#")
    matrix = incident_matrix(fleet, summary.name)
    assert {row.target for row in matrix.matrix.rows} >= set(summary.clusters)


def test_a_platform_joins_once_and_unknown_ones_are_named(fleet: Fleet, tmp_path: Path) -> None:
    repository = platform_repository(tmp_path / "poc")
    add_platform(fleet, repository)
    with pytest.raises(PlatformExistsError):
        add_platform(fleet, repository)
    with pytest.raises(UnknownPlatformError, match="'nope'"):
        read_platform(fleet, "nope")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.mkdir(), "is not a Git repository"),
        (lambda p: None, "is not a folder"),
    ],
)
def test_a_folder_that_is_no_platform_repository_is_refused(
    fleet: Fleet, tmp_path: Path, make: object, message: str
) -> None:
    folder = tmp_path / "plain"
    make(folder)  # type: ignore[operator]
    with pytest.raises(InputError, match=message):
        add_platform(fleet, folder)
    assert list_fleet(fleet).platforms == ()


def test_a_spec_path_outside_the_repository_is_refused(fleet: Fleet, tmp_path: Path) -> None:
    repository = platform_repository(tmp_path / "poc", rendered=False)
    with pytest.raises(InputError, match="outside the repository"):
        add_platform(fleet, repository, spec_path="../other.yaml")

"""Fleet reads plan each repository state once and never show a stale one.

The fleet page must answer in milliseconds over fifty platforms, so a platform's summary is
saved in the store per state (HEAD and spec blob) and a request only checks that key.
These tests count the plans made (the real plan, wrapped) and change repositories the ways
users do: an edited spec, a new commit, a switched branch, packed refs.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stackyard.app import Fleet, add_platform, list_fleet, open_fleet, read_platform, repositories
from stackyard.app import fleet as fleet_module
from stackyard.app.repositories import blob_id, current_head, file_blob_id
from tests.fleet_repos import git, git_identity, platform_repository
from tests.postgres import database_url, postgres

__all__ = ["database_url", "git_identity", "postgres"]


@pytest.fixture
def fleet(database_url: str, git_identity: None) -> Iterator[Fleet]:
    opened = open_fleet(database_url)
    yield opened
    opened.close()


@pytest.fixture
def plans(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every spec the fleet plans from now on (the real plan runs)."""
    planned: list[Path] = []
    real: Callable[..., Any] = fleet_module.plan

    def counted(spec: Path, *args: Any, **kwargs: Any) -> Any:
        planned.append(spec)
        return real(spec, *args, **kwargs)

    monkeypatch.setattr(fleet_module, "plan", counted)
    return planned


def forget_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a new replica knows: only the store."""
    monkeypatch.setattr(fleet_module, "_readings", fleet_module._StateCache())
    monkeypatch.setattr(fleet_module, "_summaries_seen", fleet_module._StateCache())


def test_each_state_is_planned_once_and_saved_for_every_replica(
    fleet: Fleet, tmp_path: Path, plans: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    repository = platform_repository(tmp_path / "poc")
    added = add_platform(fleet, repository)
    made = len(plans)

    for _ in range(3):
        (summary,) = list_fleet(fleet).platforms
    assert summary == added
    assert read_platform(fleet, "community-poc").summary == added
    assert len(plans) == made, "reads of an unchanged platform plan nothing"

    forget_this_process(monkeypatch)
    (summary,) = list_fleet(fleet).platforms
    assert summary == added
    assert len(plans) == made, "another replica reads the saved summary"


def test_an_edited_spec_shows_at_once_and_its_commit_too(
    fleet: Fleet, tmp_path: Path, plans: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    repository = platform_repository(tmp_path / "poc")
    add_platform(fleet, repository)
    spec = repository / "platform.yaml"
    original = spec.read_text()

    spec.write_text(original.replace('version: "1.35"', 'version: "1.34"'))
    (edited,) = list_fleet(fleet).platforms
    assert edited.kubernetes_version == "1.34"
    assert edited.drift, "the render no longer matches the spec"

    git(repository, "commit", "--quiet", "-am", "Kubernetes 1.34")
    (committed,) = list_fleet(fleet).platforms
    assert committed.head == git(repository, "rev-parse", "HEAD") != edited.head

    spec.write_text(original)  # back to the first spec, committed: its key is new again
    git(repository, "commit", "--quiet", "-am", "Kubernetes 1.35")
    forget_this_process(monkeypatch)
    (back,) = list_fleet(fleet).platforms
    assert back.kubernetes_version == "1.35"
    assert back.head == git(repository, "rev-parse", "HEAD")
    assert read_platform(fleet, "community-poc").summary == back


def test_a_half_made_change_is_shown_but_not_saved(fleet: Fleet, tmp_path: Path) -> None:
    repository = platform_repository(tmp_path / "poc")
    add_platform(fleet, repository)
    spec = repository / "platform.yaml"
    spec.write_text(spec.read_text().replace('version: "1.35"', 'version: "1.34"'))

    (summary,) = list_fleet(fleet).platforms

    assert summary.kubernetes_version == "1.34"
    state = (git(repository, "rev-parse", "HEAD"), blob_id(spec.read_bytes()))
    assert fleet.store.readings({"community-poc": state}) == {}


def test_the_cheap_head_follows_commits_branches_and_packed_refs(
    tmp_path: Path, git_identity: None
) -> None:
    repository = tmp_path / "repo"
    repository.mkdir()
    assert current_head(repository) is None  # not a repository yet
    git(repository, "init", "--quiet", "--initial-branch=main")
    assert current_head(repository) is None  # no commit yet
    git(repository, "commit", "--quiet", "--allow-empty", "-m", "one")
    assert current_head(repository) == git(repository, "rev-parse", "HEAD")
    git(repository, "commit", "--quiet", "--allow-empty", "-m", "two")
    assert current_head(repository) == git(repository, "rev-parse", "HEAD")
    git(repository, "pack-refs", "--all")
    git(repository, "checkout", "--quiet", "-b", "side", "HEAD~1")
    assert current_head(repository) == git(repository, "rev-parse", "main~1")
    git(repository, "checkout", "--quiet", "--detach", "main")
    assert current_head(repository) == git(repository, "rev-parse", "main")
    git(repository, "checkout", "--quiet", "main")
    git(repository, "commit", "--quiet", "--allow-empty", "-m", "three")
    git(repository, "pack-refs", "--all")
    git(repository, "reset", "--quiet", "--hard", "HEAD~1")
    assert current_head(repository) == git(repository, "rev-parse", "HEAD")


def test_the_blob_id_is_gits() -> None:
    assert blob_id(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"


def test_the_kept_blob_id_of_a_file_follows_every_change_even_one_hiding_its_time(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "platform.yaml"
    spec.write_bytes(b"name: one\n")
    assert file_blob_id(str(spec)) == blob_id(b"name: one\n")
    settled = time.time() - 5
    os.utime(spec, (settled, settled))  # mtime settled; ctime is now, so not kept yet
    time.sleep(1.1)  # let the ctime settle too: the id is kept from here on
    assert file_blob_id(str(spec)) == blob_id(b"name: one\n")
    assert str(spec) in repositories._blobs
    assert file_blob_id(str(spec)) == blob_id(b"name: one\n")

    with spec.open("r+b") as rewritten:  # same size, in place, its mtime put back
        rewritten.write(b"name: two\n")
    os.utime(spec, (settled, settled))
    assert file_blob_id(str(spec)) == blob_id(b"name: two\n")  # the ctime moved

    spec.unlink()
    assert file_blob_id(str(spec)) is None


def test_a_service_pays_a_full_collection_per_new_state_and_freezes_what_it_keeps() -> None:
    cache: Any = fleet_module._StateCache()
    gc.unfreeze()
    try:
        cache.get("a", lambda: ["kept"], lambda: True)
        assert gc.get_freeze_count() == 0  # off by default: commands and tests keep few
        fleet_module.settle_collections()
        cache.get("b", lambda: ["kept"], lambda: True)
        frozen = gc.get_freeze_count()
        assert frozen > 0
        cache.get("b", lambda: ["again"], lambda: True)  # kept already: nothing new
        cache.get("c", lambda: ["moved"], lambda: False)  # not kept: no collection
        assert gc.get_freeze_count() == frozen
    finally:
        fleet_module.settle_collections(False)
        gc.unfreeze()

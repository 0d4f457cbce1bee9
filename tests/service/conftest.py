"""The fleet service over real platform repositories and a real store (SQLite and PostgreSQL).

Two platform repositories are made once per session (``community-poc`` with one cluster,
``local-multicluster`` with three) and only read by the tests; a test that changes a
repository makes its own. Each test gets an empty store of its own on both databases.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from stackyard.app import Fleet, add_platform, open_fleet
from stackyard.service import create_app
from tests.fleet_repos import GIT_IDENTITY, git_identity, platform_repository
from tests.postgres import database_url, postgres

__all__ = ["database_url", "git_identity", "postgres"]


@pytest.fixture(scope="session")
def repositories(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The two platform repositories every service test may read, by platform name."""
    root = tmp_path_factory.mktemp("platforms")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
        for key, value in GIT_IDENTITY.items():
            patch.setenv(key, value)
        return {
            "community-poc": platform_repository(root / "poc"),
            "local-multicluster": platform_repository(root / "multi", "local-multicluster"),
        }


@pytest.fixture
def fleet(database_url: str, git_identity: None) -> Iterator[Fleet]:
    """An empty fleet in this test's own database."""
    opened = open_fleet(database_url)
    yield opened
    opened.close()


@pytest.fixture
def full_fleet(fleet: Fleet, repositories: dict[str, Path]) -> Fleet:
    """The fleet with both repositories added."""
    for repository in repositories.values():
        add_platform(fleet, repository)
    return fleet


@pytest.fixture
def client(fleet: Fleet) -> Iterator[TestClient]:
    """An HTTP client of the service over ``fleet``."""
    with TestClient(create_app(fleet)) as test_client:
        yield test_client

"""The fleet service over real platform repositories and a real store (SQLite and PostgreSQL).

Two platform repositories are made once per session (``community-poc`` with one cluster,
``local-multicluster`` with three) and only read by the tests; a test that changes a
repository makes its own. Each test gets an empty store of its own on both databases.

Sign-in runs against a real OIDC provider process (``tests/oidc.py``), started once per
session (``oidc``); ``oidc_security`` is the service's security signing in with it, and
``OIDC_USERS`` are the users it knows, one per role and one whose groups grant none;
``service`` is the service on a real socket signing in with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from stackyard.app import Fleet, add_platform, open_fleet
from stackyard.service import create_app
from stackyard.service.security import Security, SecurityOptions, security_from_options
from tests.fleet_repos import GIT_IDENTITY, git_identity, platform_repository
from tests.oidc import CLIENT_ID, CLIENT_SECRET, OidcProvider, oidc_provider
from tests.postgres import database_url, postgres
from tests.service.live import live_service

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
def repository(tmp_path: Path, git_identity: None) -> Path:
    """A ``local-multicluster`` repository of this test's own, with room for a fourth cluster."""
    return platform_repository(tmp_path / "multi", "local-multicluster", roomy=True)


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


OIDC_USERS: dict[str, list[str]] = {
    "vera": ["stackyard-viewers"],
    "otto": ["/stackyard-operators", "staff"],  # Keycloak's full group path works too
    "ada": ["stackyard-admins"],
    "nemo": ["staff"],
}
"""The provider's users (their ``sub`` and ``preferred_username``) and their groups."""


@pytest.fixture(scope="session")
def oidc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    """A real OIDC provider on loopback, knowing ``OIDC_USERS``."""
    with oidc_provider(tmp_path_factory.mktemp("oidc")) as provider:
        for sub, groups in OIDC_USERS.items():
            provider.set_user(
                sub, preferred_username=sub, email=f"{sub}@example.com", groups=groups
            )
        yield provider


@pytest.fixture
def oidc_security(oidc: OidcProvider, tmp_path: Path) -> Security:
    """Sign-in through ``oidc``, as ``stackyard serve`` sets it up on loopback."""
    secret = tmp_path / "oidc-client-secret"
    secret.write_text(CLIENT_SECRET + "\n", encoding="utf-8")
    return security_from_options(
        SecurityOptions(
            host="127.0.0.1",
            data_dir=tmp_path / "data",
            oidc_issuer=oidc.issuer,
            oidc_client_id=CLIENT_ID,
            oidc_client_secret_file=secret,
        )
    )


@pytest.fixture
def service(fleet: Fleet, oidc_security: Security) -> Iterator[str]:
    """The service over ``fleet`` signing in through ``oidc``; its base URL."""
    with live_service(fleet, oidc_security) as base_url:
        yield base_url

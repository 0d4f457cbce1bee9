"""Real servers for the push tests: a distribution registry with TLS and htpasswd, a Git server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.gitserver import GitServer, start_git_server
from tests.registry import Registry, start_registry


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """docker-registry on a loopback port (TLS, htpasswd); a missing binary fails the tests."""
    server = start_registry(tmp_path_factory.mktemp("registry"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def git_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitServer]:
    """git http-backend over smart HTTP on a loopback port, with basic credentials."""
    server = start_git_server(tmp_path_factory.mktemp("git"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def token_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """docker-registry in token mode: it verifies the bearer tokens a test issuer signs."""
    server = start_registry(tmp_path_factory.mktemp("token-registry"), token=True)
    yield server
    server.stop()

"""Platform repositories for the registration tests: real Git, a spec and its render committed.

The template is built once per session (a render takes seconds) and copied per test, so
every test starts from the same committed platform: local-multicluster on a host large
enough for a fourth cluster, rendered into ``rendered/`` where its ``gitops.path`` points.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stackyard.app import ClusterAddresses, ClusterRegistration, render
from tests.conftest import EXAMPLES
from tests.gitserver import GitServer, start_git_server

AUTHOR = "Ann Operator <ann@example.com>"


def git(repository: Path, *args: str) -> str:
    """Run git in ``repository``; its stdout (fails the test when git fails)."""
    done = subprocess.run(
        ["git", "-C", str(repository), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def commits(repository: Path) -> int:
    """How many commits HEAD's history holds."""
    return int(git(repository, "rev-list", "--count", "HEAD"))


def status(repository: Path) -> str:
    """``git status --porcelain`` with untracked files: empty when the work tree is clean."""
    return git(repository, "status", "--porcelain", "--untracked-files=all")


def registration(name: str, number: int, **changes: Any) -> ClusterRegistration:
    """An app cluster beside the example's three, on addresses of its own (``number`` 3-6)."""
    fields: dict[str, Any] = {
        "name": name,
        "role": "app",
        "network": ClusterAddresses(
            node_range=f"192.168.64.{number}0-192.168.64.{number}9",
            service_cidr=f"10.{96 + number}.0.0/16",
            pod_cidr=f"10.{100 + number}.0.0/16",
            node_subnet="192.168.64.0/24",
            load_balancer_pool=f"192.168.64.1{number}0-192.168.64.1{number}9",
        ),
        "node_pools": (
            {"name": "cp", "role": "control-plane", "count": 1, "cpu": 2, "memory": "3Gi"},
            {"name": "worker", "count": 1, "cpu": 2, "memory": "4Gi"},
        ),
        "labels": {"team": "payments"},
    }
    return ClusterRegistration(**{**fields, **changes})


@pytest.fixture(scope="session")
def platform_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A committed platform repository: spec and rendered tree (never changed by a test)."""
    repository = tmp_path_factory.mktemp("template") / "platform"
    repository.mkdir()
    git(repository, "init", "-q", "-b", "main")
    git(repository, "config", "user.name", "Platform Service")
    git(repository, "config", "user.email", "service@example.com")
    text = (EXAMPLES / "local-multicluster.yaml").read_text()
    text = text.replace("\n  memory: 64Gi\n", "\n  memory: 160Gi\n", 1)  # room for more VMs
    text = text.replace("\n  path: .\n", "\n  path: rendered\n", 1)
    (repository / "platform.yaml").write_text(text)
    git(repository, "add", "platform.yaml")
    git(repository, "commit", "-q", "-m", "Platform spec")
    render(repository / "platform.yaml", repository / "rendered", commit=True)
    return repository


@pytest.fixture
def platform_repo(platform_template: Path, tmp_path: Path) -> Path:
    """A copy of the template repository this test may change."""
    copy = tmp_path / "platform"
    shutil.copytree(platform_template, copy, symlinks=True)
    return copy


@pytest.fixture
def remote(platform_repo: Path, tmp_path: Path) -> Path:
    """A bare repository the platform pushes to (``origin``), holding its main branch."""
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    git(platform_repo, "remote", "add", "origin", str(bare))
    git(platform_repo, "push", "-q", "origin", "main")
    return bare


@pytest.fixture(scope="session")
def git_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitServer]:
    """git http-backend over smart HTTP on a loopback port, with basic credentials."""
    server = start_git_server(tmp_path_factory.mktemp("git"))
    yield server
    server.stop()

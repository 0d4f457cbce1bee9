"""Real platform repositories for the fleet tests: a Git work tree with a spec and a render.

:func:`platform_repository` copies an example spec to ``platform.yaml`` at the top of a new
repository (its ``gitops.path`` pointed at ``rendered``), commits it, and renders it into
``rendered/`` with ``stackyard.app.render(commit=True)``, as a user would.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from stackyard.app import render
from tests.conftest import EXAMPLES

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Fleet Test",
    "GIT_AUTHOR_EMAIL": "fleet@example.com",
    "GIT_COMMITTER_NAME": "Fleet Test",
    "GIT_COMMITTER_EMAIL": "fleet@example.com",
}


def git(repository: Path, *args: str) -> str:
    """Run git in ``repository`` with a fixed identity; its stdout."""
    result = subprocess.run(
        ["git", "-C", str(repository), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **GIT_IDENTITY},
    )
    return result.stdout.strip()


def platform_repository(
    folder: Path,
    example: str = "community-poc",
    *,
    name: str | None = None,
    rendered: bool = True,
    roomy: bool = False,
) -> Path:
    """A platform repository at ``folder`` from ``examples/<example>.yaml``, rendered if asked.

    ``roomy``: the local example's host gets memory for more clusters' VMs.
    """
    folder.mkdir(parents=True)
    text = (EXAMPLES / f"{example}.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^(  path:) \.$", r"\1 rendered", text, count=1)
    if roomy:
        text = text.replace("\n  memory: 64Gi\n", "\n  memory: 160Gi\n", 1)
    if name is not None:
        text = re.sub(r"(?m)^name: \S+$", f"name: {name}", text, count=1)
    (folder / "platform.yaml").write_text(text, encoding="utf-8")
    shutil.copytree(EXAMPLES / "apis", folder / "apis")  # the OpenAPI documents specs name
    git(folder, "init", "--quiet", "--initial-branch=main")
    git(folder, "add", "platform.yaml", "apis")
    git(folder, "commit", "--quiet", "-m", "the platform spec")
    if rendered:  # render's own commit takes its identity from the environment
        render(folder / "platform.yaml", folder / "rendered", commit=True)
    return folder


@pytest.fixture
def git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """Git sees no global configuration, only the test identity from the environment."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)


def app_cluster(name: str, number: int) -> dict[str, Any]:
    """An app cluster beside local-multicluster's three, on addresses of its own (4-6)."""
    return {
        "name": name,
        "role": "app",
        "network": {
            "nodeSubnet": "192.168.64.0/24",
            "nodeRange": f"192.168.64.{number}0-192.168.64.{number}9",
            "podCIDR": f"10.{100 + number}.0.0/16",
            "serviceCIDR": f"10.{96 + number}.0.0/16",
            "loadBalancerPool": f"192.168.64.1{number}0-192.168.64.1{number}9",
        },
        "nodePools": [
            {"name": "cp", "role": "control-plane", "count": 1, "cpu": 2, "memory": "3Gi"},
            {"name": "worker", "count": 1, "cpu": 2, "memory": "4Gi"},
        ],
        "labels": {"team": "payments"},
    }

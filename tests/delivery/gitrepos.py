"""The committed GitOps repositories the delivery tests bundle: ``git`` run as a user would."""

from __future__ import annotations

import subprocess
from pathlib import Path

IDENTITY = ("-c", "user.name=platform team", "-c", "user.email=platform@example.org")


def git(folder: Path, *args: str) -> str:
    """``git -C folder ARGS``'s output, stripped; a failure fails the test."""
    result = subprocess.run(
        ["git", "-C", str(folder), *args], capture_output=True, check=True, text=True
    )
    return result.stdout.strip()


def commit_tree(folder: Path) -> str:
    """Make ``folder`` (holding a rendered tree) a repository with one commit; its hash."""
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", "-A")
    git(folder, *IDENTITY, "commit", "-qm", "render")
    return git(folder, "rev-parse", "HEAD")

"""The committed GitOps repositories the delivery tests bundle: ``git`` run as a user would."""

from __future__ import annotations

from pathlib import Path

from tests.fleet_repos import git


def commit_tree(folder: Path) -> str:
    """Make ``folder`` (holding a rendered tree) a repository with one commit; its hash."""
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", "-A")
    git(folder, "commit", "-qm", "render")
    return git(folder, "rev-parse", "HEAD")

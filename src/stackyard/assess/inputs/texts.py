"""Text inputs searched line by line: CI pipelines, scripts, templates, user_data.

CI files are read as text, not as YAML: GitLab's ``!reference`` tags and the
expression syntax of several CI systems are not plain YAML, and the detectors
only ask "does a pipeline run cosign / syft / terraform validate?". Scripts,
templates and Terraform heredocs are kept the same way so that a command such as
``etcdctl snapshot save`` is found wherever it is written, with its line.
Each kept text is capped in lines to keep memory flat.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

from stackyard.assess.model import Evidence

MAX_LINES = 5000
TextKind = Literal["ci", "script", "user-data"]


@dataclass(frozen=True)
class TextFile:
    """Lines of a text input and the line its first line has in its file."""

    kind: TextKind
    system: str  # CI system, or what the text is ("script", "terraform user_data")
    file: str
    lines: tuple[str, ...]
    first_line: int = 1

    def search(self, pattern: re.Pattern[str]) -> list[Evidence]:
        """Every line matching ``pattern``, as evidence (comments skipped)."""
        found = []
        for i, line in enumerate(self.lines):
            if line.lstrip().startswith(("#", "//")):
                continue
            if pattern.search(line):
                number = self.first_line + i
                found.append(Evidence(self.file, number, number, line.strip()[:120]))
        return found


def ci_system(relative: str) -> str:
    """The CI system a CI file belongs to."""
    posix = PurePosixPath(relative)
    name = posix.name.lower()
    if ".github" in posix.parts:
        return "GitHub Actions"
    if name.endswith(".gitlab-ci.yml"):
        return "GitLab CI"
    if name == "jenkinsfile":
        return "Jenkins"
    if ".circleci" in posix.parts:
        return "CircleCI"
    if ".woodpecker" in posix.parts or name.startswith(".woodpecker."):
        return "Woodpecker"
    if ".gitea" in posix.parts:
        return "Gitea Actions"
    if ".forgejo" in posix.parts:
        return "Forgejo Actions"
    if name in ("atlantis.yaml", "atlantis.yml", "repos.yaml"):
        return "Atlantis"
    return {
        "azure-pipelines.yml": "Azure Pipelines",
        "bitbucket-pipelines.yml": "Bitbucket Pipelines",
        ".drone.yml": "Drone",
        "cloudbuild.yaml": "Cloud Build",
        "buildspec.yml": "CodeBuild",
    }.get(name, "CI")


def text_file(kind: TextKind, system: str, file: str, text: str, first_line: int = 1) -> TextFile:
    """Keep ``text`` for searching (at most ``MAX_LINES`` lines)."""
    return TextFile(kind, system, file, tuple(text.splitlines()[:MAX_LINES]), first_line)

"""CI systems that read every YAML file of a folder: Woodpecker, Gitea and Forgejo Actions.

The workflows are written in the style of self-hosted homelab repositories (a Woodpecker
pipeline running pre-commit on pull requests, a Forgejo workflow), not copied from one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.assess import assess_directory
from tests.assess.maturity.conftest import control

WOODPECKER = """\
when:
  branch: ${CI_REPO_DEFAULT_BRANCH}

steps:
  pre-commit:
    image: ghcr.io/lab-example/pre-commit:3.8
    commands:
      - pre-commit run --all-files
    when:
      - event: pull_request
"""
FORGEJO = """\
on: [pull_request]
jobs:
  lint:
    runs-on: docker
    steps:
      - uses: actions/checkout@v4
      - run: helm lint charts/*
"""


@pytest.mark.parametrize(
    ("path", "text", "system", "line"),
    [
        (".woodpecker/static-checks.yaml", WOODPECKER, "Woodpecker", 8),
        (".forgejo/workflows/lint.yml", FORGEJO, "Forgejo Actions", 7),
        (".gitea/workflows/lint.yaml", FORGEJO, "Gitea Actions", 7),
    ],
)
def test_a_workflow_folder_is_a_pipeline_that_validates(
    tmp_path: Path, path: str, text: str, system: str, line: int
) -> None:
    (tmp_path / path).parent.mkdir(parents=True)
    (tmp_path / path).write_text(text, encoding="utf-8")

    assessment = assess_directory(tmp_path)

    # Before, only .woodpecker.yml at the root was a pipeline: CI/CD rated 1.
    pipeline = control(assessment, "CICD-PIPELINE")
    assert pipeline.status == "achieved"
    assert pipeline.detail == f"1 pipelines ({system})"
    checks = control(assessment, "CICD-CHECKS")
    assert checks.status == "achieved"
    assert [(e.file, e.line) for e in checks.evidence] == [(path, line)]
    assert assessment.area("cicd").rating == 3


def test_woodpecker_yaml_at_the_root_is_a_pipeline(tmp_path: Path) -> None:
    (tmp_path / ".woodpecker.yaml").write_text(WOODPECKER, encoding="utf-8")

    pipeline = control(assess_directory(tmp_path), "CICD-PIPELINE")

    assert pipeline.status == "achieved"
    assert pipeline.evidence[0].file == ".woodpecker.yaml"


GITHUB = """\
name: CI
on: [pull_request]
jobs:
  validate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: kubeconform -strict manifests/
"""


@pytest.mark.parametrize(
    "path",
    [
        "temp-apps/hello/.github/workflows/ci.yaml",  # a generated application kept as an example
        "templates/service/skeleton/.github/workflows/ci.yaml",  # a Backstage skeleton
        "apps/web/.woodpecker/lint.yaml",
    ],
)
def test_a_workflow_below_the_root_never_runs(tmp_path: Path, path: str) -> None:
    (tmp_path / path).parent.mkdir(parents=True)
    (tmp_path / path).write_text(GITHUB, encoding="utf-8")

    assessment = assess_directory(tmp_path)

    # Before, a reference implementation rated CI/CD 3 from its service skeletons alone.
    assert control(assessment, "CICD-PIPELINE").status == "missing"
    assert assessment.area("cicd").rating == 1


def test_a_template_projects_workflows_are_the_generated_repositorys(tmp_path: Path) -> None:
    path = tmp_path / "{{cookiecutter.project_slug}}" / ".github" / "workflows" / "ci.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(GITHUB, encoding="utf-8")

    assert control(assess_directory(tmp_path), "CICD-CHECKS").status == "achieved"

"""The field check script compares expert ratings with assessments, offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.benchmark_scripts import load_benchmark

ROOT = Path(__file__).resolve().parents[2]
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def expectations(path: Path, gitops: int) -> Path:
    """An expectations file for one repository, rating GitOps ``gitops``."""
    path.write_text(
        f"""\
repositories:
  - name: example/lab
    commit: {COMMIT}
    areas:
      gitops-iac: {{rating: {gitops}, reason: "a Flux root Kustomization and nothing else"}}
      secrets: {{rating: 1, reason: "none"}}
""",
        encoding="utf-8",
    )
    return path


def lab(root: Path) -> Path:
    """A tiny Flux repository: one root Kustomization (GitOps rated 2)."""
    folder = root / "example+lab" / "clusters" / "lab"
    folder.mkdir(parents=True)
    (folder / "apps.yaml").write_text(
        """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
""",
        encoding="utf-8",
    )
    return root / "example+lab"


def test_ratings_within_one_level_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    field = load_benchmark("field")
    repo = lab(tmp_path)
    code = field.main(["--expectations", str(expectations(tmp_path / "e.yaml", 3)), str(repo)])
    out = capsys.readouterr().out
    assert code == 0
    assert "gitops-iac" in out and "expected 3  actual 2  ±1" in out


def test_an_area_two_levels_off_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    field = load_benchmark("field")
    repo = lab(tmp_path)
    args = ["--expectations", str(expectations(tmp_path / "e.yaml", 4)), f"example/lab={repo}"]
    assert field.main(args) == 1
    assert "expected 4  actual 2  FAIL" in capsys.readouterr().out


def test_a_folder_of_no_listed_repository_is_bad_input(tmp_path: Path) -> None:
    field = load_benchmark("field")
    other = tmp_path / "someone+else"
    other.mkdir()
    assert (
        field.main(["--expectations", str(expectations(tmp_path / "e.yaml", 2)), str(other)]) == 2
    )


def test_the_recorded_expectations_file_is_valid() -> None:
    field = load_benchmark("field")
    recorded = field.load_expectations(ROOT / "tests" / "assess" / "field-expectations.yaml")
    assert len(recorded.repositories) >= 4
    assert all(len(r.areas) == 15 for r in recorded.repositories)

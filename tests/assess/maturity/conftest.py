"""Maturity-assessment fixtures: the seed 001 repository assessed once, a tree writer."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from stackyard.assess import Assessment, assess_directory
from stackyard.assess.inputs import RepositoryIndex, index_repository
from stackyard.assess.model import ControlResult, Notice

REPOS = Path(__file__).resolve().parents[1] / "repos"
SEED001 = REPOS / "seed001"
CORPUS = sorted(p.name for p in REPOS.iterdir() if p.is_dir())

WriteTree = Callable[[dict[str, str | bytes]], Path]


@pytest.fixture(scope="session")
def seed001() -> Assessment:
    """The hand-written repository that reproduces seed 001, assessed."""
    return assess_directory(SEED001)


@functools.cache
def corpus(name: str) -> Assessment:
    """A repository of ``tests/assess/repos``, assessed once per session (it is frozen)."""
    return assess_directory(REPOS / name)


@pytest.fixture
def write_tree(tmp_path: Path) -> WriteTree:
    """Write files (text or bytes) under a fresh folder and return the folder."""

    def write(files: dict[str, str | bytes]) -> Path:
        root = tmp_path / "repo"
        root.mkdir(exist_ok=True)
        return write_files(root, files)

    return write


def write_files(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write files (text or bytes) under ``root`` and return ``root``."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def assess_files(root: Path, files: Mapping[str, str]) -> Assessment:
    """Write ``files`` under ``root`` and assess it in this process."""
    return assess_directory(write_files(root, files), workers=0)


def control(assessment: Assessment, control_id: str) -> ControlResult:
    """The verdict on one control."""
    return next(c for a in assessment.areas for c in a.controls if c.control == control_id)


def spans(result: ControlResult) -> list[tuple[str, int, int]]:
    """Where a verdict's evidence lies: file, first and last line."""
    return [(e.file, e.line, e.end_line) for e in result.evidence]


def assert_within_one(assessment: Assessment, area: str, expected: int) -> None:
    """An area's rating is within one of the expert reading of its repository."""
    assert abs(assessment.area(area).rating - expected) <= 1, assessment.area(area)


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: app
          image: nginx:1.27
"""


def index(root: Path) -> tuple[RepositoryIndex, list[Notice]]:
    """Index ``root`` as assess does; the notices it gave beside."""
    notices: list[Notice] = []
    return index_repository(root, notices), notices


def messages(notices: list[Notice], file: str) -> list[str]:
    """The notices about one file."""
    return [n.message for n in notices if n.file == file]

"""Validate keeps the tree it read out of Python's cyclic collector, and gives it back.

Reading pauses the collector (the tree is a large heap without cycles) and later checks
run with the tree frozen out of collections; after the run, successful or not, the
collector is as it was and nothing is left frozen.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from stackyard.errors import InputError
from stackyard.validate import run
from stackyard.validate.repository import Repository, read_repository

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  ports:
    - port: 80
      protocool: TCP
"""


def _tree(root: Path) -> Path:
    (root / "manifests").mkdir()
    (root / "manifests" / "web.yaml").write_text(SERVICE, encoding="utf-8")
    return root


def test_reading_pauses_the_collector_and_the_run_restores_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, object] = {}

    def reading(root: Path, progress: object) -> Repository:
        seen["enabled while reading"] = gc.isenabled()
        return read_repository(root)

    monkeypatch.setattr(run, "read_repository", reading)
    assert gc.isenabled()
    report = run.validate_directory(_tree(tmp_path))
    assert seen == {"enabled while reading": False}
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    (finding,) = [f for f in report.findings if "protocool" in f.message]
    assert (Path(finding.location.file).name, finding.location.line) == ("web.yaml", 9)


def test_a_failed_run_leaves_the_collector_as_it_was(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no Kubernetes schemas"):
        run.validate_directory(_tree(tmp_path), kubernetes_version="1.2")
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_disabled_collector_stays_disabled(tmp_path: Path) -> None:
    gc.disable()
    try:
        run.validate_directory(_tree(tmp_path))
        assert not gc.isenabled()
    finally:
        gc.enable()

"""Parsing ahead in worker processes changes the speed of an assessment, never its result."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from stackyard.app import AssessRequest
from stackyard.assess import assess_directory
from stackyard.assess.inputs import reading
from stackyard.assess.inputs.walk import SourceFile, walk
from stackyard.cli.commands.assess import AssessOutput, assess_command
from tests.assess.maturity.conftest import SEED001


@pytest.fixture
def odd_repository(tmp_path: Path) -> Path:
    """Seed 001's repository plus files that raise notices and a kubectl export."""
    root = tmp_path / "repo"
    shutil.copytree(SEED001, root)
    (root / "odd").mkdir()
    (root / "odd" / "binary.yaml").write_bytes(b"\x00\x01kind: x\n")
    (root / "odd" / "broken.yaml").write_text("a: 1\n---\nb: [\n", encoding="utf-8")
    (root / "odd" / "dup.yaml").write_text("a: 1\na: 2\n", encoding="utf-8")
    (root / "odd" / "latin1.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    items = "\n".join(
        f"  - {{apiVersion: apps/v1, kind: Deployment, metadata: {{name: w{i}, namespace: n}},"
        f" spec: {{template: {{spec: {{containers: [{{name: c, image: 'x:latest'}}]}}}}}}}}"
        for i in range(5)
    )
    (root / "odd" / "export.yaml").write_text(
        f"apiVersion: v1\nkind: List\nitems:\n{items}\n", encoding="utf-8"
    )
    return root


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start workers after two files and hand them three at a time: every path is taken."""
    monkeypatch.setattr(reading, "PARALLEL_FROM", 2)
    monkeypatch.setattr(reading, "BATCH", 3)


def report(root: Path, workers: int) -> dict[str, Any]:
    return assess_directory(root, workers=workers).as_dict()


@pytest.mark.usefixtures("small_batches")
def test_workers_give_the_same_report_as_one_process(odd_repository: Path) -> None:
    alone = report(odd_repository, 0)
    assert alone == report(odd_repository, 1) == report(odd_repository, 2)
    files = {n["file"] for n in alone["notices"]}
    assert {"odd/binary.yaml", "odd/broken.yaml", "odd/dup.yaml", "odd/latin1.yaml"} <= files
    exported = [f for f in alone["workloadFindings"] if f["evidence"]["file"] == "odd/export.yaml"]
    assert len({f["object"] for f in exported}) == 5


@pytest.mark.usefixtures("small_batches")
def test_files_come_back_in_walk_order_with_their_notices(odd_repository: Path) -> None:
    sources = list(walk(odd_repository, []))
    read = list(reading.read_sources(sources, workers=2))
    assert [r.source for r in read] == sources
    by_file = {r.source.relative: r for r in read}
    assert by_file["odd/binary.yaml"].text is None
    assert by_file["odd/broken.yaml"].parsed and len(by_file["odd/broken.yaml"].documents) == 1
    assert "duplicate key" in by_file["odd/dup.yaml"].notices[0].message


def _die_in_workers(batch: list[SourceFile]) -> list[reading.ReadFile]:
    if os.getpid() != PARENT:
        os._exit(3)  # a worker killed mid-batch (out of memory, signal)
    return [reading.read_source(source) for source in batch]


PARENT = os.getpid()


@pytest.mark.usefixtures("small_batches")
def test_a_dying_worker_costs_time_not_files(
    odd_repository: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = report(odd_repository, 0)
    monkeypatch.setattr(reading, "_read_batch", _die_in_workers)  # workers fork with it
    assert report(odd_repository, 1) == expected


class _NoProcesses:
    """An executor on a machine that refuses new processes (a ulimit, a sandbox)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def __enter__(self) -> _NoProcesses:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, *args: object) -> None:
        raise OSError(11, "Resource temporarily unavailable")


def _no_semaphores(*args: object, **kwargs: object) -> None:
    raise OSError(38, "Function not implemented")  # no /dev/shm


@pytest.mark.usefixtures("small_batches")
@pytest.mark.parametrize("executor", [_NoProcesses, _no_semaphores])
def test_without_worker_processes_everything_is_read_here(
    odd_repository: Path, monkeypatch: pytest.MonkeyPatch, executor: object
) -> None:
    expected = report(odd_repository, 0)
    monkeypatch.setattr(reading, "ProcessPoolExecutor", executor)
    assert report(odd_repository, 2) == expected


def test_a_small_repository_never_starts_a_worker(
    odd_repository: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_pool(*args: object, **kwargs: object) -> None:
        raise AssertionError("a worker pool was started")

    monkeypatch.setattr(reading, "ProcessPoolExecutor", no_pool)
    sources = list(walk(odd_repository, []))
    assert len(sources) < reading.PARALLEL_FROM
    assert len(list(reading.read_sources(sources, workers=4))) == len(sources)


@pytest.mark.usefixtures("small_batches")
def test_jobs_option_reaches_the_reader(
    odd_repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = []
    for jobs in (0, 2):
        request = AssessRequest(jobs=jobs)
        assert assess_command(odd_repository, request, AssessOutput.json) == 0
        outputs.append(json.loads(capsys.readouterr().out))
    assert outputs[0] == outputs[1]

"""``assess --jobs`` never asks for more worker processes than there are spare cores."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stackyard.app import capped_jobs
from stackyard.assess.inputs.reading import PARALLEL_FROM, spare_cores

SECONDS = 120  # generous for a shared CI machine


def _parent(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:  # gone meanwhile
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])  # the name may hold spaces and ")"


def _descendants(root: int) -> int:
    parents = {int(p): _parent(int(p)) for p in os.listdir("/proc") if p.isdigit()}
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return len(found)


def test_a_larger_jobs_is_lowered_to_the_spare_cores_with_a_notice() -> None:
    spare = spare_cores()
    jobs, notice = capped_jobs(100_000)
    assert jobs == spare and notice.startswith(f"notice: --jobs 100000 lowered to {spare}")
    assert capped_jobs(None) == (None, "") and capped_jobs(0) == (0, "")
    assert capped_jobs(spare) == (spare, "")  # nothing to say when it fits


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="counts processes in /proc")
def test_jobs_100000_starts_no_more_workers_than_spare_cores(tmp_path: Path) -> None:
    repository = tmp_path / "repo"
    repository.mkdir()
    for index in range(PARALLEL_FROM * 4):  # enough files that workers start
        (repository / f"cm{index}.yaml").write_text(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm{index}}}\n", "utf-8"
        )
    env = {**os.environ, "STACKYARD_LOG_DIR": str(tmp_path / "crash-logs")}
    command = [sys.executable, "-m", "stackyard", "assess", str(repository), "--jobs", "100000"]
    child = subprocess.Popen(
        [*command, "-o", "json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    most = 0
    deadline = time.monotonic() + SECONDS
    while child.poll() is None:
        most = max(most, _descendants(child.pid))
        if time.monotonic() > deadline:
            child.kill()
            child.wait()
            pytest.fail(f"assess --jobs 100000 ran over {SECONDS} s")
        time.sleep(0.005)
    _, stderr = child.communicate()
    assert child.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert f"--jobs 100000 lowered to {spare_cores()}" in stderr
    assert most <= spare_cores()

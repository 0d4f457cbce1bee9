"""Real processes racing and dying: renders never lose overrides/, .git or unknown files.

These start ``python -m stackyard render`` as separate processes, as a team's CI and a
colleague's laptop would, and kill them with SIGKILL; nothing is simulated.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from stackyard.plan import make_plan
from stackyard.render import RenderedTree, RenderMetadata, check_tree
from stackyard.render.build import render_metadata, render_plan
from stackyard.render.marker import JOURNAL, LOCK
from stackyard.spec import load_spec
from tests.render.conftest import EXAMPLES

ROOT = Path(__file__).resolve().parents[2]
OVERRIDE = "overrides/values/common/grafana.yaml"
UNKNOWN = "NOTES.md"


def _fleet_spec(app_clusters: int) -> str:
    """The benchmarks' generated fleet (one mgmt and N app clusters), shared, not copied."""
    spec = importlib.util.spec_from_file_location("fleet", ROOT / "benchmarks" / "fleet.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text: str = module.fleet_spec(app_clusters)
    return text


def _start(spec: Path, out: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "stackyard", "render", str(spec), str(out), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run(spec: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stackyard", "render", str(spec), str(out), *extra],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _rendered(spec: Path) -> tuple[RenderedTree, RenderMetadata]:
    """What ``render`` writes for ``spec`` (as ``--check`` computes it, in this process)."""
    plan = make_plan(load_spec(spec))
    digest = hashlib.sha256(spec.read_bytes()).hexdigest()
    return render_plan(plan), render_metadata(plan, f"sha256:{digest}")


def _user_files(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in (OVERRIDE, UNKNOWN)}


def _plant_user_files(out: Path) -> dict[str, bytes]:
    (out / OVERRIDE).parent.mkdir(parents=True)
    (out / OVERRIDE).write_text("replicas: 2\n")
    (out / UNKNOWN).write_text("the team's own notes\n")
    return _user_files(out)


def _leftovers(out: Path) -> list[str]:
    inside = [str(p) for p in out.rglob("*") if ".stackyard-tmp-" in p.name]
    beside = [str(p) for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.stackyard")]
    return inside + beside + [name for name in (JOURNAL, LOCK) if (out / name).exists()]


def test_concurrent_render_pairs_never_lose_overrides_or_unknown_files(tmp_path: Path) -> None:
    first = EXAMPLES / "community-poc.yaml"
    second = tmp_path / "second.yaml"
    text = first.read_text()
    second.write_text(text.replace("domain: ", "domain: second.", 1))
    assert second.read_text() != text
    out = tmp_path / "out"
    out.mkdir()
    kept = _plant_user_files(out)
    expected = {spec: _rendered(spec) for spec in (first, second)}
    for pair in range(10):
        spec = first if pair % 2 == 0 else second
        processes = [_start(spec, out), _start(spec, out)]
        for process in processes:
            _, stderr = process.communicate(timeout=300)
            assert process.returncode in (0, 2), stderr
            assert "Traceback" not in stderr
            if process.returncode == 2:
                assert "another render" in stderr and "held its lock" in stderr
        assert _user_files(out) == kept, f"pair {pair}"
        tree, metadata = expected[spec]
        assert check_tree(tree, out, metadata) == [], f"pair {pair}"
        assert _leftovers(out) == []


def _git(repo: Path, *args: str) -> str:
    environment = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, env=environment
    ).stdout


def _hashes(out: Path) -> dict[str, str]:
    """SHA-256 of every regular file a render may have written (not .git, not the user's)."""
    found = {}
    for path in out.rglob("*"):
        relative = path.relative_to(out).as_posix()
        if relative.startswith((".git/", "overrides/")) or not path.is_file():
            continue
        if relative in (UNKNOWN, JOURNAL, LOCK) or ".stackyard-tmp-" in path.name:
            continue
        found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _kill_when(process: subprocess.Popen[str], ready: Path | None, delay: float) -> None:
    """SIGKILL ``process`` ``delay`` seconds after ``ready`` appears (or after start)."""
    deadline = time.monotonic() + 120
    while ready is not None and not ready.exists():
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline
        time.sleep(0.005)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL


def test_renders_killed_mid_write_lose_nothing_and_the_next_render_cleans_up(
    tmp_path: Path,
) -> None:
    fleet = _fleet_spec(100)
    spec_a, spec_b = tmp_path / "fleet-a.yaml", tmp_path / "fleet-b.yaml"
    spec_a.write_text(fleet)
    spec_b.write_text(fleet.replace("domain: fleet.example.com", "domain: b.fleet.example.com"))
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    kept = _plant_user_files(repo)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "the team's first commit")
    head = _git(repo, "rev-parse", "HEAD")

    assert _run(spec_a, repo).returncode == 0
    rendered_a = _hashes(repo)
    snapshots = []
    journal = repo / JOURNAL
    for spec, ready, delay in [
        (spec_b, journal, 0.0),  # the first files of a changed tree are being replaced
        (spec_a, journal, 0.4),  # half-way back, over a mix of both trees
        (spec_b, None, 0.5),  # still planning: nothing may change at all
    ]:
        _kill_when(_start(spec, repo), ready, delay)
        assert _user_files(repo) == kept
        assert _git(repo, "rev-parse", "HEAD") == head
        snapshots.append(_hashes(repo))
    assert journal.exists()  # the kills did interrupt a write

    final = _run(spec_b, repo)
    assert final.returncode == 0, final.stderr
    assert re.search(r"removed \d+ leftovers? of an interrupted render", final.stderr)
    rendered_b = _hashes(repo)
    for snapshot in snapshots:  # every file was whole: one render's version or the other's
        for path, digest in snapshot.items():
            assert digest in (rendered_a.get(path), rendered_b.get(path)), path
    assert _leftovers(repo) == []
    assert _user_files(repo) == kept
    assert _git(repo, "rev-parse", "HEAD") == head
    assert _git(repo, "log", "--format=%s").strip() == "the team's first commit"
    check = _run(spec_b, repo, "--check")
    assert check.returncode == 0, check.stdout


def test_a_lock_released_by_a_killed_holder_is_taken_at_once(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    spec = EXAMPLES / "community-poc.yaml"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from stackyard.fsio.lock import "
            "exclusive_lock\nwith exclusive_lock(Path(sys.argv[1]), timeout=5, busy='b'):\n"
            "    print('held', flush=True); time.sleep(600)",
            str(out / LOCK),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    holder.stdout.close()
    waiter = _start(spec, out)
    assert waiter.stderr is not None
    assert waiter.stderr.readline() == f"waiting for another render of {out}\n"
    assert waiter.poll() is None
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    _, rest = waiter.communicate(timeout=120)
    assert waiter.returncode == 0, rest
    assert "waiting" not in rest  # said once
    assert not (out / LOCK).exists()

"""Changes to one repository queue behind its lock: none is lost, the repository stays sound."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from stackyard.app import ChangeResult, register_cluster
from stackyard.spec import load_spec
from tests.registration.conftest import AUTHOR, commits, git, registration, status

_REGISTER = """
import sys
from pathlib import Path
from stackyard.app import register_cluster
from tests.registration.conftest import AUTHOR, registration
result = register_cluster(Path(sys.argv[1]), registration(sys.argv[2], int(sys.argv[3])),
                          author=AUTHOR, push=False)
print(result.status)
"""


def assert_sound(repository: Path) -> None:
    """``git fsck --strict`` finds nothing wrong in ``repository``."""
    fsck = subprocess.run(["git", "-C", str(repository), "fsck", "--strict"], capture_output=True)
    assert fsck.returncode == 0, fsck.stderr


def _names(repository: Path) -> list[str]:
    return [c.name for c in load_spec(repository / "platform.yaml").platform.clusters]


def test_two_threads_registering_at_once_both_land(platform_repo: Path) -> None:
    count = commits(platform_repo)

    def register(name: str, number: int) -> ChangeResult:
        return register_cluster(
            platform_repo, registration(name, number), author=AUTHOR, push=False
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(register, "app3", 4), pool.submit(register, "app4", 5)]
        results = [future.result() for future in futures]
    assert [r.status for r in results] == ["committed", "committed"]
    assert commits(platform_repo) == count + 2
    assert sorted(_names(platform_repo)) == ["app1", "app2", "app3", "app4", "mgmt"]
    assert {r.commit for r in results} == set(git(platform_repo, "rev-list", "-2", "HEAD").split())
    assert status(platform_repo) == ""
    assert_sound(platform_repo)


def test_two_processes_registering_at_once_both_land(platform_repo: Path) -> None:
    count = commits(platform_repo)
    root = Path(__file__).resolve().parents[2]
    path = os.pathsep.join([str(root / "src"), str(root), os.environ.get("PYTHONPATH", "")])
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", _REGISTER, str(platform_repo), name, str(number)],
            cwd=root,
            env={**os.environ, "PYTHONPATH": path},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, number in (("app3", 4), ("app4", 5))
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [out.strip() for out, _ in outputs] == ["committed", "committed"], outputs
    assert commits(platform_repo) == count + 2
    assert sorted(_names(platform_repo)) == ["app1", "app2", "app3", "app4", "mgmt"]
    # each commit holds its own cluster's render, and the later one the earlier's too
    tree = git(platform_repo, "ls-tree", "-r", "--name-only", "HEAD").split()
    assert {"rendered/apps/clusters/app3.yaml", "rendered/apps/clusters/app4.yaml"} <= set(tree)
    assert status(platform_repo) == ""
    assert_sound(platform_repo)

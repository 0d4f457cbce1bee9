"""Fault drills: the database restarted, the Git remote unreachable, the disk full.

Each drill breaks the real thing (a PostgreSQL server of its own halted and started again,
a remote on a port nobody listens on, a tiny private file system filled up) and checks
what the caller is told and what is left behind: a clear error, the service recovering
without a restart, and nothing half-committed in the repository.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from stackyard.app import Fleet, add_platform, open_fleet
from tests.fleet_repos import app_cluster, git
from tests.mounts import run_in_private_mount
from tests.postgres import Postgres, start_postgres
from tests.servers import free_port
from tests.service.live import live_service

PLATFORM = "local-multicluster"


@pytest.fixture
def own_postgres() -> Iterator[Postgres]:
    """A PostgreSQL server this test alone may halt (the session's is shared)."""
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


def test_a_restarted_database_is_503_while_down_and_the_service_recovers_alone(
    own_postgres: Postgres, repository: Path
) -> None:
    url = own_postgres.create_database("faults")
    fleet = open_fleet(url)
    head = git(repository, "rev-parse", "HEAD")
    try:
        add_platform(fleet, repository)
        with live_service(fleet) as base, httpx.Client(base_url=base, timeout=60) as client:
            assert client.get("/api/v1/platforms").status_code == 200

            own_postgres.halt()
            down = client.get("/api/v1/platforms")
            assert down.status_code == 503
            detail = down.json()["detail"]
            store = f"postgresql+psycopg://postgres@127.0.0.1:{own_postgres.port}/faults"
            assert detail.startswith(f"the store at {store} does not answer: "), detail
            page = client.get("/")
            assert page.status_code == 503
            assert "The store does not answer" in page.text and "Traceback" not in page.text
            refused = client.post(
                f"/api/v1/platforms/{PLATFORM}/clusters", json=app_cluster("app3", 4)
            )
            assert refused.status_code == 503
            assert git(repository, "rev-parse", "HEAD") == head  # nothing committed meanwhile

            own_postgres.resume()
            back = client.get("/api/v1/platforms")  # the same process: the pool reconnects
            assert back.status_code == 200, back.text
            assert [p["name"] for p in back.json()["platforms"]] == [PLATFORM]
            registered = client.post(
                f"/api/v1/platforms/{PLATFORM}/clusters", json=app_cluster("app3", 4)
            )
            assert registered.status_code == 201, registered.text
    finally:
        fleet.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_unreachable_remote_keeps_the_commit_and_a_retry_pushes_it(
    fleet: Fleet, repository: Path, tmp_path: Path
) -> None:
    unreachable = f"http://127.0.0.1:{free_port()}/multi.git"
    git(repository, "remote", "add", "origin", unreachable)
    add_platform(fleet, repository)
    with live_service(fleet) as base, httpx.Client(base_url=base, timeout=300) as client:
        first = client.post(
            f"/api/v1/platforms/{PLATFORM}/clusters",
            json=app_cluster("app3", 4),
            headers={"Idempotency-Key": "app3-once"},
        )
        assert first.status_code == 502, first.text
        change = first.json()
        assert change["status"] == "committed"
        assert change["push"]["remote"] == "origin"
        assert "127.0.0.1" in change["push"]["error"], change["push"]["error"]
        # The commit is kept, whole: the spec, the render and the key's trailer in one.
        assert change["commit"] == git(repository, "rev-parse", "HEAD")
        assert git(repository, "status", "--porcelain") == ""
        assert "Idempotency-Key: app3-once" in git(repository, "log", "-1", "--format=%B")
        (listed,) = client.get("/api/v1/platforms").json()["platforms"]
        assert "app3" in listed["clusters"]

        reachable = tmp_path / "remote.git"
        git(tmp_path, "init", "--quiet", "--bare", str(reachable))
        git(repository, "remote", "set-url", "origin", str(reachable))
        retry = client.post(
            f"/api/v1/platforms/{PLATFORM}/clusters",
            json=app_cluster("app3", 4),
            headers={"Idempotency-Key": "app3-once"},
        )
        assert retry.status_code == 200, retry.text
        assert (retry.json()["commit"], retry.json()["replayed"]) == (change["commit"], True)
        assert retry.json()["push"]["error"] is None
        assert git(reachable, "rev-parse", "main") == change["commit"]
        commits = int(git(repository, "rev-list", "--count", "HEAD"))
        assert commits == int(git(reachable, "rev-list", "--count", "main"))


# Runs inside a user and mount namespace with $MNT a private tmpfs: copies the platform
# repository onto it, fills the file system to leave FREE bytes, registers a cluster
# through the service and reports what the caller got and what the repository holds.
DISK_FULL_DRILL = textwrap.dedent(
    """
    import json, os, shutil, subprocess, sys
    from pathlib import Path
    from fastapi.testclient import TestClient
    from stackyard.app import add_platform, open_fleet
    from stackyard.service import create_app

    mnt, source, store, free = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    body = json.loads(sys.argv[5])
    repository = mnt / "multi"
    shutil.copytree(source, repository, symlinks=True)
    spec = (repository / "platform.yaml").read_bytes()

    def git(*args):
        done = subprocess.run(["git", "-C", str(repository), *args], capture_output=True, text=True)
        return done.returncode, (done.stdout + done.stderr).strip()

    head = git("rev-parse", "HEAD")[1]
    fleet = open_fleet(store)
    add_platform(fleet, repository)
    filler = mnt / "filler"
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\\0" * 65536)
        except OSError:
            pass
    os.truncate(filler, max(0, filler.stat().st_size - free))
    with TestClient(create_app(fleet)) as client:
        answer = client.post("/api/v1/platforms/local-multicluster/clusters", json=body)
    os.remove(filler)
    fsck = git("fsck", "--full", "--no-progress", "--no-dangling")
    print(json.dumps({
        "status": answer.status_code,
        "detail": answer.json().get("detail", ""),
        "moved": git("rev-parse", "HEAD")[1] != head,
        "specKept": (repository / "platform.yaml").read_bytes() == spec,
        "clean": git("status", "--porcelain")[1] == "",
        "fsck": fsck[0] == 0 and fsck[1] == "",
        "fsckOutput": fsck[1][:300],
    }))
    fleet.close()
    """
)
FREE_BYTES = {0: 507, 16 * 1024: 507, 256 * 1024: 507, 1024 * 1024: 201}
"""Free bytes left, and the answer: the disk fills at once (the spec's write), during the
render, during the commit; with 1 MiB the change fits, which shows the drill's filling
leaves a working repository rather than failing every change."""


@pytest.mark.parametrize(("free", "expected"), FREE_BYTES.items())
def test_a_full_disk_fails_the_registration_clearly_and_leaves_the_repository_whole(
    repository: Path, tmp_path: Path, free: int, expected: int
) -> None:
    drill = tmp_path / "drill.py"
    drill.write_text(DISK_FULL_DRILL)
    store = f"sqlite:///{tmp_path / 'store.db'}"
    registration = app_cluster("app3", 4)
    script = (
        'MNT=$(mktemp -d); mount -t tmpfs -o size=8m tmpfs "$MNT"; '
        f'"$PYTHON" {drill} "$MNT" {repository} {store} {free} \'{json.dumps(registration)}\''
    )
    done = run_in_private_mount(script, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["fsck"], found["fsckOutput"]
    assert found["clean"], found
    assert found["status"] == expected, found
    if expected == 201:  # room enough: one whole commit
        assert found["moved"] and not found["specKept"]
        return
    assert "No space left on device" in found["detail"], found
    assert not found["moved"] and found["specKept"], found

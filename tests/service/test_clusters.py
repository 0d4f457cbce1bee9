"""Registering and deregistering clusters through the API: one commit each, serialised by the
store's lock across replicas, idempotent by key, audited; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from stackyard.app import Fleet, add_platform, open_fleet
from stackyard.service import create_app
from tests.fleet_repos import app_cluster, git


@pytest.fixture
def platform(client: TestClient, fleet: Fleet, repository: Path) -> str:
    add_platform(fleet, repository)
    return "local-multicluster"


def test_a_registered_cluster_is_one_audited_commit_and_joins_the_fleet(
    client: TestClient, fleet: Fleet, repository: Path, platform: str
) -> None:
    before = int(git(repository, "rev-list", "--count", "HEAD"))
    response = client.post(
        f"/api/v1/platforms/{platform}/clusters",
        json=app_cluster("app3", 4),
        headers={"Idempotency-Key": "app3-once"},
    )
    assert response.status_code == 201, response.text
    change = response.json()
    assert (change["status"], change["replayed"]) == ("committed", False)
    assert change["commit"] == git(repository, "rev-parse", "HEAD")
    assert int(git(repository, "rev-list", "--count", "HEAD")) == before + 1
    assert git(repository, "status", "--porcelain") == ""

    again = client.post(
        f"/api/v1/platforms/{platform}/clusters",
        json=app_cluster("app3", 4),
        headers={"Idempotency-Key": "app3-once"},
    )
    assert again.status_code == 200
    assert (again.json()["commit"], again.json()["replayed"]) == (change["commit"], True)
    assert int(git(repository, "rev-list", "--count", "HEAD")) == before + 1

    (listed,) = client.get("/api/v1/platforms").json()["platforms"]
    assert listed["clusters"] == ["mgmt", "app1", "app2", "app3"]
    assert listed["drift"] == []
    events = [(e.action, e.detail, e.commit) for e in fleet.store.audit_events()]
    assert events[0] == ("cluster.register", "app3", change["commit"])
    assert [e[0] for e in events].count("cluster.register") == 1


def test_a_deregistration_waits_for_a_confirmation(
    client: TestClient, repository: Path, platform: str
) -> None:
    head = git(repository, "rev-parse", "HEAD")
    asked = client.delete(f"/api/v1/platforms/{platform}/clusters/app2")
    assert asked.status_code == 409
    assert asked.json()["status"] == "needs-confirmation"
    assert asked.json()["disruptive"] >= 1
    assert git(repository, "rev-parse", "HEAD") == head

    done = client.delete(f"/api/v1/platforms/{platform}/clusters/app2?confirm=true")
    assert done.status_code == 201, done.text
    assert client.get(f"/api/v1/platforms/{platform}").json()["clusters"][-1]["name"] == "app1"


def test_concurrent_registrations_through_two_replicas_lose_none(
    database_url: str, repository: Path, git_identity: None
) -> None:
    """Two service replicas (two stores on one database) register at once: both commits land."""
    fleets = [open_fleet(database_url), open_fleet(database_url)]
    add_platform(fleets[0], repository)
    answers: dict[str, int] = {}

    def register(fleet: Fleet, name: str, number: int) -> None:
        with TestClient(create_app(fleet)) as replica:
            response = replica.post(
                "/api/v1/platforms/local-multicluster/clusters", json=app_cluster(name, number)
            )
            answers[name] = response.status_code

    try:
        threads = [
            threading.Thread(target=register, args=(fleets[0], "app3", 4)),
            threading.Thread(target=register, args=(fleets[1], "app4", 5)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert answers == {"app3": 201, "app4": 201}
        spec = (repository / "platform.yaml").read_text()
        assert "name: app3" in spec and "name: app4" in spec
        assert git(repository, "status", "--porcelain") == ""
        log = git(repository, "log", "--format=%s", "-2")
        assert sorted(log.splitlines()) == ["Register cluster app3", "Register cluster app4"]
    finally:
        for fleet in fleets:
            fleet.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_bad_requests_change_nothing(client: TestClient, repository: Path, platform: str) -> None:
    head = git(repository, "rev-parse", "HEAD")
    unknown = client.post("/api/v1/platforms/nope/clusters", json=app_cluster("app3", 4))
    assert unknown.status_code == 404
    taken = client.post(f"/api/v1/platforms/{platform}/clusters", json=app_cluster("app1", 4))
    assert taken.status_code == 422
    assert "app1" in taken.json()["detail"]
    no_pools = client.post(
        f"/api/v1/platforms/{platform}/clusters", json={**app_cluster("app3", 4), "nodePools": []}
    )
    assert no_pools.status_code == 422
    overlapping = client.post(f"/api/v1/platforms/{platform}/clusters", json=app_cluster("app3", 3))
    assert overlapping.status_code == 409
    assert overlapping.json()["status"] == "refused"
    assert [f["check"] for f in overlapping.json()["findings"]] == ["SY102"]
    gone = client.delete(f"/api/v1/platforms/{platform}/clusters/nope?confirm=true")
    assert gone.status_code == 422
    assert git(repository, "rev-parse", "HEAD") == head

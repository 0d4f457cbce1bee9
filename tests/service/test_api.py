"""The /api/v1 read API and its two changes, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
from pathlib import Path

from fastapi.testclient import TestClient

from stackyard.app import Fleet
from tests.app.schemas import assert_matches


def test_a_platform_added_by_path_is_listed_with_its_state(
    client: TestClient, fleet: Fleet, repositories: dict[str, Path]
) -> None:
    added = client.post(
        "/api/v1/platforms", json={"repository": str(repositories["local-multicluster"])}
    )
    assert added.status_code == 201, added.text
    assert added.json()["name"] == "local-multicluster"

    listed = client.get("/api/v1/platforms")
    assert listed.status_code == 200
    document = listed.json()
    assert_matches("fleet", document)
    (platform,) = document["platforms"]
    assert platform["clusters"] == ["mgmt", "app1", "app2"]
    assert platform["kubernetes"] == {"distribution": "kubeadm", "version": "1.35"}
    assert platform["drift"] == []
    assert platform["level"]
    assert platform["rendered"]["commit"] == platform["head"]
    assert any("promtail is deprecated upstream" in w for w in platform["warnings"])
    (event,) = fleet.store.audit_events()
    assert (event.actor, event.action) == ("anonymous", "platform.add")


def test_adding_a_platform_twice_or_from_no_repository_is_refused(
    client: TestClient, repositories: dict[str, Path], tmp_path: Path
) -> None:
    body = {"repository": str(repositories["community-poc"])}
    assert client.post("/api/v1/platforms", json=body).status_code == 201
    again = client.post("/api/v1/platforms", json=body)
    assert again.status_code == 409
    assert "'community-poc' already" in again.json()["detail"]

    plain = tmp_path / "plain"
    plain.mkdir()
    refused = client.post("/api/v1/platforms", json={"repository": str(plain)})
    assert refused.status_code == 422
    (problem,) = refused.json()["problems"]
    assert problem == {
        "location": str(plain),
        "field": "repository",
        "message": "is not a Git repository",
        "hint": "git init, or clone the platform",
    }
    bad_name = client.post("/api/v1/platforms", json={**body, "name": "Not A Label"})
    assert bad_name.status_code == 422
    assert len(client.get("/api/v1/platforms").json()["platforms"]) == 1


def test_a_platform_reads_in_full_and_in_parts(client: TestClient, full_fleet: Fleet) -> None:
    platform = client.get("/api/v1/platforms/local-multicluster")
    assert platform.status_code == 200
    document = platform.json()
    assert_matches("fleet-platform", document)
    assert [c["name"] for c in document["clusters"]] == ["mgmt", "app1", "app2"]
    assert {a["area"] for a in document["areas"]} >= {"gitops-iac", "disaster-recovery"}
    assert len(document["history"]) == 1

    clusters = client.get("/api/v1/platforms/local-multicluster/clusters").json()
    assert clusters == document["clusters"]
    mgmt = client.get("/api/v1/platforms/local-multicluster/clusters/mgmt").json()
    assert mgmt == clusters[0]
    assert any(c["name"] == "argo-cd" for c in mgmt["components"])
    plan_clusters = client.get("/api/v1/platforms/local-multicluster/plan").json()["clusters"]
    assert mgmt["policy"] == plan_clusters[0]["policy"]
    assert mgmt["policy"]["template"]

    spec = client.get("/api/v1/platforms/community-poc/spec")
    assert spec.headers["content-type"].startswith("application/yaml")
    assert "# Community edition PoC" in spec.text  # comments and all

    plan = client.get("/api/v1/platforms/community-poc/plan").json()
    assert_matches("plan", plan)
    findings = client.get("/api/v1/platforms/community-poc/findings").json()["findings"]
    assert findings == plan["findings"]
    incidents = client.get("/api/v1/platforms/local-multicluster/incidents").json()
    assert_matches("failure-matrix", incidents)
    assert {"mgmt", "app1", "app2"} <= {row["target"] for row in incidents["rows"]}


def test_unknown_names_are_404_with_the_name(client: TestClient, full_fleet: Fleet) -> None:
    for path in ("/api/v1/platforms/nope", "/api/v1/platforms/nope/history"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json() == {"detail": "the fleet has no platform named 'nope'"}
    cluster = client.get("/api/v1/platforms/community-poc/clusters/nope")
    assert cluster.status_code == 404
    assert "community-poc/nope" in cluster.json()["detail"]


def test_recording_an_assessment_adds_to_the_history_once_per_commit(
    client: TestClient, full_fleet: Fleet, repositories: dict[str, Path]
) -> None:
    head = subprocess.run(
        ["git", "-C", str(repositories["community-poc"]), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    recorded = client.post("/api/v1/platforms/community-poc/history")
    assert recorded.status_code == 201
    assert recorded.json()["commit"] == head
    history = client.get("/api/v1/platforms/community-poc/history").json()
    assert [point["commit"] for point in history] == [head]
    actions = [e.action for e in full_fleet.store.audit_events()]
    assert actions[0] == "platform.assess"


def test_a_spec_that_stops_loading_is_shown_not_failed(
    client: TestClient, fleet: Fleet, tmp_path: Path
) -> None:
    from tests.fleet_repos import platform_repository

    repository = platform_repository(tmp_path / "poc")
    client.post("/api/v1/platforms", json={"repository": str(repository)})
    (repository / "platform.yaml").write_text("edition: [unclosed\n")

    (platform,) = client.get("/api/v1/platforms").json()["platforms"]
    assert "platform.yaml" in platform["problem"]
    assert platform["clusters"] == []
    plan = client.get("/api/v1/platforms/community-poc/plan")
    assert plan.status_code == 422
    assert plan.json()["problems"][0]["location"].startswith(str(repository / "platform.yaml"))


def test_the_openapi_document_names_tags_and_response_shapes(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert document["info"]["title"] == "Stackyard fleet"
    assert {t["name"] for t in document["tags"]} == {
        "platforms",
        "clusters",
        "history",
        "tokens",
        "audit",
    }
    paths = document["paths"]
    listed = paths["/api/v1/platforms"]["get"]["responses"]["200"]
    assert listed["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Fleet"}
    assert "404" in paths["/api/v1/platforms/{name}"]["get"]["responses"]
    assert not [p for p in paths if not p.startswith("/api/v1/")], "the dashboard is not API"

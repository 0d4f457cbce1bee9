"""Answers kept per version: never stale, never shared between callers, on both databases."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import Request
from fastapi.testclient import TestClient

from stackyard.app import Fleet, add_platform
from stackyard.service import create_app
from stackyard.service.answers import Answers, kept_or_built
from stackyard.service.csrf import FIELD
from stackyard.service.users import Role, User
from tests.fleet_repos import git, platform_repository
from tests.service.test_forms import hidden

PLATFORM = "community-poc"


@pytest.fixture
def repository(tmp_path: Path, git_identity: None) -> Path:
    """A platform repository of this test's own, which it may commit in."""
    return platform_repository(tmp_path / "poc")


def test_the_fleet_answer_follows_a_commit_made_outside_the_service(
    client: TestClient, fleet: Fleet, repository: Path
) -> None:
    add_platform(fleet, repository)
    first = client.get("/api/v1/platforms")
    etag = first.headers["etag"]
    assert first.json()["platforms"][0]["head"] == git(repository, "rev-parse", "HEAD")
    unchanged = client.get("/api/v1/platforms", headers={"If-None-Match": etag})
    assert (unchanged.status_code, unchanged.content) == (304, b"")
    assert unchanged.headers["etag"] == etag

    page = client.get("/").text
    with (repository / "rendered" / "README.md").open("a", encoding="utf-8") as readme:
        readme.write("\nEdited by hand.\n")
    git(repository, "commit", "--quiet", "-am", "edit the rendered README by hand")
    head = git(repository, "rev-parse", "HEAD")
    again = client.get("/api/v1/platforms", headers={"If-None-Match": etag})
    assert again.status_code == 200
    (platform,) = again.json()["platforms"]
    assert platform["head"] == platform["rendered"]["commit"] == head
    assert platform["drift"] == ["README.md"]
    assert again.headers["etag"] != etag
    page_again = client.get("/").text
    assert head[:8] not in page and head[:8] in page_again
    assert "1 files" in page_again


def test_an_assessment_recorded_elsewhere_shows_in_the_platform_answer_and_page(
    client: TestClient, fleet: Fleet, repository: Path
) -> None:
    add_platform(fleet, repository)
    before = client.get(f"/api/v1/platforms/{PLATFORM}").json()["history"]
    page_before = client.get(f"/platforms/{PLATFORM}").text
    # As another replica would: straight into the store, the repository untouched.
    fleet.store.record_assessment(PLATFORM, "f" * 40, level="L1", areas={}, findings=77)
    after = client.get(f"/api/v1/platforms/{PLATFORM}").json()["history"]
    assert len(after) == len(before) + 1
    assert after[-1]["commit"] == "f" * 40
    assert after[-1]["findings"] == 77
    assert client.get(f"/platforms/{PLATFORM}").text != page_before


def test_each_view_of_a_kept_page_has_its_own_form_key_and_each_browser_its_token(
    client: TestClient, fleet: Fleet, repository: Path
) -> None:
    add_platform(fleet, repository)
    other = TestClient(client.app)  # another browser: a cookie jar of its own
    browsers = [client, client, other]
    pages = [browser.get(f"/platforms/{PLATFORM}").text for browser in browsers]
    keys = [hidden(page, "idempotency_key") for page in pages]
    tokens = [hidden(page, FIELD) for page in pages]
    assert len(set(keys)) == 3
    assert tokens[2] != tokens[0]
    markers = client.app.state.answers.markers  # type: ignore[attr-defined]
    assert all(m not in page for page in pages for m in (markers.csrf_token, markers.form_key))
    for browser, token in ((client, tokens[1]), (other, tokens[2])):
        sent = browser.post(
            f"/platforms/{PLATFORM}/clusters/poc/deregister",
            data={FIELD: token},
            follow_redirects=False,
        )
        # Past the token check, to the use case: poc is the platform's only cluster.
        assert sent.status_code == 422 and "is the only cluster" in sent.text, sent.text
    crossed = client.post(f"/platforms/{PLATFORM}/clusters/poc/deregister", data={FIELD: tokens[2]})
    assert crossed.status_code == 403  # another browser's token is no good here


def test_a_viewer_and_an_operator_get_their_own_page_of_one_version(
    fleet: Fleet, repository: Path
) -> None:
    add_platform(fleet, repository)

    def bearer(request: Request, token: str) -> User | None:
        return User("vera", frozenset({Role.viewer}), token="read") if token == "v" else None

    with TestClient(create_app(fleet, bearer_tokens=bearer)) as client:
        operator = client.get(f"/platforms/{PLATFORM}").text
        viewer = client.get(f"/platforms/{PLATFORM}", headers={"Authorization": "Bearer v"}).text
        operator_again = client.get(f"/platforms/{PLATFORM}").text
    assert 'name="idempotency_key"' in operator and 'name="idempotency_key"' in operator_again
    assert 'name="idempotency_key"' not in viewer
    assert FIELD not in viewer
    assert '<span class="who">vera' in viewer
    assert '<span class="who">anonymous' in operator


def test_an_answer_built_while_its_version_moved_is_sent_but_not_kept() -> None:
    answers = Answers(size=2)
    built: list[str] = []
    versions = iter(["v2"])

    def build(text: str) -> bytes:
        built.append(text)
        return text.encode()

    async def answer(key: str, text: str, version: Callable[[], str] = lambda: "v1") -> bytes:
        return await kept_or_built(answers, "subject", version, "v1", key, lambda: build(text))

    # The version checked again after the build has moved on: sent, not kept.
    assert asyncio.run(answer("a", "a1", lambda: next(versions))) == b"a1"
    assert asyncio.run(answer("a", "a2")) == b"a2"
    assert asyncio.run(answer("a", "a3")) == b"a2"
    asyncio.run(answer("b", "b"))
    asyncio.run(answer("c", "c"))  # "a" is the least recently sent
    assert asyncio.run(answer("a", "a4")) == b"a4"
    assert built == ["a1", "a2", "b", "c", "a4"]
    assert answers.find("b") is None and answers.find("c") == b"c"

"""API tokens: made, used as bearer tokens with their scope, listed, expired and revoked;
on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from stackyard.app import Fleet, TokenScope, add_platform, create_token, token_hash
from stackyard.service import create_app
from stackyard.service.csrf import FIELD
from tests.app.schemas import assert_matches
from tests.fleet_repos import app_cluster, git, platform_repository
from tests.oidc import OidcProvider, sign_in
from tests.service.pagetext import hidden_value

INVALID = 'Bearer realm="stackyard", error="invalid_token"'


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def make_token(fleet: Fleet, name: str, scope: TokenScope, owner: str = "ann") -> str:
    """A live token of ``owner``'s, as ``stackyard token create`` makes it; its secret."""
    result = create_token(
        fleet,
        name,
        scope,
        datetime.timedelta(days=1),
        owner=owner,
        creator_scope=TokenScope.admin,
        actor=owner,
    )
    assert result.token.secret is not None
    return result.token.secret


@contextmanager
def signed_in(service: str, sub: str) -> Iterator[httpx.Client]:
    """A browser signed in as ``sub``, sending the CSRF token of its session with changes.

    The token comes from a dashboard form, which operators and admins are shown.
    """
    with httpx.Client(base_url=service, follow_redirects=False, timeout=30) as browser:
        assert sign_in(browser, service, sub).status_code == 303
        token = hidden_value(browser.get("/").text, FIELD)
        if token is not None:
            browser.headers["X-CSRF-Token"] = token
        yield browser


def test_a_token_works_until_it_is_revoked(client: TestClient, fleet: Fleet) -> None:
    secret = make_token(fleet, "ci", TokenScope.admin)
    assert secret.startswith("sy_") and len(secret) >= 3 + 43

    listed = client.get("/api/v1/tokens", headers=bearer(secret))
    assert listed.status_code == 200, listed.text
    document = listed.json()
    assert_matches("tokens", document)
    (token,) = document["tokens"]
    assert (token["name"], token["scope"], token["owner"]) == ("ci", "admin", "ann")
    assert (token["secret"], token["expired"]) == (None, False)
    assert token["followsOwner"] is False  # made on the service's host: its scope alone

    revoked = client.delete("/api/v1/tokens/ci", headers=bearer(secret))
    assert revoked.status_code == 200
    assert_matches("token", revoked.json())
    assert revoked.json()["revoked"] is True

    refused = client.get("/api/v1/platforms", headers=bearer(secret))
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == INVALID
    assert fleet.store.tokens() == []
    actions = [(e.actor, e.action, e.detail.split()[0]) for e in fleet.store.audit_events()]
    assert actions == [("ann (token ci)", "token.revoke", "ci"), ("ann", "token.create", "ci")]


def test_an_unknown_or_expired_token_is_refused_not_taken_for_anonymous(
    client: TestClient, fleet: Fleet
) -> None:
    secret = "sy_" + "A" * 43
    fleet.store.add_token(
        "old",
        token_hash(secret),
        scopes=["admin"],
        owner="ann",
        expires_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1),
    )
    for header in (secret, "sy_unknown", "not-even-ours"):
        answer = client.get("/api/v1/platforms", headers=bearer(header))
        assert answer.status_code == 401, header
        assert answer.headers["www-authenticate"] == INVALID
        assert answer.json() == {"detail": "the API token is unknown, revoked or expired"}
    page = client.get("/", headers=bearer(secret))
    assert page.status_code == 401 and page.headers["www-authenticate"] == INVALID
    assert client.get("/api/v1/platforms").status_code == 200  # no token: anonymous
    (listed,) = fleet.store.tokens()
    assert listed.name == "old"  # listed as expired until revoked
    secret_ok = make_token(fleet, "root", TokenScope.admin, owner="root")
    (old,) = [
        t
        for t in client.get("/api/v1/tokens", headers=bearer(secret_ok)).json()["tokens"]
        if t["name"] == "old"
    ]
    assert old["expired"] is True


def test_a_viewer_token_reads_but_may_not_register_a_cluster_and_an_operator_token_may(
    fleet: Fleet, tmp_path: Path, git_identity: None
) -> None:
    repository = platform_repository(tmp_path / "multi", "local-multicluster", roomy=True)
    add_platform(fleet, repository)
    viewer = make_token(fleet, "dashboard", TokenScope.viewer)
    operator = make_token(fleet, "deployer", TokenScope.operator, owner="bob")
    head = git(repository, "rev-parse", "HEAD")
    with TestClient(create_app(fleet)) as client:
        assert client.get("/api/v1/platforms", headers=bearer(viewer)).status_code == 200
        path = "/api/v1/platforms/local-multicluster/clusters"
        refused = client.post(path, json=app_cluster("app3", 4), headers=bearer(viewer))
        assert refused.status_code == 403
        assert refused.json()["detail"].startswith(
            "ann may not change platforms: it needs the operator role"
        )
        assert git(repository, "rev-parse", "HEAD") == head

        done = client.post(path, json=app_cluster("app3", 4), headers=bearer(operator))
        assert done.status_code == 201, done.text
        assert done.json()["commit"] == git(repository, "rev-parse", "HEAD") != head
    event = fleet.store.audit_events()[0]
    assert (event.actor, event.action, event.detail) == (
        "bob (token deployer)",
        "cluster.register",
        "app3",
    )


def test_people_make_tokens_up_to_their_own_role_and_manage_their_own(
    service: str, fleet: Fleet
) -> None:
    with signed_in(service, "otto") as otto, signed_in(service, "ada") as ada:
        above = otto.post(
            "/api/v1/tokens", json={"name": "big", "scope": "admin", "expires": "30d"}
        )
        assert above.status_code == 403
        assert "may not create a token with the admin scope" in above.json()["detail"]

        made = otto.post(
            "/api/v1/tokens", json={"name": "otto-ci", "scope": "operator", "expires": "4w"}
        )
        assert made.status_code == 201, made.text
        document = made.json()
        assert_matches("token", document)
        assert document["secret"].startswith("sy_")
        assert (document["owner"], document["scope"]) == ("otto", "operator")
        assert document["followsOwner"] is True  # capped at otto's role at each sign-in
        expires = datetime.datetime.fromisoformat(document["expiresAt"])
        lifetime = expires - datetime.datetime.now(datetime.UTC)
        assert datetime.timedelta(days=27) < lifetime <= datetime.timedelta(weeks=4)

        body = {"name": "ada-ro", "scope": "viewer", "expires": "12h"}
        assert ada.post("/api/v1/tokens", json=body).status_code == 201
        taken = {"name": "otto-ci", "scope": "viewer", "expires": "1d"}
        assert ada.post("/api/v1/tokens", json=taken).status_code == 409
        for expires_in in ("366d", "1y", "0d", "soon"):
            body = {"name": "x", "scope": "viewer", "expires": expires_in}
            assert otto.post("/api/v1/tokens", json=body).status_code == 422, expires_in
        forged = otto.post(
            "/api/v1/tokens",
            json={"name": "y", "scope": "viewer", "expires": "1d"},
            headers={"X-CSRF-Token": "forged"},
        )
        assert forged.status_code == 403  # a session's change needs its CSRF token

        mine = otto.get("/api/v1/tokens").json()["tokens"]
        assert [t["name"] for t in mine] == ["otto-ci"]
        everyone = ada.get("/api/v1/tokens").json()["tokens"]
        assert [t["name"] for t in everyone] == ["ada-ro", "otto-ci"]
        assert otto.delete("/api/v1/tokens/ada-ro").status_code == 404  # not told apart
        assert ada.delete("/api/v1/tokens/ada-ro").status_code == 200

    # The token acts as otto with its scope, and may not mint tokens of its own.
    with httpx.Client(base_url=service, timeout=30) as program:
        program.headers["Authorization"] = f"Bearer {document['secret']}"
        body = {"name": "more", "scope": "viewer", "expires": "1d"}
        assert program.post("/api/v1/tokens", json=body).status_code == 403
        listed = program.get("/api/v1/tokens").json()["tokens"]
        assert [t["name"] for t in listed] == ["otto-ci"]
        assert program.get("/api/v1/audit").status_code == 403
        assert program.delete("/api/v1/tokens/otto-ci").status_code == 200
        assert program.get("/api/v1/tokens").status_code == 401
    actions = [(e.actor, e.action) for e in fleet.store.audit_events()]
    assert actions == [
        ("otto (token otto-ci)", "token.revoke"),
        ("ada", "token.revoke"),
        ("ada", "token.create"),
        ("otto", "token.create"),
    ]


def test_the_anonymous_caller_has_no_tokens_to_manage(client: TestClient) -> None:
    for answer in (
        client.get("/api/v1/tokens"),
        client.post("/api/v1/tokens", json={"name": "a", "scope": "viewer", "expires": "1d"}),
        client.delete("/api/v1/tokens/a"),
    ):
        assert answer.status_code == 403
        assert "stackyard token create" in answer.json()["detail"]


def test_a_token_a_person_made_follows_their_role_at_each_sign_in_and_a_bootstrap_one_does_not(
    service: str, fleet: Fleet, oidc: OidcProvider
) -> None:
    def groups(*names: str) -> None:
        oidc.set_user("tess", preferred_username="tess", groups=list(names))

    # A change (operator) to a platform that does not exist: 404 for a caller who may
    # change platforms, 403 for one who may not, and nothing changes either way.
    change = "/api/v1/platforms/nowhere/clusters/app1"
    groups("stackyard-operators")
    with signed_in(service, "tess") as tess:
        made = tess.post(
            "/api/v1/tokens", json={"name": "tess-ci", "scope": "operator", "expires": "1d"}
        )
        assert made.status_code == 201, made.text
    bootstrap = make_token(fleet, "tess-boot", TokenScope.operator, owner="tess")
    with (
        httpx.Client(base_url=service, timeout=30, headers=bearer(made.json()["secret"])) as ci,
        httpx.Client(base_url=service, timeout=30, headers=bearer(bootstrap)) as boot,
    ):
        assert ci.delete(change).status_code == 404

        groups("stackyard-viewers")
        with signed_in(service, "tess"):
            pass
        assert ci.get("/api/v1/platforms").status_code == 200  # still reads
        lowered = ci.delete(change)
        assert lowered.status_code == 403
        assert (
            "tess may not change platforms: it needs the operator role" in lowered.json()["detail"]
        )
        assert boot.delete(change).status_code == 404  # made on the host: keeps its scope

        groups("staff")  # no group of theirs grants a role: the sign-in itself is refused
        with httpx.Client(follow_redirects=False, timeout=30) as browser:
            assert sign_in(browser, service, "tess").status_code == 403
        for answer in (ci.get("/api/v1/platforms"), ci.get("/")):
            assert answer.status_code == 403
            assert (
                "the API token tess-ci acts for tess, whose groups granted no role" in answer.text
            )
        assert boot.get("/api/v1/platforms").status_code == 200

        groups("stackyard-operators")
        with signed_in(service, "tess"):
            pass
        assert ci.delete(change).status_code == 404  # the role is back, and so is the token's
    seen = fleet.store.sign_in("tess")
    assert seen is not None and seen.roles == ("operator",)

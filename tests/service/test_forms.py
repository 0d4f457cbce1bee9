"""The dashboard's forms over HTTP: CSRF tokens, problems shown at their fields (422), success
redirects (303), the deregistration's confirmation step, and forms only for operators."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer

from stackyard.app import Fleet, add_platform
from stackyard.service import create_app
from stackyard.service.csrf import COOKIE, FIELD, HEADER
from stackyard.service.users import Access, Role, User
from tests.fleet_repos import git
from tests.oidc import sign_in
from tests.service.pagetext import alerts, field_problems, hidden

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
PLATFORM = "local-multicluster"


def app3(**changed: str) -> dict[str, str]:
    """The register form filled in for an app cluster beside the example's three."""
    return {
        "name": "app3",
        "role": "app",
        "node_range": "192.168.64.40-192.168.64.49",
        "node_subnet": "192.168.64.0/24",
        "pod_cidr": "10.104.0.0/16",
        "service_cidr": "10.100.0.0/16",
        "load_balancer_pool": "192.168.64.140-192.168.64.149",
        "node_pools": "name=cp,role=control-plane,count=1,cpu=2,memory=3Gi\n"
        "name=worker,count=1,cpu=2,memory=4Gi",
        "labels": "team=payments, tier=gold",
        "policy_template": "restricted",
        **changed,
    }


@pytest.fixture
def token(client: TestClient) -> str:
    """The form token of a page the client opened (its cookie now in the client)."""
    return hidden(client.get("/").text, FIELD)


def test_a_form_post_without_its_token_is_refused_with_a_page(
    client: TestClient, fleet: Fleet, repository: Path, token: str
) -> None:
    assert client.cookies.get(COOKIE)
    bare = client.post("/platforms", data={"repository": str(repository)})
    assert bare.status_code == 403
    assert "text/html" in bare.headers["content-type"]
    assert "carries no token" in bare.text

    other_key = URLSafeTimedSerializer("another service", salt="stackyard.dashboard.csrf")
    forged = other_key.dumps(client.cookies[COOKIE])
    refused = client.post("/platforms", data={"repository": str(repository), FIELD: forged})
    assert refused.status_code == 403
    assert "not one this service signed" in refused.text

    stranger = TestClient(client.app)  # a browser with a cookie of its own
    stranger.get("/")
    theirs = stranger.post("/platforms", data={"repository": str(repository), FIELD: token})
    assert theirs.status_code == 403
    assert "belongs to another browser" in theirs.text

    no_cookie = TestClient(client.app)
    assert no_cookie.post("/platforms", data={FIELD: token}).status_code == 403
    assert fleet.store.platforms() == []


def test_the_cookie_is_http_only_and_same_site_strict(client: TestClient) -> None:
    cookie = client.get("/").headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie  # plain HTTP on loopback: a Secure cookie would not return
    again = client.get("/")
    assert "set-cookie" not in again.headers  # one secret per browser, kept
    assert client.cookies[COOKIE] == hidden_secret(client, again.text)


def hidden_secret(client: TestClient, html: str) -> str:
    key = client.app.state.secret_key  # type: ignore[attr-defined]
    secret: str = URLSafeTimedSerializer(key, salt="stackyard.dashboard.csrf").loads(
        hidden(html, FIELD)
    )
    return secret


def test_adding_a_platform_redirects_to_it_and_problems_stay_on_the_form(
    client: TestClient, fleet: Fleet, repository: Path, token: str, tmp_path: Path
) -> None:
    missing = client.post("/platforms", data={"repository": str(tmp_path / "nope"), FIELD: token})
    assert missing.status_code == 422
    assert "is not a folder" in field_problems(missing.text)["repository"]
    assert str(tmp_path / "nope") in missing.text  # typed values come back

    bad_name = client.post(
        "/platforms", data={"repository": str(repository), "name": "Acme Prod", FIELD: token}
    )
    assert bad_name.status_code == 422
    assert "lower case letters" in field_problems(bad_name.text)["name"]

    added = client.post(
        "/platforms", data={"repository": str(repository), FIELD: token}, follow_redirects=False
    )
    assert added.status_code == 303
    assert added.headers["location"] == f"/platforms/{PLATFORM}"
    assert [p.name for p in fleet.store.platforms()] == [PLATFORM]

    taken = client.post("/platforms", data={"repository": str(repository), FIELD: token})
    assert taken.status_code == 422
    assert "give it another name" in alerts(taken.text)


def test_registering_shows_each_problem_at_its_field_then_commits_once(
    client: TestClient, fleet: Fleet, repository: Path, token: str
) -> None:
    add_platform(fleet, repository)
    head = git(repository, "rev-parse", "HEAD")
    page = client.get(f"/platforms/{PLATFORM}").text
    key = hidden(page, "idempotency_key")
    assert '<option value="restricted"' in page and '<option value="regulated"' in page
    roles = re.search(r'<select id="f-role" name="role">(.*?)</select>', page)
    assert roles and re.findall(r"<option( selected)?>([a-z]+)<", roles.group(1)) == [
        ("", "mgmt"),
        (" selected", "app"),
        ("", "standalone"),
    ]

    def send(form: dict[str, str], **extra: Any) -> Any:
        data = {**form, FIELD: token, "idempotency_key": key}
        return client.post(f"/platforms/{PLATFORM}/clusters", data=data, **extra)

    bad_cidr = send(app3(service_cidr="10.100.0.0/33"))
    assert bad_cidr.status_code == 422
    assert "is not a CIDR" in field_problems(bad_cidr.text)["service_cidr"]
    assert 'value="10.100.0.0/33"' in bad_cidr.text

    overlapping = send(app3(node_range="192.168.64.30-192.168.64.39"))
    assert overlapping.status_code == 422
    assert "overlaps" in field_problems(overlapping.text)["node_range"]
    assert "SY102" in field_problems(overlapping.text)["node_range"]
    assert "the plan refused cluster app3" in alerts(overlapping.text)

    bad_role = send(app3(role="edge"))
    assert field_problems(bad_role.text)["role"] == (
        "&#39;edge&#39; is not one of mgmt, app, standalone"
    )

    bad_pool = send(app3(node_pools="name=cp,role"))
    assert "is not key=value" in field_problems(bad_pool.text)["node_pools"]
    empty = send(app3(name="", node_pools=" "))
    assert set(field_problems(empty.text)) == {"name", "node_pools"}
    assert git(repository, "rev-parse", "HEAD") == head

    done = send(app3(), follow_redirects=False)
    assert done.status_code == 303
    commit = git(repository, "rev-parse", "HEAD")
    assert done.headers["location"] == (
        f"/platforms/{PLATFORM}/clusters/app3?done=registered&cluster=app3&commit={commit}"
    )
    assert git(repository, "rev-parse", "HEAD~1") == head
    spec = (repository / "platform.yaml").read_text()
    assert "policyTemplate: restricted" in spec and "tier: gold" in spec

    resent = send(app3(), follow_redirects=False)  # the browser sends the form again
    assert resent.headers["location"] == done.headers["location"]
    assert git(repository, "rev-parse", "HEAD") == commit

    shown = client.get(done.headers["location"]).text
    assert re.search(r"app3</strong> registered: commit <span class=\"sha\">" + commit[:12], shown)
    events = [(e.action, e.detail) for e in fleet.store.audit_events()]
    assert ("cluster.register", "app3") in events


def test_a_deregistration_shows_its_disruptive_changes_before_the_confirming_post(
    client: TestClient, fleet: Fleet, repository: Path, token: str
) -> None:
    add_platform(fleet, repository)
    head = git(repository, "rev-parse", "HEAD")
    path = f"/platforms/{PLATFORM}/clusters/app1/deregister"
    assert 'action="' + path + '"' in client.get(f"/platforms/{PLATFORM}/clusters/app1").text

    asked = client.post(path, data={FIELD: token})
    assert asked.status_code == 200
    assert asked.text.count('class="disruptive"') >= 2  # app1 itself, app2's Cilium id
    assert "the cluster and everything on it is removed" in asked.text
    assert hidden(asked.text, "confirm") == "yes"
    assert git(repository, "rev-parse", "HEAD") == head

    confirmed = client.post(
        path,
        data={
            FIELD: token,
            "confirm": "yes",
            "idempotency_key": hidden(asked.text, "idempotency_key"),
        },
        follow_redirects=False,
    )
    assert confirmed.status_code == 303
    assert confirmed.headers["location"].startswith(
        f"/platforms/{PLATFORM}?done=deregistered&cluster=app1&commit="
    )
    assert git(repository, "log", "-1", "--format=%s") == "Deregister cluster app1"
    assert "name: app1" not in (repository / "platform.yaml").read_text()


def test_viewers_see_no_forms_and_may_not_post_them(fleet: Fleet, repository: Path) -> None:
    add_platform(fleet, repository)
    app = create_app(fleet)
    app.state.access = Access(anonymous=User("vera", frozenset({Role.viewer})))
    with TestClient(app) as client:
        for path in ("/", f"/platforms/{PLATFORM}", f"/platforms/{PLATFORM}/clusters/app1"):
            page = client.get(path)
            assert page.status_code == 200
            assert "<form" not in page.text and FIELD not in page.text
        secret = "s" * 43  # a browser holding a valid token pair still needs the role
        client.cookies.set(COOKIE, secret)
        signed = URLSafeTimedSerializer(app.state.secret_key, salt="stackyard.dashboard.csrf")
        data = {FIELD: signed.dumps(secret), "confirm": "yes"}
        refused = client.post(f"/platforms/{PLATFORM}/clusters/app1/deregister", data=data)
        assert refused.status_code == 403
        assert "needs the operator role" in refused.text
        assert "name: app1" in (repository / "platform.yaml").read_text()


def test_signed_in_the_token_is_bound_to_the_session_and_covers_the_api(
    service: str, fleet: Fleet, repository: Path
) -> None:
    base = service
    add_platform(fleet, repository)
    head = git(repository, "rev-parse", "HEAD")
    deregister = f"{base}/platforms/{PLATFORM}/clusters/app1/deregister"
    with httpx.Client(follow_redirects=False, timeout=120) as otto:
        assert sign_in(otto, base, "otto").status_code == 303
        token = hidden(otto.get(f"{base}/").text, FIELD)
        assert COOKIE not in otto.cookies  # the secret is in the session, no cookie of its own
        asked = otto.post(deregister, data={FIELD: token})
        assert asked.status_code == 200 and "Deregister app1?" in asked.text

        with httpx.Client(follow_redirects=False, timeout=120) as again:
            sign_in(again, base, "otto")  # the same user, another sign-in
            hidden(again.get(f"{base}/").text, FIELD)  # with a token secret of its own
            theirs = again.post(deregister, data={FIELD: token, "confirm": "yes"})
            assert theirs.status_code == 403
            assert "belongs to another browser or sign-in" in theirs.text

        api = f"{base}/api/v1/platforms/{PLATFORM}/clusters/app1?confirm=true"
        bare = otto.delete(api)  # the session cookie alone, as a forged request would carry
        assert bare.status_code == 403
        assert "carries no token" in bare.json()["detail"]
        assert git(repository, "rev-parse", "HEAD") == head
        done = otto.delete(api, headers={HEADER: token})
        assert done.status_code == 201, done.text
        assert git(repository, "log", "-1", "--format=%an %s").endswith("Deregister cluster app1")
    events = [(e.actor, e.action, e.detail) for e in fleet.store.audit_events()]
    assert ("otto", "cluster.deregister", "app1") in events

"""The dashboard's API tokens page: a signed-in person, a viewer too, makes a token (its secret
shown once), lists and revokes their own; every form needs its CSRF token; a problem comes
back at its field (422). Against the real OIDC provider, on SQLite."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from stackyard.app import Fleet, TokenScope, token_hash
from stackyard.service import create_app
from stackyard.service.csrf import FIELD
from tests.oidc import sign_in
from tests.service.pagetext import field_problems, hidden
from tests.service.test_tokens import make_token

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
SECRET = re.compile(r"sy_[A-Za-z0-9_-]{43}")


def hidden_token(html: str) -> str:
    """The page's CSRF token (the hidden field of its forms)."""
    return hidden(html, FIELD)


@pytest.fixture
def vera(service: str) -> Iterator[httpx.Client]:
    """A browser signed in as vera, a viewer."""
    with httpx.Client(base_url=service, follow_redirects=False, timeout=30) as browser:
        assert sign_in(browser, service, "vera").status_code == 303
        yield browser


def _new(token: str, **fields: str) -> dict[str, str]:
    return {FIELD: token, "name": "vera-ci", "scope": "viewer", "expires_days": "30", **fields}


def test_a_viewer_makes_a_token_sees_its_secret_once_then_revokes_it(
    vera: httpx.Client, fleet: Fleet, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert 'href="/tokens"' in vera.get("/").text  # in the navigation
    page = vera.get("/tokens")
    assert page.status_code == 200
    assert re.findall(r"<option[^>]*>([a-z]+)</option>", page.text) == ["viewer"]

    made = vera.post("/tokens", data=_new(hidden_token(page.text)))
    assert made.status_code == 201, made.text
    assert made.headers["cache-control"] == "no-store"
    (secret,) = SECRET.findall(made.text)  # once on the answering page
    assert "never again" in made.text
    with httpx.Client(base_url=str(vera.base_url), timeout=30) as program:
        program.headers["Authorization"] = f"Bearer {secret}"
        assert program.get("/api/v1/platforms").status_code == 200

    listed = vera.get("/tokens").text
    assert "vera-ci" in listed and secret not in listed and not SECRET.search(listed)
    (token,) = fleet.store.tokens()
    assert (token.owner, token.scopes, token.follows_owner) == ("vera", ("viewer",), True)
    assert secret not in caplog.text
    assert all(secret not in e.detail for e in fleet.store.audit_events())
    database = Path(fleet.url.removeprefix("sqlite:///"))
    stored = b"".join(f.read_bytes() for f in database.parent.glob(f"{database.name}*"))
    assert token_hash(secret).encode() in stored  # the search reaches where the rows are
    assert secret.encode() not in stored

    revoked = vera.post("/tokens/vera-ci/revoke", data={FIELD: hidden_token(listed)})
    assert revoked.status_code == 303
    assert revoked.headers["location"] == "/tokens?revoked=vera-ci"
    assert "vera-ci</strong> revoked" in vera.get(revoked.headers["location"]).text
    assert fleet.store.tokens() == []
    with httpx.Client(base_url=str(vera.base_url), timeout=30) as program:
        program.headers["Authorization"] = f"Bearer {secret}"
        assert program.get("/api/v1/platforms").status_code == 401
    actions = [(e.actor, e.action) for e in fleet.store.audit_events()]
    assert actions == [("vera", "token.revoke"), ("vera", "token.create")]


def test_a_scope_above_the_callers_role_and_other_problems_come_back_at_their_fields(
    vera: httpx.Client, fleet: Fleet
) -> None:
    token = hidden_token(vera.get("/tokens").text)
    above = vera.post("/tokens", data=_new(token, scope="operator"))
    assert above.status_code == 422
    assert "may not create a token with the operator scope" in field_problems(above.text)["scope"]
    assert 'value="vera-ci"' in above.text  # what was typed stays
    both = vera.post("/tokens", data=_new(token, name="Not A Name", expires_days="366"))
    assert both.status_code == 422
    problems = field_problems(both.text)
    assert list(problems) == ["name", "expires_days"]  # every problem at once
    assert "&#39;Not A Name&#39; is not a token name" in problems["name"]  # escaped
    assert "366 days is longer than a token may live" in problems["expires_days"]
    for days in ("soon", "0"):
        refused = vera.post("/tokens", data=_new(token, expires_days=days))
        assert refused.status_code == 422
        assert list(field_problems(refused.text)) == ["expires_days"], days
    assert fleet.store.tokens() == []

    assert vera.post("/tokens", data=_new(token)).status_code == 201
    taken = vera.post("/tokens", data=_new(token))
    assert taken.status_code == 422
    assert "exists already" in field_problems(taken.text)["name"]


def test_token_forms_without_or_with_a_forged_csrf_token_are_refused(
    vera: httpx.Client, fleet: Fleet
) -> None:
    make_token(fleet, "vera-boot", TokenScope.viewer, owner="vera")
    for data in ({}, {FIELD: "forged"}):
        made = vera.post("/tokens", data={**_new(""), **data})
        assert made.status_code == 403, data
        revoked = vera.post("/tokens/vera-boot/revoke", data=data)
        assert revoked.status_code == 403, data
        assert "not sent from a page of this service" in revoked.text
    assert [t.name for t in fleet.store.tokens()] == ["vera-boot"]


def test_people_see_and_revoke_only_their_own_tokens_and_an_admin_everyones(
    service: str, vera: httpx.Client, fleet: Fleet
) -> None:
    make_token(fleet, "otto-ci", TokenScope.operator, owner="otto")
    make_token(fleet, "vera-ro", TokenScope.viewer, owner="vera")
    page = vera.get("/tokens").text
    assert "vera-ro" in page and "otto-ci" not in page
    theirs = vera.post("/tokens/otto-ci/revoke", data={FIELD: hidden_token(page)})
    assert theirs.status_code == 404  # not told apart from a token that does not exist
    with httpx.Client(base_url=service, follow_redirects=False, timeout=30) as ada:
        assert sign_in(ada, service, "ada").status_code == 303
        everyone = ada.get("/tokens").text
        assert "otto-ci" in everyone and "vera-ro" in everyone
        options = re.findall(r"<option[^>]*>([a-z]+)</option>", everyone)
        assert options == ["viewer", "operator", "admin"]
        done = ada.post("/tokens/otto-ci/revoke", data={FIELD: hidden_token(everyone)})
        assert done.status_code == 303
    assert [t.name for t in fleet.store.tokens()] == ["vera-ro"]


def test_without_sign_in_the_page_says_tokens_are_made_on_the_host(fleet: Fleet) -> None:
    with TestClient(create_app(fleet)) as client:
        page = client.get("/tokens")
        assert page.status_code == 200
        assert "stackyard token create" in page.text and 'action="/tokens"' not in page.text
        token = hidden_token(client.get("/").text)  # the anonymous operator's forms have one
        made = client.post("/tokens", data=_new(token))
        assert made.status_code == 403
        assert "API tokens belong to a person" in made.text
    assert fleet.store.tokens() == []

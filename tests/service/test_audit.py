"""The audit log: every change recorded, paged, shown to admins only; no secret anywhere.

On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import MetaData, select
from typer.testing import CliRunner

from stackyard.app import Fleet, TokenScope, add_platform, assess_platform
from stackyard.cli.main import app as cli
from stackyard.service import create_app
from tests.app.schemas import assert_matches
from tests.service.test_pages import _balanced
from tests.service.test_tokens import bearer, make_token, signed_in


def test_only_admins_read_the_audit_log(fleet: Fleet, client: TestClient) -> None:
    admin = make_token(fleet, "root", TokenScope.admin, owner="root")
    operator = make_token(fleet, "ops", TokenScope.operator)
    for headers in ({}, bearer(operator)):
        api = client.get("/api/v1/audit", headers=headers)
        assert api.status_code == 403
        assert "may not see administration pages: it needs the admin role" in api.text
        page = client.get("/audit", headers=headers)
        assert page.status_code == 403
        assert "<h1>No access</h1>" in page.text and "token.create" not in page.text
    assert client.get("/audit", headers=bearer("sy_nope")).status_code == 401

    page = client.get("/audit", headers=bearer(admin))
    assert page.status_code == 200
    html = _balanced(page.text)
    assert 'name="viewport" content="width=device-width' in html  # usable on a phone
    assert '<div class="scroll">' in html  # the table scrolls inside its box there
    assert html.count("<code>token.create</code>") == 2
    assert '<a href="/audit">Audit</a>' in html  # the admin's menu leads here


def test_every_change_is_audited_and_the_log_pages_newest_first(
    fleet: Fleet, client: TestClient, repositories: dict[str, Path]
) -> None:
    admin = make_token(fleet, "root", TokenScope.admin, owner="root")
    add_platform(fleet, repositories["community-poc"], actor="ann")
    assess_platform(fleet, "community-poc", actor="ann")
    client.delete("/api/v1/tokens/root", headers=bearer(admin))
    admin = make_token(fleet, "root2", TokenScope.admin, owner="root")

    whole = client.get("/api/v1/audit", headers=bearer(admin)).json()
    assert_matches("audit-log", whole)
    actions = [e["action"] for e in whole["events"]]
    assert actions == [
        "token.create",
        "token.revoke",
        "platform.assess",
        "platform.add",
        "token.create",
    ]
    assert whole["nextBefore"] is None
    assessed = whole["events"][2]
    assert (assessed["actor"], assessed["platform"]) == ("ann", "community-poc")
    assert re.fullmatch(r"[0-9a-f]{40}", assessed["commit"])

    pages, before = [], None
    while True:
        query = {"limit": 2} if before is None else {"limit": 2, "before": before}
        page = client.get("/api/v1/audit", params=query, headers=bearer(admin)).json()
        pages.append([e["id"] for e in page["events"]])
        before = page["nextBefore"]
        if before is None:
            break
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [i for p in pages for i in p] == [e["id"] for e in whole["events"]]
    assert client.get("/api/v1/audit?limit=0", headers=bearer(admin)).status_code == 422

    first = client.get("/audit", headers=bearer(admin)).text
    assert "Older events" not in first
    older = client.get(f"/audit?before={pages[0][-1]}", headers=bearer(admin)).text
    assert older.count("<tr>") == 1 + 3  # the head row, and the three older events


def test_no_token_secret_is_stored_or_shown_anywhere(
    fleet: Fleet, database_url: str, full_fleet: Fleet, service: str
) -> None:
    made = CliRunner().invoke(
        cli,
        [
            "token",
            "create",
            "boot",
            "--scope",
            "admin",
            "--expires",
            "1d",
            "--database-url",
            database_url,
        ],
        catch_exceptions=False,
    )
    assert made.exit_code == 0, made.stderr
    boot = made.stdout.strip()
    secrets = [boot]
    with signed_in(service, "ada") as ada:
        for name, scope in (("ops", "operator"), ("viewer", "viewer")):
            body = {"name": name, "scope": scope, "expires": "1d"}
            created = ada.post("/api/v1/tokens", json=body)
            assert created.status_code == 201  # the one answer that shows the secret
            secrets.append(created.json()["secret"])
    answers = []
    with TestClient(create_app(fleet)) as client:
        headers = bearer(boot)
        for path in (
            "/",
            "/audit",
            "/platforms/community-poc",
            "/api/v1/platforms",
            "/api/v1/tokens",
            "/api/v1/audit",
            "/openapi.json",
            "/api/v1/platforms/community-poc",
        ):
            answer = client.get(path, headers=headers)
            assert answer.status_code == 200, path
            answers.append(answer.text)
        answers.append(client.delete("/api/v1/tokens/ops", headers=headers).text)
        listed = CliRunner().invoke(
            cli, ["token", "list", "--database-url", database_url, "-o", "json"]
        )
        answers += [listed.stdout, listed.stderr]
    # Everything the database holds, as text: every row of every table.
    with fleet.store.engine.connect() as connection:
        tables = MetaData()
        tables.reflect(connection)
        stored = [
            repr(row) for table in tables.sorted_tables for row in connection.execute(select(table))
        ]
    files = b""
    if database_url.startswith("sqlite:///"):
        database = Path(database_url.removeprefix("sqlite:///"))
        files = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    assert sum("token.create" in row for row in stored) == 3
    assert len(json.loads(answers[4])["tokens"]) == 3
    for secret in secrets:
        assert not any(secret in text for text in answers)
        assert not any(secret in row for row in stored)
        assert secret.encode() not in files
        assert secret[3:].encode() not in files

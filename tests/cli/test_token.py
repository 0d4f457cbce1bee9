"""``stackyard token create|list|revoke`` on the service's store, SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from fastapi.testclient import TestClient

from stackyard.app import open_fleet
from stackyard.service import create_app
from tests.app.schemas import assert_matches
from tests.postgres import database_url, postgres

__all__ = ["database_url", "postgres"]
Cli = Callable[..., Result]


def test_a_token_made_on_the_command_line_lets_a_program_in_until_revoked(
    cli: Cli, database_url: str
) -> None:
    store = ("--database-url", database_url)
    made = cli("token", "create", "ci", "--scope", "admin", "--expires", "30d", *store)
    assert made.exit_code == 0, made.stderr
    secret = made.stdout.strip()
    assert secret.startswith("sy_") and "\n" not in secret  # stdout is the token alone
    assert "only time it is shown" in made.stderr and secret not in made.stderr

    listed = cli("token", "list", *store, "-o", "json")
    assert listed.exit_code == 0
    document = json.loads(listed.stdout)
    assert_matches("tokens", document)
    (token,) = document["tokens"]
    assert (token["name"], token["scope"], token["secret"]) == ("ci", "admin", None)
    assert secret not in listed.stdout
    text = cli("token", "list", *store)
    assert "ci" in text.stdout and "admin" in text.stdout and "live" in text.stdout

    fleet = open_fleet(database_url)
    try:
        with TestClient(create_app(fleet)) as client:
            headers = {"Authorization": f"Bearer {secret}"}
            assert client.get("/api/v1/audit", headers=headers).status_code == 200
            revoked = cli("token", "revoke", "ci", *store, "-o", "json")
            assert revoked.exit_code == 0, revoked.stderr
            assert_matches("token", json.loads(revoked.stdout))
            assert client.get("/api/v1/audit", headers=headers).status_code == 401
        actions = [
            (e.action, e.actor.endswith("(command line)")) for e in fleet.store.audit_events()
        ]
        assert actions == [("token.revoke", True), ("token.create", True)]
    finally:
        fleet.close()


def test_a_token_made_as_json_carries_its_secret_once(cli: Cli, tmp_path: Path) -> None:
    made = cli(
        "token",
        "create",
        "deploy",
        "--scope",
        "operator",
        "--expires",
        "12h",
        "--owner",
        "ann",
        "--data-dir",
        str(tmp_path),
        "-o",
        "json",
    )
    assert made.exit_code == 0, made.stderr
    document = json.loads(made.stdout)
    assert_matches("token", document)
    assert (document["owner"], document["scope"]) == ("ann", "operator")
    assert document["followsOwner"] is False
    assert document["secret"].startswith("sy_")
    assert (tmp_path / "stackyard.db").exists()


def test_bad_tokens_and_stores_are_refused_with_exit_2(cli: Cli, tmp_path: Path) -> None:
    store = ("--data-dir", str(tmp_path))
    assert (
        cli("token", "create", "a", "--scope", "viewer", "--expires", "1d", *store).exit_code == 0
    )
    cases = [
        (("create", "a", "--scope", "viewer", "--expires", "1d"), "named 'a' exists already"),
        (("create", "b", "--scope", "viewer", "--expires", "366d"), "expires: 366 days is longer"),
        (("create", "b", "--scope", "viewer", "--expires", "soon"), "'soon' is not a lifetime"),
        (("create", "Bad Name", "--scope", "viewer", "--expires", "1d"), "is not a token name"),
        (("revoke", "nope"), "no API token named 'nope'"),
    ]
    for args, message in cases:
        result = cli("token", *args, *store)
        assert result.exit_code == 2, args
        assert message in result.stderr, result.stderr
    unreachable = cli(
        "token", "list", "--database-url", "postgresql+psycopg://nobody@127.0.0.1:1/none"
    )
    assert unreachable.exit_code == 2
    assert unreachable.stderr.startswith("error: cannot open the store")

"""``stackyard token create|list|revoke``: API tokens of the fleet service, on its store.

For the first token, and for hosts without a browser: whoever can open the service's
store (its data directory or its database URL) already holds everything the service
does, so these commands act as an admin. The token's owner is the login name of whoever
runs the command unless ``--owner`` names someone else.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.markup import escape

from stackyard.app import (
    Fleet,
    TokenResult,
    TokenScope,
    TokenView,
    create_token,
    list_tokens,
    open_fleet,
    parse_lifetime,
    revoke_token,
)
from stackyard.cli.errors import OK
from stackyard.cli.output import OutputFormat, console, notice, print_json
from stackyard.cli.tables import table


@dataclass(frozen=True)
class StoreOptions:
    """Where the fleet's store is: as ``stackyard serve`` is told."""

    database_url: str | None
    data_dir: Path | None


@contextmanager
def _fleet(store: StoreOptions) -> Iterator[Fleet]:
    fleet = open_fleet(store.database_url, store.data_dir)
    try:
        yield fleet
    finally:
        fleet.close()


def _actor() -> str:
    return f"{getpass.getuser()} (command line)"


def token_create_command(
    name: str,
    scope: TokenScope,
    expires: str,
    owner: str | None,
    store: StoreOptions,
    output: OutputFormat,
) -> int:
    """Create the token and print its secret, the one time it is ever shown."""
    lifetime = parse_lifetime(expires)
    with _fleet(store) as fleet:
        result = create_token(
            fleet,
            name,
            scope,
            lifetime,
            owner=owner or getpass.getuser(),
            creator_scope=TokenScope.admin,
            actor=_actor(),
        )
    if output is OutputFormat.json:
        print_json(result.as_dict())
        return OK
    token = result.token
    print(token.secret)
    notice(
        f"created token {token.name} ({token.scope}, for {token.owner}), expires "
        f"{token.expires_at:%Y-%m-%d %H:%M} UTC; this is the only time it is shown: "
        "send it as 'Authorization: Bearer <token>'"
    )
    return OK


def _state(token: TokenView) -> str:
    return "expired" if token.expired else "live"


def token_list_command(store: StoreOptions, output: OutputFormat) -> int:
    """List every token, by name: never a secret, which is not kept."""
    with _fleet(store) as fleet:
        result = list_tokens(fleet)
    if output is OutputFormat.json:
        print_json(result.as_dict())
        return OK
    if not result.tokens:
        notice("no API tokens")
        return OK
    rows = table("API tokens", "name", "scope", "owner", "created (UTC)", "expires (UTC)", "state")
    for t in result.tokens:
        rows.add_row(
            escape(t.name),
            str(t.scope),
            escape(t.owner),
            f"{t.created_at:%Y-%m-%d %H:%M}",
            f"{t.expires_at:%Y-%m-%d %H:%M}",
            _state(t),
        )
    console().print(rows)
    return OK


def token_revoke_command(name: str, store: StoreOptions, output: OutputFormat) -> int:
    """Revoke the token: it stops working at once."""
    with _fleet(store) as fleet:
        result: TokenResult = revoke_token(fleet, name, actor=_actor())
    if output is OutputFormat.json:
        print_json(result.as_dict())
        return OK
    notice(f"revoked token {result.token.name} of {result.token.owner}")
    return OK

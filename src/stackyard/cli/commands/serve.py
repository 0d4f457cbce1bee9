"""``stackyard serve``: the fleet service (API and dashboard) until interrupted."""

from __future__ import annotations

import sys
from pathlib import Path

from stackyard.cli.errors import OK
from stackyard.cli.options import quiet

DEFAULT_HOST = "127.0.0.1"  # loopback: the only address served without sign-in by default
DEFAULT_PORT = 8080


def serve_command(
    *,
    host: str,
    port: int,
    database_url: str | None,
    data_dir: Path | None,
    oidc_issuer: str | None = None,
    oidc_client_id: str | None = None,
    oidc_client_secret_file: Path | None = None,
    oidc_ca_file: Path | None = None,
    oidc_group_roles: list[str] | None = None,
    session_secret_file: Path | None = None,
    public_url: str | None = None,
    insecure_no_auth: bool = False,
    workers: int = 1,
) -> int:
    """Check the options, open the store, then serve on ``host:port``.

    Bad security options or store settings exit 2 before anything listens.
    """
    # Imported here: the web framework and server cost every other command start-up time.
    from stackyard.service import serve

    def announce() -> None:
        if quiet():
            return
        where = (
            database_url.split("@")[-1] if database_url else str(data_dir or "the data directory")
        )
        login = f", sign-in: {oidc_issuer}" if oidc_issuer else ", no sign-in"
        processes = f", {workers} workers" if workers > 1 else ""
        print(
            f"serving the fleet on http://{host}:{port} (store: {where}{login}{processes})",
            file=sys.stderr,
        )

    serve(
        host=host,
        port=port,
        database_url=database_url,
        data_dir=data_dir,
        oidc_issuer=oidc_issuer,
        oidc_client_id=oidc_client_id,
        oidc_client_secret_file=oidc_client_secret_file,
        oidc_ca_file=oidc_ca_file,
        oidc_group_roles=oidc_group_roles or [],
        session_secret_file=session_secret_file,
        public_url=public_url,
        insecure_no_auth=insecure_no_auth,
        workers=workers,
        ready=announce,
    )
    return OK

"""``stackyard serve``: the fleet service (API and dashboard) until interrupted."""

from __future__ import annotations

import sys
from pathlib import Path

from stackyard.cli.errors import OK
from stackyard.cli.options import quiet

DEFAULT_HOST = "127.0.0.1"  # loopback: every caller is anonymous until login is configured
DEFAULT_PORT = 8080


def serve_command(*, host: str, port: int, database_url: str | None, data_dir: Path | None) -> int:
    """Open the store, then serve on ``host:port``; bad store settings exit 2 before listening."""
    if not quiet():
        where = (
            database_url.split("@")[-1] if database_url else str(data_dir or "the data directory")
        )
        print(f"serving the fleet on http://{host}:{port} (store: {where})", file=sys.stderr)
    # Imported here: the web framework and server cost every other command start-up time.
    from stackyard.service import serve

    serve(host=host, port=port, database_url=database_url, data_dir=data_dir)
    return OK

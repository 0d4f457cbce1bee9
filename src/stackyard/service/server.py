"""Run the service under uvicorn (``stackyard serve``)."""

from __future__ import annotations

from pathlib import Path

import uvicorn

from stackyard.app import open_fleet
from stackyard.service.factory import create_app

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


def serve(
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    database_url: str | None = None,
    data_dir: Path | None = None,
) -> None:
    """Open the fleet's store, then serve the API and dashboard until interrupted.

    The store is opened (and migrated) before the server listens, so a URL that does
    not answer is an error on the command line, not a server that fails every request.

    Raises:
        StoreError: the store cannot be opened.
    """
    fleet = open_fleet(database_url, data_dir)
    try:
        uvicorn.run(create_app(fleet), host=host, port=port, log_level="info")
    finally:
        fleet.close()

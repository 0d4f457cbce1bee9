"""The service on a real socket: uvicorn in a thread of the test process, on a free port.

A browser needs a real HTTP server; running uvicorn in a thread (not a subprocess) lets
the test hand it the fleet it made, and stopping it is setting ``should_exit``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from stackyard.app import Fleet
from stackyard.service import create_app
from stackyard.service.security import OPEN, Security
from tests.servers import free_port

STARTUP_SECONDS = 30.0


@contextmanager
def live_service(fleet: Fleet, security: Security = OPEN) -> Iterator[str]:
    """Serve ``fleet`` on loopback for the ``with`` block, secured as ``security`` says;
    its base URL."""
    port = free_port()
    app = create_app(fleet, security=security)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the service did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_SECONDS)

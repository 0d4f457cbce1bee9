"""What every real server the tests start shares: a free loopback port, waiting until it
answers, and stopping it.

The servers themselves (``tests/registry.py``, ``slapd.py``, ``etcd.py``, ``gitserver.py``,
``helmrepo.py``, ``tokenserver.py``) only configure and describe their own program; how a
port is picked, how long a start may take, what a start that fails shows (the log's tail)
and how a process or a serving thread is stopped is written once, here.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from pathlib import Path

STARTUP_SECONDS = 30.0
"""How long a server may take to answer: generous, the machine is shared."""
STOP_SECONDS = 10.0
LOG_TAIL = 4000


def free_port() -> int:
    """A loopback TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def listening(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Terminate ``process`` and wait for it; kill it if it does not stop in time."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_ready(
    ready: Callable[[], bool],
    process: subprocess.Popen[bytes],
    log: Path,
    what: str,
    seconds: float = STARTUP_SECONDS,
) -> None:
    """Poll ``ready`` until it holds; stop ``process`` and fail with its log if it never does.

    Raises:
        RuntimeError: the process exited, or did not answer within ``seconds`` (the tail of
            its log is in the message).
    """
    deadline = time.monotonic() + seconds
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            stop_process(process)
            text = log.read_text(encoding="utf-8", errors="replace")
            raise RuntimeError(f"{what} did not start:\n{text[-LOG_TAIL:]}")
        time.sleep(0.05)


def serve_in_thread(server: ThreadingHTTPServer, name: str) -> threading.Thread:
    """Serve ``server`` from a daemon thread, listening already when this returns."""
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    return thread


def stop_serving(server: ThreadingHTTPServer, thread: threading.Thread) -> None:
    """Stop a server :func:`serve_in_thread` started, and wait for its thread."""
    server.shutdown()
    server.server_close()
    thread.join(timeout=STOP_SECONDS)

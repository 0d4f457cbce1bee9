"""``stackyard serve`` as a user starts it: a real process, no configuration at all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.servers import free_port

STARTUP_SECONDS = 60.0


def _environment(home: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "STACKYARD_"))}
    return {**environment, "HOME": str(home)}


def test_serve_with_no_configuration_answers_the_dashboard_from_sqlite(tmp_path: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "stackyard", "serve", "--port", str(port)],
        env=_environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert server.poll() is None, server.communicate()[1]
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "stackyard serve did not answer"
                time.sleep(0.2)
        assert page.status_code == 200
        assert "<h1>Platforms</h1>" in page.text
        assert "No platform yet" in page.text
        fleet = httpx.get(f"http://127.0.0.1:{port}/api/v1/platforms", timeout=5).json()
        assert fleet == {"schema": "stackyard.dev/fleet/v1", "platforms": []}
        assert (tmp_path / ".local" / "share" / "stackyard" / "stackyard.db").is_file()
    finally:
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=30)
    assert server.returncode == 0, stderr
    assert f"serving the fleet on http://127.0.0.1:{port}" in stderr


def test_serve_with_a_store_that_does_not_answer_exits_2_before_listening(
    tmp_path: Path,
) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "stackyard",
            "-q",
            "serve",
            "--port",
            str(free_port()),
            "--database-url",
            "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2",
        ],
        env=_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: cannot open the store at postgresql+psycopg://")
    assert "Traceback" not in result.stderr


def test_serve_on_a_network_address_without_sign_in_exits_2_before_listening(
    tmp_path: Path,
) -> None:
    port = free_port()
    result = subprocess.run(
        [sys.executable, "-m", "stackyard", "serve", "--host", "0.0.0.0", "--port", str(port)],
        env=_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(
        "error: command line: --host: refusing to serve on 0.0.0.0 without sign-in"
    )
    assert "--insecure-no-auth" in result.stderr
    assert "serving the fleet" not in result.stderr
    assert not (tmp_path / ".local" / "share" / "stackyard").exists()

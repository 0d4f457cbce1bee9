"""``stackyard serve`` as a user starts it: a real process, with no configuration at all, on
a network address without sign-in (refused), and signing users in through OIDC."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from stackyard.app import settle_collections
from stackyard.service.security import SecurityOptions, security_from_options
from stackyard.service.server import worker_app, worker_environment
from stackyard.service.users import Role
from tests.certificates import certificate_authority, write_certificate
from tests.oidc import CLIENT_ID, CLIENT_SECRET, OidcProvider, sign_in
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
        page = _first_answer(server, f"http://127.0.0.1:{port}/")
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


def test_serve_with_oidc_signs_users_in_with_the_roles_its_options_map(
    tmp_path: Path, oidc: OidcProvider
) -> None:
    oidc.set_user("olga", preferred_username="olga", groups=["platform-team"])
    client_secret = tmp_path / "client-secret"
    client_secret.write_text(CLIENT_SECRET, encoding="utf-8")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "stackyard", "serve", "--port", str(port)),
            *("--data-dir", str(tmp_path / "data"), "--oidc-issuer", oidc.issuer),
            *("--oidc-client-id", CLIENT_ID, "--oidc-client-secret-file", str(client_secret)),
            *("--oidc-group-role", "platform-team=operator"),
        ],
        env=_environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        anonymous = _first_answer(server, f"{base_url}/api/v1/platforms")
        assert anonymous.status_code == 401
        with httpx.Client(follow_redirects=False, timeout=30) as browser:
            assert browser.get(f"{base_url}/").headers["location"] == "/login?next=%2F"
            assert sign_in(browser, base_url, "olga").status_code == 303
            page = browser.get(f"{base_url}/")
            assert page.status_code == 200
            assert "olga" in page.text
        secret = tmp_path / "data" / "session-secret"
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    finally:
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=30)
    assert server.returncode == 0, stderr
    assert f"serving the fleet on {base_url} (store: " in stderr
    assert f"sign-in: {oidc.issuer})" in stderr
    assert "signed in olga as operator" in stderr, stderr
    assert secret.read_text(encoding="utf-8").strip() not in stderr


def test_a_worker_builds_the_service_its_parent_checked_from_every_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Paths, group roles and the rest reach a worker as the parent had them."""
    client_secret = tmp_path / "client-secret"
    client_secret.write_text("s3cret\n", encoding="utf-8")
    session_secret = tmp_path / "session-secret"
    session_secret.write_text("x" * 48, encoding="utf-8")
    _, authority = certificate_authority("Test provider CA")
    options = SecurityOptions(
        host="10.1.2.3",
        data_dir=tmp_path / "data",
        oidc_issuer="https://sso.example.com/realms/platform",
        oidc_client_id="stackyard",
        oidc_client_secret_file=client_secret,
        oidc_ca_file=write_certificate(tmp_path / "ca.pem", authority),
        oidc_group_roles=("ops=operator", "leads=admin"),
        session_secret_file=session_secret,
        public_url="https://fleet.example.com",
    )
    for name, value in worker_environment(options, f"sqlite:///{tmp_path / 'fleet.db'}").items():
        monkeypatch.setenv(name, value)
    try:
        app = worker_app()
    finally:
        settle_collections(False)  # worker_app turns it on for its process
    parent = security_from_options(options)
    assert parent.oidc is not None
    assert app.state.access.group_roles == parent.oidc.group_roles
    assert app.state.access.group_roles == {"ops": Role.operator, "leads": Role.admin}
    assert app.state.secret_key == "x" * 48


def test_serve_with_workers_answers_from_each_and_their_forms_share_one_key(
    tmp_path: Path,
) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "stackyard", "serve", "--port", str(port), "--workers", "2"],
        env=_environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        ready = _first_answer(server, f"{base}/healthz", lambda: len(_workers(server.pid)) == 2)
        assert ready.status_code == 200
        # Each request on a connection of its own: the workers take turns accepting, so
        # a form is often sent to another worker than the one that showed it.
        for _ in range(30):
            page = httpx.get(f"{base}/", headers={"Connection": "close"}, timeout=10)
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token, page.text
            # A missing folder is a 422 at the field, never the 403 of a token the
            # worker taking the form cannot check.
            sent = httpx.post(
                f"{base}/platforms",
                data={"repository": str(tmp_path / "nope"), "csrf_token": token.group(1)},
                cookies=page.cookies,
                headers={"Connection": "close"},
                timeout=10,
            )
            assert sent.status_code == 422, sent.text
        assert len(_workers(server.pid)) == 2
    finally:
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=30)
    assert server.returncode == 0, stderr
    assert "2 workers" in stderr
    assert stderr.count("Started server process") == 2, stderr


def _workers(pid: int) -> list[int]:
    """The worker processes ``pid`` started (not multiprocessing's resource tracker)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            command = Path(f"/proc/{child}/cmdline").read_bytes()
            if b"resource_tracker" not in command:
                found.append(int(child))
    return found


def _first_answer(
    server: subprocess.Popen[str], url: str, ready: Callable[[], bool] = lambda: True
) -> httpx.Response:
    """The first answer ``server`` gives at ``url`` once ``ready()`` holds too."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        assert server.poll() is None, server.communicate()[1]
        assert time.monotonic() < deadline, f"stackyard serve did not answer at {url}"
        if ready():
            try:
                return httpx.get(url, timeout=5)
            except httpx.TransportError:
                pass
        time.sleep(0.2)

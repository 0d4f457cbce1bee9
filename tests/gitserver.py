"""A real Git server for tests: ``git http-backend`` (smart HTTP) behind a small loopback server.

Smart HTTP is what customers run inside the gap (Gitea, GitLab, Bitbucket): the client speaks
the same protocol to this server as to theirs. The front is Python's ``http.server`` running
git's own CGI program for every request, after checking HTTP basic credentials — so a push
without the right password fails as it would against a real forge. Repositories live under a
temporary folder; :meth:`GitServer.create` makes an empty bare one.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from tests.servers import serve_in_thread, stop_serving

USERNAME = "gitops"
PASSWORD = "git-secret"  # a throwaway password of a throwaway server


class GitMissingError(RuntimeError):
    """git (with its http-backend) is not installed."""


@dataclass(frozen=True)
class GitServer:
    """A running Git server on loopback and the folder its repositories live in."""

    port: int
    root: Path
    server: ThreadingHTTPServer
    thread: threading.Thread

    def url(self, name: str) -> str:
        """The clone URL of repository ``name`` (no credentials in it)."""
        return f"http://127.0.0.1:{self.port}/{name}"

    def create(self, name: str) -> str:
        """An empty bare repository ``name``; returns its URL."""
        subprocess.run(
            ["git", "init", "--quiet", "--bare", str(self.root / name)],
            check=True,
            capture_output=True,
        )
        return self.url(name)

    def stop(self) -> None:
        """Stop serving and wait for the serving thread."""
        stop_serving(self.server, self.thread)


def _backend() -> str:
    done = subprocess.run(["git", "--exec-path"], capture_output=True, text=True, check=False)
    program = Path(done.stdout.strip()) / "git-http-backend"
    if done.returncode != 0 or not program.is_file():
        raise GitMissingError("the Git server tests need git with git-http-backend")
    return str(program)


def start_git_server(root: Path) -> GitServer:
    """Serve the repositories under ``root`` over smart HTTP on a free loopback port."""
    if shutil.which("git") is None:
        raise GitMissingError("the Git server tests need git (apt-get install git)")
    backend = _backend()
    expected = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: pytest shows failures, not every request."""

        def _serve(self) -> None:
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="stackyard-test"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            parts = urlsplit(self.path)
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "GIT_PROJECT_ROOT": str(root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "REMOTE_USER": USERNAME,
                "REMOTE_ADDR": "127.0.0.1",
                "REQUEST_METHOD": self.command,
                "PATH_INFO": parts.path,
                "QUERY_STRING": parts.query,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
                "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
            }
            body = b"".join(self._body())
            env["CONTENT_LENGTH"] = str(len(body))
            done = subprocess.run([backend], input=body, env=env, capture_output=True, check=False)
            head, _, payload = done.stdout.partition(b"\r\n\r\n")
            status = 200
            headers: list[tuple[str, str]] = []
            for line in head.decode("latin-1").split("\r\n"):
                name, _, value = line.partition(":")
                if name.lower() == "status":
                    status = int(value.split()[0])
                elif name:
                    headers.append((name, value.strip()))
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _body(self) -> Iterator[bytes]:
            # git sends large pushes with chunked transfer encoding (past http.postBuffer).
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        self.rfile.readline()
                        return
                    yield self.rfile.read(size)
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                yield self.rfile.read(length)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = serve_in_thread(server, "git-server")
    return GitServer(server.server_address[1], root, server, thread)


def git(*args: str | Path, cwd: Path) -> str:
    """Run git in ``cwd`` as a test author; its stdout."""
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *map(str, args)]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


def sample_bundle(tmp_path: Path) -> tuple[Path, Path]:
    """A repository with two branches and a tag, and its bundle."""
    source = tmp_path / "source"
    source.mkdir()
    git("init", "-q", "-b", "main", cwd=source)
    (source / "app.yaml").write_text("replicas: 1\n")
    git("add", ".", cwd=source)
    git("commit", "-qm", "first render", cwd=source)
    git("tag", "-a", "v1", "-m", "release", cwd=source)
    git("checkout", "-qb", "staging", cwd=source)
    (source / "app.yaml").write_text("replicas: 2\n")
    git("commit", "-qam", "staging render", cwd=source)
    bundle = tmp_path / "gitops.bundle"
    git("bundle", "create", "-q", bundle, "--all", cwd=source)
    return source, bundle

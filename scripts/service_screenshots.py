"""Take the fleet service's screenshots in docs/images/ (run by hand after a dashboard change).

Makes two platform repositories from the examples (``community-poc``, ``local-multicluster``)
in a temporary folder, renders and commits each, serves a fleet of both on loopback and
photographs the fleet page and a platform page in Debian's Chromium at 1280 px, and the
platform page at a phone's 390 px::

    python scripts/service_screenshots.py
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from stackyard.app import add_platform, open_fleet, render
from stackyard.service import create_app

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
IMAGES = ROOT / "docs" / "images"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IDENTITY = {
    "GIT_AUTHOR_NAME": "Platform Team",
    "GIT_AUTHOR_EMAIL": "platform@example.com",
    "GIT_COMMITTER_NAME": "Platform Team",
    "GIT_COMMITTER_EMAIL": "platform@example.com",
}
SHOTS = [  # file, path, width, whole page
    ("service-fleet.png", "/", 1280, False),
    ("service-platform.png", "/platforms/local-multicluster", 1280, False),
    ("service-platform-phone.png", "/platforms/local-multicluster", 390, False),
]


def _repository(folder: Path, example: str) -> Path:
    folder.mkdir(parents=True)
    text = (EXAMPLES / f"{example}.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^(  path:) \.$", r"\1 rendered", text, count=1)
    (folder / "platform.yaml").write_text(text, encoding="utf-8")
    shutil.copytree(EXAMPLES / "apis", folder / "apis")
    for args in (("init", "-q", "-b", "main"), ("add", "."), ("commit", "-qm", "the spec")):
        subprocess.run(["git", "-C", str(folder), *args], check=True)
    render(folder / "platform.yaml", folder / "rendered", commit=True)
    return folder


def main() -> int:
    """Write the screenshots."""
    os.environ.update(IDENTITY)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        fleet = open_fleet(f"sqlite:///{root / 'store.db'}")
        for example in ("community-poc", "local-multicluster"):
            add_platform(fleet, _repository(root / example, example))
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(create_app(fleet), host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                for name, path, width, full in SHOTS:
                    page = browser.new_page(viewport={"width": width, "height": 860})
                    page.goto(f"http://127.0.0.1:{port}{path}")
                    page.screenshot(path=str(IMAGES / name), full_page=full)
                    page.close()
                    print(f"wrote docs/images/{name}", file=sys.stderr)
                browser.close()
        finally:
            server.should_exit = True
            thread.join()
            fleet.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

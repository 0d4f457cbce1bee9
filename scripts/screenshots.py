"""Take the fleet service's screenshots in docs/images/ (run by hand after a dashboard change).

Makes two platform repositories from the examples (``community-poc``, ``local-multicluster``)
in a temporary folder, renders and commits each, serves a fleet of both on loopback (open,
so the caller is the anonymous operator and sees the forms) and photographs in Debian's
Chromium: the fleet page, a platform page and a cluster page at 1280 px, the platform page
at a phone's 390 px, the register form sent with an overlapping node range (the problem
shown at its field) and, empty, at 390 px, and a deregistration's confirmation page.
Nothing is committed: the registration is refused and the deregistration not confirmed::

    python scripts/screenshots.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from stackyard.app import add_platform, open_fleet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The tests' repositories and live server: the pages shown are the ones the tests check.
from tests.fleet_repos import GIT_IDENTITY, platform_repository  # noqa: E402
from tests.service.live import live_service  # noqa: E402

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
PLATFORM = "/platforms/local-multicluster"
SHOTS = [  # file, path, width
    ("service-fleet.png", "/", 1280),
    ("service-platform.png", PLATFORM, 1280),
    ("service-platform-phone.png", PLATFORM, 390),
    ("service-cluster.png", PLATFORM + "/clusters/app1", 1280),
]
REGISTRATION = {  # an app cluster whose node range overlaps app2's: the plan refuses it
    "#f-name": "app3",
    "#f-node_range": "192.168.64.30-192.168.64.39",
    "#f-node_subnet": "192.168.64.0/24",
    "#f-pod_cidr": "10.104.0.0/16",
    "#f-service_cidr": "10.100.0.0/16",
    "#f-load_balancer_pool": "192.168.64.140-192.168.64.149",
    "#f-node_pools": "name=cp,role=control-plane,count=1,cpu=2,memory=3Gi\n"
    "name=worker,count=2,cpu=4,memory=8Gi",
    "#f-labels": "team=payments",
}


def _forms(browser: Browser, base: str) -> None:
    """The register form with a refused registration, and a deregistration to confirm."""
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.goto(base + PLATFORM)
    page.locator("summary", has_text="Register a cluster").click()
    for field, value in REGISTRATION.items():
        page.locator(field).fill(value)
    page.locator("#f-policy_template").select_option("restricted")
    page.get_by_role("button", name="Register cluster").click()
    page.locator("#e-node_range").wait_for()
    page.locator("#register").screenshot(path=str(IMAGES / "service-register.png"))
    print("wrote docs/images/service-register.png", file=sys.stderr)

    phone = browser.new_page(viewport={"width": 390, "height": 860})
    phone.goto(base + PLATFORM)
    phone.locator("summary", has_text="Register a cluster").click()
    phone.locator("#register").screenshot(path=str(IMAGES / "service-register-phone.png"))
    print("wrote docs/images/service-register-phone.png", file=sys.stderr)
    phone.close()

    page.goto(base + PLATFORM + "/clusters/app1")
    page.locator("summary", has_text="Deregister this cluster").click()
    page.get_by_role("button", name="Show what deregistering changes").click()
    page.locator("table.changes").wait_for()
    page.screenshot(path=str(IMAGES / "service-deregister.png"))
    print("wrote docs/images/service-deregister.png", file=sys.stderr)
    page.close()


def main() -> int:
    """Write the screenshots."""
    os.environ.update(GIT_IDENTITY)  # render's commits take their identity from here
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        fleet = open_fleet(f"sqlite:///{root / 'store.db'}")
        try:
            for example in ("community-poc", "local-multicluster"):
                # roomy: the local example's host gets memory for a fourth cluster's VMs.
                add_platform(fleet, platform_repository(root / example, example, roomy=True))
            with live_service(fleet) as base, sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                for name, path, width in SHOTS:
                    page = browser.new_page(viewport={"width": width, "height": 860})
                    page.goto(base + path)
                    page.screenshot(path=str(IMAGES / name))
                    page.close()
                    print(f"wrote docs/images/{name}", file=sys.stderr)
                _forms(browser, base)
                browser.close()
        finally:
            fleet.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The dashboard in Debian's Chromium (through Playwright): the fleet page, a platform page.

Chromium is the system's (/usr/bin/chromium, installed by .ci/run), never a browser
Playwright downloads. Each page must show its data and fit the viewport without
scrolling sideways at a wide screen's 1280 px and a phone's 390 px.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from stackyard.app import Fleet
from tests.service.live import live_service

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "install Debian's chromium (CI does, see .ci/run)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("width", [1280, 390])
def test_the_fleet_and_a_platform_page_show_their_data_at_any_width(
    browser: Browser, full_fleet: Fleet, width: int
) -> None:
    with live_service(full_fleet) as base:
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(base + "/")
        rows = page.locator("table.fleet tbody tr")
        assert rows.count() == 2
        assert "kubeadm 1.35" in rows.nth(1).inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width

        page.get_by_role("link", name="local-multicluster").click()
        page.wait_for_url(base + "/platforms/local-multicluster")
        assert page.locator("h1").inner_text() == "local-multicluster"
        assert page.locator("svg.radar polygon.rating").count() == 1
        assert page.locator("details summary").count() == 3
        assert page.locator("table.matrix tbody tr").count() >= 3
        assert page.evaluate("document.documentElement.scrollWidth") <= width

        page.get_by_role("link", name="mgmt", exact=True).first.click()
        page.wait_for_url(base + "/platforms/local-multicluster/clusters/mgmt")
        assert "argo-cd" in page.locator("main").inner_text()
        page.close()

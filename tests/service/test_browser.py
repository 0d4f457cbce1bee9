"""The dashboard in Debian's Chromium (through Playwright): the pages, and an operator's
changes through the forms, end to end: signed in through the real OIDC provider process, a
real Git repository, its commits validated.

Chromium is the system's (/usr/bin/chromium, installed by .ci/run), never a browser
Playwright downloads. Each page must show its data and fit the viewport without
scrolling sideways at a wide screen's 1280 px and a phone's 390 px.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from stackyard.app import Fleet, add_platform
from tests.fleet_repos import git
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
        assert page.locator("details.cluster summary").count() == 3
        assert page.locator("table.matrix tbody tr").count() >= 3
        assert page.evaluate("document.documentElement.scrollWidth") <= width

        page.get_by_role("link", name="mgmt", exact=True).first.click()
        page.wait_for_url(base + "/platforms/local-multicluster/clusters/mgmt")
        assert "argo-cd" in page.locator("main").inner_text()
        page.close()


def fits(page: Page, width: int) -> None:
    """The page does not scroll sideways at ``width``."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("width", [1280, 390])
def test_an_operator_adds_a_platform_registers_and_deregisters_a_cluster_in_the_browser(
    browser: Browser,
    fleet: Fleet,
    repositories: dict[str, Path],
    repository: Path,
    service: str,
    width: int,
) -> None:
    add_platform(fleet, repositories["community-poc"])
    before = git(repository, "rev-parse", "HEAD")
    base = service
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(base + "/")  # not signed in: off to the provider's sign-in form
    assert not page.url.startswith(base)
    page.locator("input[name=sub]").fill("otto")  # an operator by his groups
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(base + "/")
    assert "otto" in page.locator("header.top").inner_text()
    page.locator("summary", has_text="Add a platform").click()
    page.locator("#f-repository").fill(str(repository))
    fits(page, width)
    page.get_by_role("button", name="Add platform").click()
    page.wait_for_url(base + "/platforms/local-multicluster")
    assert page.locator("details.cluster").count() == 3

    page.locator("summary", has_text="Register a cluster").click()
    form = page.locator("form[action='/platforms/local-multicluster/clusters']")
    form.locator("#f-name").fill("app3")
    form.locator("#f-node_range").fill("192.168.64.40-192.168.64.49")
    form.locator("#f-node_subnet").fill("192.168.64.0/24")
    form.locator("#f-pod_cidr").fill("10.104.0.0/16")
    form.locator("#f-service_cidr").fill("10.100.0.0/33")  # a typo first
    form.locator("#f-load_balancer_pool").fill("192.168.64.140-192.168.64.149")
    form.locator("#f-node_pools").fill(
        "name=cp,role=control-plane,count=1,cpu=2,memory=3Gi\nname=worker,count=1,cpu=2,memory=4Gi"
    )
    form.locator("#f-labels").fill("team=payments")
    form.locator("#f-policy_template").select_option("restricted")
    fits(page, width)
    form.get_by_role("button", name="Register cluster").click()
    page.wait_for_load_state()
    problem = page.locator("#e-service_cidr")
    assert "is not a CIDR" in problem.inner_text()
    assert page.locator("#f-name").input_value() == "app3"  # what was typed is kept
    assert git(repository, "rev-parse", "HEAD") == before
    fits(page, width)

    page.locator("#f-service_cidr").fill("10.100.0.0/16")
    page.get_by_role("button", name="Register cluster").click()
    page.wait_for_url(re.compile(r".*/clusters/app3\?done=registered.*"), timeout=120_000)
    commit = git(repository, "rev-parse", "HEAD")
    assert commit[:12] in page.locator("[role=status]").inner_text()
    assert "restricted" in page.locator(".facts").inner_text()
    fits(page, width)

    page.get_by_role("link", name="local-multicluster").click()
    assert page.locator(".facts").inner_text().count(commit[:12]) == 1  # its last render
    assert page.get_by_role("link", name="app3", exact=True).count() == 1
    assert git(repository, "rev-parse", "HEAD~1") == before  # one new commit
    changed = git(repository, "show", "--name-only", "--format=", "HEAD").splitlines()
    assert "platform.yaml" in changed
    assert "rendered/apps/clusters/app3.yaml" in changed
    assert any(path.startswith("rendered/manifests/app3/") for path in changed)
    assert git(repository, "status", "--porcelain") == ""
    validated = subprocess.run(
        [sys.executable, "-m", "stackyard", "validate", str(repository / "rendered")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr

    page.get_by_role("link", name="app3", exact=True).click()
    page.locator("summary", has_text="Deregister this cluster").click()
    page.get_by_role("button", name="Show what deregistering changes").click()
    page.wait_for_url(base + "/platforms/local-multicluster/clusters/app3/deregister")
    assert page.locator("tr.disruptive").count() >= 1
    assert git(repository, "rev-parse", "HEAD") == commit  # nothing changed yet
    fits(page, width)
    page.get_by_role("button", name="Deregister app3").click()
    page.wait_for_url(re.compile(r".*/platforms/local-multicluster\?done=deregistered.*"))
    assert "app3 deregistered" in page.locator("[role=status]").inner_text()
    assert page.get_by_role("link", name="app3", exact=True).count() == 0
    assert git(repository, "log", "-1", "--format=%s") == "Deregister cluster app3"
    assert git(repository, "rev-parse", "HEAD~1") == commit
    page.close()
    events = [(e.actor, e.action, e.detail) for e in fleet.store.audit_events()]
    assert ("otto", "cluster.register", "app3") in events
    assert ("otto", "cluster.deregister", "app3") in events

"""The dashboard's pages over the store and repositories (no browser: the HTML itself)."""

from __future__ import annotations

import datetime
import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from stackyard.app import AreaRating, Fleet, HistoryPoint
from stackyard.service.charts import radar, trend


class _Balance(HTMLParser):
    """Counts open and closed elements, to catch a template that leaves one open."""

    VOID = frozenset(
        {"meta", "br", "link", "img", "input", "hr", "polygon", "line", "circle", "polyline"}
    )

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()


def _balanced(html: str) -> str:
    parser = _Balance()
    parser.feed(html)
    assert parser.stack == []
    return html


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_fleet_page_lists_every_platform_with_its_state(
    client: TestClient, full_fleet: Fleet
) -> None:
    page = client.get("/")
    assert page.status_code == 200
    html = _balanced(page.text)
    assert '<a href="/platforms/community-poc">community-poc</a>' in html
    assert '<a href="/platforms/local-multicluster">local-multicluster</a>' in html
    assert "ingress-nginx-public is retired upstream" in html
    assert html.count('<span class="badge ok">none</span>') == 2  # no drift on either


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_platform_page_shows_clusters_maturity_findings_and_incidents(
    client: TestClient, full_fleet: Fleet
) -> None:
    html = _balanced(client.get("/platforms/local-multicluster").text)
    for cluster in ("mgmt", "app1", "app2"):
        assert f'<a href="/platforms/local-multicluster/clusters/{cluster}">{cluster}</a>' in html
    assert '<svg class="chart radar"' in html
    assert '<svg class="chart trend"' in html
    assert "1 assessed commit." in html
    assert '<table class="matrix">' in html
    assert "promtail" in html and "deprecated" in html


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_cluster_page_shows_its_components_and_its_outage(
    client: TestClient, full_fleet: Fleet
) -> None:
    html = _balanced(client.get("/platforms/local-multicluster/clusters/app1").text)
    assert "<h1>app1</h1>" in html
    assert "If this cluster is down for an hour" in html
    assert "<h2>Policy: " in html
    assert '<table class="policy">' in html
    assert "application workloads" in html


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("path", ["/platforms/nope", "/platforms/community-poc/clusters/nope"])
def test_an_unknown_page_is_a_404_page_not_json(
    client: TestClient, full_fleet: Fleet, path: str
) -> None:
    page = client.get(path)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in _balanced(page.text)


def test_the_radar_has_a_spoke_per_area_and_scales_each_rating() -> None:
    areas = [AreaRating(f"a{i}", f"Area {i}", rating) for i, rating in enumerate([1, 3, 5, 2])]
    svg = str(radar(areas))
    assert svg.count('class="spoke"') == 4
    assert svg.count('class="ring"') == 5
    (rated,) = re.findall(r'class="rating" points="([^"]+)"', svg)
    centre = 210.0
    # the area rated 5 (third spoke, pointing down) reaches the outer ring: radius 140
    x, y = (float(v) for v in rated.split()[2].split(","))
    assert (round(x, 1), round(y - centre, 1)) == (centre, 140.0)
    assert radar(areas[:2]) == ""  # two spokes enclose nothing


def test_the_trend_has_a_point_per_commit_and_a_line_through_them() -> None:
    at = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    history = [
        HistoryPoint(f"{i:040d}", level, {"a": i + 1, "b": i + 1}, 0, at)
        for i, level in enumerate(["Build", "Operate", "Scale"])
    ]
    svg = str(trend(history))
    assert svg.count('class="point"') == 3
    assert svg.count("<polyline") == 1
    assert ">Scale</text>" in svg
    assert str(trend(history[:1])).count("<polyline") == 0
    assert trend([]) == ""

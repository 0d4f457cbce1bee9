"""The SVG draws exactly the intervals of the JSON report, for several scenarios."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from stackyard.simulate.run import run_scenario
from stackyard.simulate.scenario import load_scenario, single_failure
from stackyard.simulate.svg import COLOURS, incident_svg
from tests.simulate.conftest import example_model

Write = Callable[[str, str], Path]
SVG = "{http://www.w3.org/2000/svg}"

STAGED = """\
name: mgmt down, staged recovery
steps:
  - {at: 0s, fail: mgmt}
  - {at: 30m, recover: nodes@mgmt}
  - {at: 30m, recover: control-plane@mgmt}
  - {at: 30m, recover: cilium@mgmt}
  - {at: 30m, recover: vault}
  - {at: 3h, recover: mgmt}
"""
LEFT_DOWN = "name: thanos lost\nsteps:\n  - {at: 10m, fail: thanos}\n"
TWICE = """\
name: vault twice
steps:
  - {at: 0s, fail: vault}
  - {at: 2h, recover: vault}
  - {at: 3h, fail: vault}
  - {at: 4h, recover: vault}
"""

Bar = tuple[float, float | None, str]


def expected_function_bars(function: dict[str, Any]) -> list[Bar]:
    """The bars the JSON periods call for."""
    bars: list[Bar] = []
    buffered = function["buffer"] is not None and function["state"] != "interrupted"
    for period in function["periods"]:
        start, end, exhausted = period["start"], period["end"], period["exhaustedAt"]
        if not buffered:
            bars.append((start, end, "interrupted"))
        elif exhausted is not None:
            bars += [(start, exhausted, "kept"), (exhausted, end, "lost")]
        else:
            bars.append((start, end, "kept"))
    return bars


def expected_target_bars(data: dict[str, Any], target: str) -> list[Bar]:
    """Down while all of the target's services are, partly down while some are."""
    steps = data["scenario"]["steps"]
    services = {s for step in steps if step["target"] == target for s in step["services"]}
    down = data["scenario"]["down"]
    spans = {s: [(p["start"], p["end"]) for p in down.get(s, [])] for s in services}
    points = sorted(
        {
            point if point is not None else float("inf")
            for found in spans.values()
            for span in found
            for point in span
        }
    )
    bars: list[Bar] = []
    for start, stop in pairwise(points):
        count = sum(
            any(a <= start and stop <= (float("inf") if b is None else b) for a, b in found)
            for found in spans.values()
        )
        if not count:
            continue
        state = "down" if count == len(services) else "partly-down"
        end = None if stop == float("inf") else stop
        if bars and bars[-1][1] == start and bars[-1][2] == state:
            bars[-1] = (bars[-1][0], end, state)
        else:
            bars.append((start, end, state))
    return bars


def drawn(svg: str) -> tuple[dict[str, list[Bar]], dict[str, list[Bar]]]:
    """Bars per function key and per target row label, as the SVG draws them."""
    root = ElementTree.fromstring(svg)
    by_function: dict[str, list[Bar]] = {}
    by_target: dict[str, list[Bar]] = {}
    for rect in root.iter(f"{SVG}rect"):
        state = rect.get("data-state")
        if state is None:
            continue
        assert rect.get("fill") == COLOURS[state]
        end_text = rect.get("data-end") or ""
        bar = (float(rect.get("data-start") or 0), float(end_text) if end_text else None, state)
        keys = (rect.get("data-functions") or "").split()
        if keys:
            for key in keys:
                by_function.setdefault(key, []).append(bar)
        else:
            label = (rect.findtext(f"{SVG}title") or "").split(":")[0]
            by_target.setdefault(label, []).append(bar)
    return by_function, by_target


@pytest.mark.parametrize("scenario", [STAGED, LEFT_DOWN, TWICE, None])
def test_every_bar_is_an_interval_of_the_json_report(
    write_file: Write, scenario: str | None
) -> None:
    model = example_model("local-multicluster")
    if scenario is None:
        loaded = single_failure(model, "mgmt", "3h")
    else:
        loaded = load_scenario(model, write_file("scenario.yaml", scenario))
    report = run_scenario(model, loaded)
    data = report.as_dict()
    by_function, by_target = drawn(incident_svg(report))
    keys = [function["key"] for function in data["functions"]]
    assert len(keys) == len(set(keys)), "every function of the JSON report has its own key"
    expected = {function["key"]: expected_function_bars(function) for function in data["functions"]}
    assert set(by_function) == set(expected)
    for key, bars in expected.items():
        assert sorted(by_function[key], key=str) == sorted(bars, key=str), key
    failed = dict.fromkeys(s["target"] for s in data["scenario"]["steps"] if s["action"] == "fail")
    for target in failed:
        label = next(k for k in by_target if k.split(" down")[0] == target)
        assert by_target[label] == expected_target_bars(data, target), target


def test_a_staged_recovery_is_drawn_as_partly_down(write_file: Write) -> None:
    model = example_model("local-multicluster")
    report = run_scenario(model, load_scenario(model, write_file("staged.yaml", STAGED)))
    _, by_target = drawn(incident_svg(report))
    assert by_target["mgmt down"] == [(0.0, 1800.0, "down"), (1800.0, 10800.0, "partly-down")]


def test_interrupted_and_data_lost_have_distinct_colours() -> None:
    assert len({COLOURS["interrupted"], COLOURS["lost"], COLOURS["kept"], COLOURS["down"]}) == 4


def test_a_consumer_needing_a_function_from_several_providers_names_each() -> None:
    # Grafana on mgmt reads dashboard data from Prometheus, Thanos and Loki, by name: with
    # CoreDNS down all three stop at once and share a bar. One key per provider, in the
    # JSON report and on that bar, never one key repeated.
    model = example_model("local-multicluster")
    report = run_scenario(model, single_failure(model, "coredns@mgmt", "1h"))
    keys = [f["key"] for f in report.as_dict()["functions"]]
    grafana = sorted(k for k in keys if k.startswith("dashboards-data/grafana@mgmt/"))
    assert grafana == [
        "dashboards-data/grafana@mgmt/loki@mgmt",
        "dashboards-data/grafana@mgmt/prometheus@mgmt",
        "dashboards-data/grafana@mgmt/thanos@mgmt",
    ]
    root = ElementTree.fromstring(incident_svg(report))
    for rect in root.iter(f"{SVG}rect"):
        named = (rect.get("data-functions") or "").split()
        assert len(named) == len(set(named)), named
    drawn_keys = {
        key
        for rect in root.iter(f"{SVG}rect")
        for key in (rect.get("data-functions") or "").split()
    }
    assert set(grafana) <= drawn_keys


@pytest.mark.parametrize(
    "example", ["local-multicluster", "aws-standard", "aws-enterprise", "community-poc"]
)
def test_every_function_key_is_unique_in_the_model(example: str) -> None:
    keys = [f.key for f in example_model(example).functions]
    assert len(keys) == len(set(keys))

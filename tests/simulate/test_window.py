"""The simulated window: bounded durations, targets left down, repeated or late steps."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from xml.etree import ElementTree

import pytest

from stackyard.errors import COMMAND_LINE, InputError
from stackyard.simulate.run import run_scenario
from stackyard.simulate.scenario import MAX_WINDOW, load_scenario, window_seconds
from stackyard.simulate.svg import MAX_TICKS, incident_svg, ticks
from stackyard.simulate.text import incident_text
from tests.simulate.conftest import example_model

Write = Callable[[str, str], Path]
SVG = "{http://www.w3.org/2000/svg}"
HOUR = 3600.0
LEFT_DOWN = "name: mgmt lost\nsteps:\n  - {at: 0s, fail: mgmt}\n  - {at: 30m, recover: vault}\n"


def test_a_target_left_down_is_reported_still_down_when_the_window_ends(
    write_file: Write,
) -> None:
    model = example_model("local-multicluster")  # slo.rto: 1h
    scenario = load_scenario(model, write_file("lost.yaml", LEFT_DOWN))
    assert scenario.end == 30 * 60 + HOUR  # one RTO past the last step
    report = run_scenario(model, scenario)
    last = report.simulation.events[-1]
    assert (last.at, last.kind, last.subject) == (scenario.end, "still-down", "mgmt")
    assert "not recovered" in last.text
    rto = next(e for e in report.slo if e.slo == "rto" and e.subject == "mgmt")
    assert rto.verdict == "exceeds"
    assert rto.value == "down 1h30m, not recovered when the simulated window ends"
    vault = next(r for r in report.recovery if r.service.id == "vault@mgmt")
    assert vault.recovered is False  # mgmt's nodes are still down, so Vault is too
    assert vault.met is False and vault.down_seconds == scenario.end
    assert "⏸ mgmt still down when the simulated window ends" in incident_text(report)


def test_json_and_svg_agree_on_what_is_still_down(write_file: Write) -> None:
    model = example_model("local-multicluster")
    report = run_scenario(model, load_scenario(model, write_file("lost.yaml", LEFT_DOWN)))
    data = report.as_dict()
    assert data["scenario"]["stillDown"] == ["mgmt"]
    assert data["scenario"]["endSeconds"] == 90 * 60
    deploys = next(f for f in data["functions"] if f["function"] == "deploys")
    assert deploys["periods"][-1]["end"] is None  # no recovery inside the window
    root = ElementTree.fromstring(incident_svg(report))
    labels = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert "mgmt down (not recovered)" in labels
    width = float(root.get("width") or 0)
    mgmt = next(
        r
        for r in root.iter(f"{SVG}rect")
        if (r.findtext(f"{SVG}title") or "").startswith("mgmt down (not recovered)")
    )
    # The bar runs on past the end of the window to the right edge of the chart.
    right = float(mgmt.get("x") or 0) + float(mgmt.get("width") or 0)
    assert right == pytest.approx(width - 40)
    end_line = next(
        line for line in root.iter(f"{SVG}line") if line.get("stroke-dasharray") is not None
    )
    assert (end_line.findtext(f"{SVG}title") or "").endswith("1h30m")


def test_a_window_given_with_for_runs_on_after_the_last_step(write_file: Write) -> None:
    model = example_model("local-multicluster")
    text = "name: x\nfor: 4h\nsteps:\n  - {at: 0s, fail: thanos}\n  - {at: 3h, recover: thanos}\n"
    report = run_scenario(model, load_scenario(model, write_file("for.yaml", text)))
    assert report.simulation.end == 4 * HOUR
    assert report.simulation.still_down == frozenset()
    kinds = {(e.kind, e.function) for e in report.simulation.events}
    assert ("exhausted", "metrics-shipping") in kinds  # the 2h40m WAL ran out before 3h
    assert ("recovered", "metrics-shipping") in kinds


def test_a_window_that_ends_before_the_rto_leaves_the_verdict_undecided(
    write_file: Write,
) -> None:
    model = example_model("local-multicluster")
    text = "name: x\nfor: 20m\nsteps:\n  - {at: 0s, fail: grafana}\n"
    report = run_scenario(model, load_scenario(model, write_file("short.yaml", text)))
    rto = next(e for e in report.slo if e.slo == "rto")
    assert (rto.verdict, rto.value) == (
        "undecided",
        "down 20m, not recovered when the simulated window ends",
    )
    grafana = next(r for r in report.recovery if r.service.id == "grafana@mgmt")
    assert grafana.met is None and not grafana.recovered  # target 1h, window 20m


def test_a_recovery_the_same_instant_as_another_targets_failure_is_fine(
    write_file: Write,
) -> None:
    model = example_model("local-multicluster")
    text = "name: x\nsteps:\n  - {at: 0s, fail: vault}\n  - {at: 1h, recover: vault}\n"
    text += "  - {at: 1h, fail: thanos}\n  - {at: 2h, recover: thanos}\n"
    scenario = load_scenario(model, write_file("relay.yaml", text))
    assert scenario.end == 2 * HOUR
    assert not run_scenario(model, scenario).simulation.still_down


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("0s", "'0s' is not a positive duration"),
        ("0", "'0' is not a positive duration"),
        ("-5m", "'-5m' is not a duration"),
        ("1e5h", "'1e5h' is not a duration"),
        ("", "'' is not a duration"),
        ("three hours", "'three hours' is not a duration"),
        ("366d", "'366d' is longer than 365d (a year)"),
        ("8761h", "'8761h' is longer than 365d (a year)"),
        ("9" * 400 + "s", "(401 characters) is longer than 365d (a year)"),
        ("1" * 400 + "x", "(401 characters) is not a duration"),
    ],
)
def test_a_window_is_a_positive_duration_of_at_most_a_year(text: str, words: str) -> None:
    with pytest.raises(InputError) as raised:
        window_seconds(text, COMMAND_LINE, "--for")
    message = str(raised.value)
    assert "--for" in message and words in message, message
    assert len(message) < 200, message


def test_a_year_is_the_longest_window() -> None:
    assert window_seconds("365d", COMMAND_LINE, "--for") == MAX_WINDOW
    assert window_seconds("8760h", COMMAND_LINE, "--for") == MAX_WINDOW
    assert window_seconds("1ms", COMMAND_LINE, "--for") == 0.001


@pytest.mark.parametrize("horizon", [0.0, 60.0, 66.0, 3.3 * HOUR, 40 * 86400.0, 1.1 * MAX_WINDOW])
def test_the_axis_has_a_bounded_number_of_evenly_spaced_ticks(horizon: float) -> None:
    marks = ticks(horizon)
    assert 1 <= len(marks) <= MAX_TICKS + 1
    assert marks[0] == 0.0 and marks[-1] <= horizon
    steps = {b - a for a, b in pairwise(marks)}
    assert len(steps) <= 1


def test_the_axis_stays_bounded_for_spans_beyond_any_window() -> None:
    for exponent in range(8, 300, 7):
        assert len(ticks(10.0**exponent)) <= MAX_TICKS + 1
    with pytest.raises(ValueError):
        ticks(float("inf"))


def test_a_target_that_fails_twice_is_one_row_with_two_bars(write_file: Write) -> None:
    model = example_model("local-multicluster")
    text = "name: x\nsteps:\n  - {at: 0s, fail: vault}\n  - {at: 1h, recover: vault}\n"
    text += "  - {at: 2h, fail: vault}\n  - {at: 3h, recover: vault}\n"
    report = run_scenario(model, load_scenario(model, write_file("twice.yaml", text)))
    root = ElementTree.fromstring(incident_svg(report))
    assert [t.text for t in root.iter(f"{SVG}text")].count("vault down") == 1
    bars = [
        r.findtext(f"{SVG}title")
        for r in root.iter(f"{SVG}rect")
        if (r.findtext(f"{SVG}title") or "").startswith("vault down:")
    ]
    assert bars == ["vault down: 0s–1h (target down)", "vault down: 2h–3h (target down)"]


def test_control_characters_in_a_scenario_are_refused_at_their_line(write_file: Write) -> None:
    model = example_model("local-multicluster")
    path = write_file("ctl.yaml", 'name: "a\\x01b"\nsteps:\n  - {at: 0s, fail: "mgmt\\n"}\n')
    with pytest.raises(InputError) as raised:
        load_scenario(model, path)
    message = str(raised.value)
    assert f"{path}:1:7: name:" in message and "U+0001" in message
    assert f"{path}:3:" in message and "steps[0].fail" in message

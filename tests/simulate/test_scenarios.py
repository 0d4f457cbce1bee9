"""Scenario files: multi-step incidents, and clear errors for bad ones."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from stackyard.errors import InputError, YamlError
from stackyard.simulate.run import run_scenario
from stackyard.simulate.scenario import load_scenario, single_failure
from tests.simulate.conftest import example_model

Write = Callable[[str, str], Path]

STAGED = """\
name: mgmt down, Vault first, then Thanos
steps:
  - {at: 0s, fail: mgmt}
  - {at: 30m, recover: nodes@mgmt}
  - {at: 30m, recover: control-plane@mgmt}
  - {at: 30m, recover: cilium@mgmt}
  - {at: 30m, recover: cilium-gateway-api@mgmt}
  - {at: 30m, recover: metallb@mgmt}
  - {at: 45m, recover: vault}
  - {at: 2h, recover: thanos}
  - {at: 3h, recover: mgmt}
"""


def test_staged_recovery_brings_functions_back_in_step(write_file: Write) -> None:
    model = example_model("local-multicluster")
    scenario = load_scenario(model, write_file("staged.yaml", STAGED))
    report = run_scenario(model, scenario)
    back = {(e.function, e.where): e.at for e in report.simulation.events if e.kind == "recovered"}
    assert back["secret-refresh", "app1"] == 45 * 60
    assert back["metrics-shipping", "app1"] == 2 * 3600
    assert back["deploys", "app1"] == 3 * 3600
    exhausted = {e.function for e in report.simulation.events if e.kind == "exhausted"}
    assert "secret-refresh" not in exhausted  # Vault was back before the 1 h cache ran out
    assert "metrics-shipping" not in exhausted  # Thanos was back inside the 2h40m WAL
    vault = next(r for r in report.recovery if r.service.id == "vault@mgmt")
    assert vault.down_seconds == 45 * 60
    assert (
        report.as_dict()
        == run_scenario(model, load_scenario(model, write_file("again.yaml", STAGED))).as_dict()
    )


def test_steps_run_in_time_order_whatever_the_file_order(write_file: Write) -> None:
    model = example_model("local-multicluster")
    text = "name: x\nsteps:\n  - {at: 1h, recover: vault}\n  - {at: 0s, fail: vault}\n"
    scenario = load_scenario(model, write_file("order.yaml", text))
    assert [s.action for s in scenario.steps] == ["fail", "recover"]


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("name: x\nsteps:\n  - {at: 0s, fail: vualt}\n", ":3:", "did you mean 'vault'"),
        ("name: x\nsteps:\n  - {at: soon, fail: vault}\n", ":3:", "steps[0].at"),
        ("name: x\nsteps:\n  - {at: 0s, fail: vault, recover: vault}\n", ":3:", "exactly one"),
        ("name: x\nsteps:\n  - {at: 0s, fial: vault}\n", ":3:", "steps[0].fial"),
        ("name: x\nsteps: []\n", ":2:", "steps"),
        ("- just\n- a list\n", ":1:", "expected a mapping, found a list"),
        # the simulated window, steps at one instant, odd documents
        (
            "name: x\nfor: 1h\nsteps:\n  - {at: 2h, fail: vault}\n",
            ":4:",
            "steps[0].at: 2h is after",
        ),
        ("name: x\nfor: 0s\nsteps:\n  - {at: 0s, fail: vault}\n", ":2:", "for: '0s' is not a pos"),
        ("name: x\nfor: 366d\nsteps:\n  - {at: 0s, fail: vault}\n", ":2:", "for: '366d' is over"),
        (
            f"name: x\nsteps:\n  - {{at: {'9' * 400}h, fail: vault}}\n",
            ":3:",
            "steps[0].at: '999",
        ),
        (
            "name: x\nsteps:\n  - {at: 0s, fail: vault}\n  - {at: 0s, fail: vault}\n",
            ":4:",
            "steps[1]: repeats steps[0] (fail vault at 0s)",
        ),
        (
            "name: x\nsteps:\n  - {at: 1h, fail: vault}\n  - {at: 1h, recover: vault}\n",
            ":4:",
            "steps[1]: recovers 'vault' at 1h, the instant steps[0] fails it",
        ),
        ("name: x\nsteps:\n  - {at: 0s, fail: ''}\n", ":3:", "steps[0].fail: '' is not a"),
        ("name: x\nsteps:\n  - {at: 0s, fail: välult}\n", ":3:", "steps[0].fail: 'välult'"),
        ("name: x\nsteps:\n  - 5\n", ":3:", "steps[0]: expected a mapping, found a number"),
        ("name: x\nextra: 1\nsteps:\n  - {at: 0s, fail: vault}\n", ":2:", "extra: unknown key"),
        ("", ":1:", "expected a mapping, found nothing (keys: name, "),
        ("null\n", ":1:", "expected a mapping, found nothing"),
        ("[a, b]\n", ":1:", "found a list"),
        ("name: a\n---\nname: b\n", ":3:1:", "expected one YAML document, found several"),
    ],
)
def test_bad_scenarios_name_file_line_and_field(
    write_file: Write, text: str, where: str, words: str
) -> None:
    model = example_model("local-multicluster")
    path = write_file("bad.yaml", text)
    with pytest.raises(InputError) as raised:
        load_scenario(model, path)
    message = str(raised.value)
    assert f"{path}{where}" in message, message
    assert words in message, message
    assert len(message) < 400, message  # a 400-digit value is not repeated whole


def test_hostile_scenario_files_are_refused(write_file: Write) -> None:
    model = example_model("local-multicluster")
    # Nine levels of nine aliases each: a billion nodes if expanded.
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        levels.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    bomb = "\n".join(levels) + "\n"
    with pytest.raises(YamlError):
        load_scenario(model, write_file("bomb.yaml", bomb))
    with pytest.raises(YamlError):
        load_scenario(
            model, write_file("tag.yaml", "name: !!python/object:os.system x\nsteps: []\n")
        )
    with pytest.raises(InputError):
        load_scenario(model, Path(write_file("x", "")).parent / "missing.yaml")


@pytest.mark.parametrize("duration", ["0s", "-5m", "three hours"])
def test_bad_durations_are_refused(duration: str) -> None:
    model = example_model("local-multicluster")
    with pytest.raises(InputError, match="--for"):
        single_failure(model, "mgmt", duration)


def test_targets_resolve_to_clusters_components_and_services() -> None:
    model = example_model("local-multicluster")
    cluster = single_failure(model, "app1", "1m").steps[0].services
    assert "nodes@app1" in cluster and "cilium@app1" in cluster
    assert single_failure(model, "prometheus-agent", "1m").steps[0].services == {
        "prometheus-agent@app1",
        "prometheus-agent@app2",
    }
    assert single_failure(model, "vault@mgmt", "1m").steps[0].services == {"vault@mgmt"}
    assert single_failure(model, "git", "1m").steps[0].services == {"git"}

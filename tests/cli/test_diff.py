"""``stackyard diff``: additive upgrades are calm, CNI swaps and address moves are not."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import Result

from tests.conftest import EXAMPLES
from tests.plan.conftest import example_text

Cli = Callable[..., Result]


def diff(cli: Cli, old: Path, new: Path) -> dict[str, Any]:
    result = cli("diff", str(old), str(new), "-o", "json")
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_standard_to_enterprise_is_additive(cli: Cli) -> None:
    data = diff(cli, EXAMPLES / "aws-standard.yaml", EXAMPLES / "aws-enterprise.yaml")
    components = [c for c in data["changes"] if c["kind"] == "component"]
    assert {c["subject"] for c in components if c["new"]} >= {
        "teleport",
        "kyverno",
        "backstage",
        "opencost",
    }
    assert not [c for c in components if c["old"] and not c["new"]]
    edition = next(c for c in data["changes"] if c["subject"] == "edition")
    assert edition["disruptive"] is False
    assert not [c for c in data["changes"] if c["disruptive"]]


def test_community_to_standard_is_disruptive_because_of_the_cni(cli: Cli, tmp_path: Path) -> None:
    poc = example_text("community-poc")
    standard = tmp_path / "standard.yaml"
    standard.write_text(
        poc.replace("edition: community", "edition: standard")
        .replace("  cni: canal", "  cni: auto")
        .replace("  issuer: self-signed", "  issuer: auto"),
        encoding="utf-8",
    )
    data = diff(cli, EXAMPLES / "community-poc.yaml", standard)
    cni = next(c for c in data["changes"] if c["subject"] == "networking.cni")
    assert (cni["old"], cni["new"], cni["disruptive"]) == ("canal", "cilium", True)
    edition = next(c for c in data["changes"] if c["subject"] == "edition")
    assert edition["disruptive"] is True and "CNI" in edition["reason"]
    removed = {c["subject"] for c in data["changes"] if c["kind"] == "component" and not c["new"]}
    assert "canal" in removed


def test_address_changes_are_disruptive_and_pool_growth_is_not(cli: Cli, tmp_path: Path) -> None:
    text = example_text("local-multicluster")
    moved = tmp_path / "moved.yaml"
    moved.write_text(
        text.replace("podCIDR: 10.102.0.0/16", "podCIDR: 10.103.0.0/16").replace(
            "192.168.64.221-192.168.64.230", "192.168.64.221-192.168.64.235"
        ),
        encoding="utf-8",
    )
    changes = diff(cli, EXAMPLES / "local-multicluster.yaml", moved)["changes"]
    pod = next(c for c in changes if c["subject"] == "podCIDR")
    pool = next(c for c in changes if c["subject"] == "loadBalancerPool")
    assert pod["disruptive"] and pod["cluster"] == "app2"
    assert not pool["disruptive"]


def test_scaling_workers_is_not_disruptive_but_removing_a_stateful_component_is(
    cli: Cli, tmp_path: Path
) -> None:
    text = example_text("local-multicluster")
    changed = tmp_path / "changed.yaml"
    changed.write_text(
        text.replace(
            "{name: worker, role: worker, count: 1, cpu: 2, memory: 4Gi, disk: 40Gi}",
            "{name: worker, role: worker, count: 2, cpu: 2, memory: 4Gi, disk: 40Gi}",
            1,
        ).replace(
            "  tempo: {enabled: false}", "  tempo: {enabled: false}\n  loki: {enabled: false}"
        ),
        encoding="utf-8",
    )
    changes = diff(cli, EXAMPLES / "local-multicluster.yaml", changed)["changes"]
    scale = next(c for c in changes if c["kind"] == "nodes")
    assert (scale["old"], scale["new"], scale["disruptive"]) == ("1", "2", False)
    loki = next(c for c in changes if c["subject"] == "loki")
    assert loki["disruptive"] and "data" in loki["reason"]


def test_identical_specs_have_no_changes(cli: Cli) -> None:
    result = cli("diff", str(EXAMPLES / "aws-standard.yaml"), str(EXAMPLES / "aws-standard.yaml"))
    assert result.exit_code == 0 and "no changes" in result.stdout

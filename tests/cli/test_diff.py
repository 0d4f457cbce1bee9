"""``stackyard diff``: every spec change is seen; additive upgrades are calm, CNI swaps,
address moves and deleted tenants are not, and ``--fail-on-disruptive`` gates on them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import Result

from tests.conftest import EXAMPLES, with_example_apis
from tests.plan.conftest import example_text

Cli = Callable[..., Result]


def diff(cli: Cli, old: Path, new: Path) -> dict[str, Any]:
    result = cli("diff", str(old), str(new), "-o", "json")
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def changed(tmp_path: Path, example: str, *replacements: tuple[str, str]) -> Path:
    """The example with each ``(old, new)`` text replaced once; every one must apply."""
    text = example_text(example)
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / f"changed-{example}.yaml"
    path.write_text(text, encoding="utf-8")
    return with_example_apis(path)


def change_at(data: dict[str, Any], path: str) -> dict[str, Any]:
    found = [c for c in data["changes"] if c["path"] == path]
    assert len(found) == 1, (path, data["changes"])
    return found[0]


def test_standard_to_enterprise_is_additive(cli: Cli) -> None:
    data = diff(cli, EXAMPLES / "aws-standard.yaml", EXAMPLES / "aws-enterprise.yaml")
    components = [c for c in data["changes"] if c["kind"] == "component" and not c["path"]]
    assert {c["subject"] for c in components if c["new"]} >= {
        "teleport",
        "kyverno",
        "backstage",
        "opencost",
    }
    assert not [c for c in components if c["old"] and not c["new"]]
    assert not [c for c in components if c["disruptive"]]
    edition = next(c for c in data["changes"] if c["subject"] == "edition")
    assert edition["disruptive"] is False
    # The tenants, and team-web's services and API (tenant-owned): all added, none disruptive.
    tenants = {c["path"]: c for c in data["changes"] if c["kind"] == "tenant"}
    assert set(tenants) == {
        "tenants[team-data]",
        "tenants[team-web]",
        "services[orders]",
        "services[storefront]",
        "apis[orders]",
    }
    assert all(c["old"] is None and not c["disruptive"] for c in tenants.values())


def test_a_doubled_tenant_quota_is_a_change(cli: Cli, tmp_path: Path) -> None:
    new = changed(
        tmp_path,
        "aws-enterprise",
        ('quota: {cpu: "8", memory: 32Gi}', 'quota: {cpu: "16", memory: 32Gi}'),
    )
    data = diff(cli, EXAMPLES / "aws-enterprise.yaml", new)
    quota = change_at(data, "tenants[team-web].quota.cpu")
    assert (quota["old"], quota["new"], quota["disruptive"]) == ("8", "16", False)
    assert data["summary"]["changes"] == 1


def test_slo_objectives_are_changes(cli: Cli, tmp_path: Path) -> None:
    new = changed(
        tmp_path,
        "local-multicluster",
        ("  availability: 99\n  rto: 1h", "  availability: 99.95\n  rto: 7h"),
    )
    data = diff(cli, EXAMPLES / "local-multicluster.yaml", new)
    paths = {c["path"] for c in data["changes"]}
    assert {"slo.rto", "slo.availability"} <= paths
    assert change_at(data, "slo.rto")["new"] == "7h"
    assert change_at(data, "slo.availability")["new"] == "99.95"


def test_a_platform_values_overlay_change_names_the_key(cli: Cli, tmp_path: Path) -> None:
    new = changed(
        tmp_path,
        "local-multicluster",
        (
            "  tempo: {enabled: false}",
            "  tempo: {enabled: false}\n  grafana: {values: {replicas: 2}}",
        ),
    )
    data = diff(cli, EXAMPLES / "local-multicluster.yaml", new)
    overlay = change_at(data, "components.grafana.values.replicas")
    assert (overlay["kind"], overlay["old"], overlay["new"]) == ("component", None, "2")
    assert overlay["disruptive"] is False


def test_an_added_tenant_is_calm_and_a_removed_one_disrupts(cli: Cli, tmp_path: Path) -> None:
    enterprise = EXAMPLES / "aws-enterprise.yaml"
    added = changed(
        tmp_path,
        "aws-enterprise",
        ("  - name: team-web\n", "  - name: team-ops\n    clusters: [prod]\n  - name: team-web\n"),
    )
    grown = diff(cli, enterprise, added)
    team_ops = change_at(grown, "tenants[team-ops]")
    assert (team_ops["old"], team_ops["new"], team_ops["disruptive"]) == (None, "present", False)
    shrunk = diff(cli, added, enterprise)
    assert change_at(shrunk, "tenants[team-ops]")["disruptive"] is True


def test_fail_on_disruptive_exits_one_only_when_something_disrupts(
    cli: Cli, tmp_path: Path
) -> None:
    local = EXAMPLES / "local-multicluster.yaml"
    moved = changed(
        tmp_path, "local-multicluster", ("podCIDR: 10.102.0.0/16", "podCIDR: 10.103.0.0/16")
    )
    gate = cli("diff", str(local), str(moved), "--fail-on-disruptive")
    assert gate.exit_code == 1, gate.stdout
    assert "DISRUPTIVE" in gate.stdout
    assert cli("diff", str(local), str(moved)).exit_code == 0
    calm = changed(tmp_path, "local-multicluster", ("rpo: 24h", "rpo: 12h"))
    assert cli("diff", str(local), str(calm), "--fail-on-disruptive", "-o", "json").exit_code == 0


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
    pod = next(c for c in changes if c["subject"] == "network.podCIDR")
    pool = next(c for c in changes if c["subject"] == "network.loadBalancerPool")
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

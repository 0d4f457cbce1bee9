"""Cilium's Cluster Mesh size limits, from the planner's choice to the rendered values.

Cilium connects at most 255 clusters in a mesh by default and 511 with
``clustermesh.maxConnectedClusters: 511``; an agent whose ``cluster.id`` is above the
maximum refuses to start.
"""

from __future__ import annotations

from functools import cache

import pytest

from stackyard.plan import Plan, make_plan
from stackyard.spec import load_spec_text
from tests.render.test_values import values


def _fleet(clusters: int, mesh: str = "auto") -> str:
    """An on-premises Cilium fleet of ``clusters`` clusters with disjoint address plans."""
    lines = [
        "apiVersion: stackyard.dev/v1alpha1",
        "kind: Platform",
        "name: fleet",
        "edition: community",
        "provider: onprem",
        "kubernetes: {distribution: rke2, version: '1.35'}",
        "gitops: {repoURL: https://git.example.com/fleet.git}",
        "domain: fleet.example.com",
        f"networking: {{cni: cilium, clusterMesh: {mesh}}}",
        "clusters:",
    ]
    for index in range(clusters):
        second, third = divmod(index, 250)
        net = f"172.{16 + second}.{third}"
        lines += [
            f"  - name: c{index}",
            f"    role: {'mgmt' if index == 0 else 'app'}",
            "    nodePools: [{name: n, role: control-plane, count: 3, cpu: 8, memory: 32Gi}]",
            "    network:",
            f"      nodeSubnet: {net}.0/24",
            f"      nodeRange: {net}.10-{net}.99",
            f"      podCIDR: 10.{index // 16}.{(index % 16) * 16}.0/20",
            "      serviceCIDR: 192.168.0.0/20",
            f"      loadBalancerPool: {net}.200-{net}.250",
        ]
    return "\n".join(lines) + "\n"


@cache
def _plan(clusters: int, mesh: str = "auto") -> Plan:
    return make_plan(load_spec_text(_fleet(clusters, mesh), "platform.yaml"))


def _mesh_errors(plan: Plan) -> list[str]:
    return [f.message for f in plan.findings if f.check == "SY106"]


def test_auto_meshes_every_cluster_up_to_cilium_largest_mesh() -> None:
    plan = _plan(511)
    setting = plan.settings.networking.clusterMesh
    assert setting.value is True
    assert _mesh_errors(plan) == []


def test_auto_leaves_a_fleet_larger_than_one_mesh_unmeshed() -> None:
    plan = _plan(512)
    setting = plan.settings.networking.clusterMesh
    assert setting.value is False
    assert "511" in setting.reason
    assert not plan.cluster("c5").has("cilium-clustermesh")
    assert _mesh_errors(plan) == []


def test_a_mesh_asked_for_beyond_cilium_limit_is_an_error_at_the_setting() -> None:
    plan = _plan(512, "on")
    [finding] = [f for f in plan.findings if f.check == "SY106"]
    assert finding.severity == "error"
    assert "512 clusters" in finding.message and "511" in finding.message
    assert finding.field == "networking.clusterMesh"
    assert (finding.location.file, finding.location.line) == ("platform.yaml", 9)


def test_a_mesh_of_up_to_255_clusters_keeps_cilium_default_maximum() -> None:
    plan = _plan(255)
    for name in ("c0", "c254"):
        mesh = values(plan, "cilium", name)["clustermesh"]
        assert "maxConnectedClusters" not in mesh
        assert len(mesh["config"]["clusters"]) == 254
    assert values(plan, "cilium", "c254")["cluster"]["id"] == 255


def test_a_mesh_beyond_255_clusters_sets_511_on_every_cluster_with_unique_ids() -> None:
    plan = _plan(300)
    ids = []
    for name in ("c0", "c1", "c254", "c255", "c299"):
        cilium = values(plan, "cilium", name)
        assert cilium["clustermesh"]["maxConnectedClusters"] == 511, name
        assert len(cilium["clustermesh"]["config"]["clusters"]) == 299
        ids.append(cilium["cluster"]["id"])
    assert ids == [1, 2, 255, 256, 300]


@pytest.mark.parametrize(("name", "expected"), [("c0", 1), ("c254", 255), ("c255", 0), ("c511", 0)])
def test_unmeshed_clusters_past_cilium_default_maximum_take_id_zero(
    name: str, expected: int
) -> None:
    cilium = values(_plan(512), "cilium", name)
    assert cilium["clustermesh"]["useAPIServer"] is False
    assert "config" not in cilium["clustermesh"]
    assert cilium["cluster"]["id"] == expected


@pytest.mark.parametrize(("written", "meant"), [("on", True), ("off", False), ("'on'", True)])
def test_an_unquoted_on_or_off_means_the_switch_not_a_boolean(written: str, meant: bool) -> None:
    plan = _plan(3, written)
    assert plan.settings.networking.clusterMesh.value is meant

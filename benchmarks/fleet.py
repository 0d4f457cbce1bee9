"""Generated fleet specs shared by the benchmarks: one mgmt cluster and N app clusters.

``fleet_spec(n)`` with no other argument is the uniform fleet the older benchmarks and
docs/benchmarks.md sections measure (on-premises Enterprise, every cluster 3 + 4 nodes,
Cluster Mesh left to ``auto``); its text never changes, so their figures stay comparable.
The keyword arguments make a realistic fleet instead: any edition and provider, a tenant
per few app clusters (Enterprise only: tenants are an Enterprise feature), node pools of
mixed sizes, Cluster Mesh forced on or off. Every combination plans without an error
finding (tests/test_benchmark_fleet.py).
"""

from __future__ import annotations

from typing import Literal

Edition = Literal["community", "standard", "enterprise"]
Provider = Literal["onprem", "aws"]
Mesh = Literal["auto", "on", "off"]

# Worker pools of the mixed fleet, cycled through by cluster index: (count, cpu, memory).
_WORKERS = ((3, 8, "32Gi"), (4, 16, "64Gi"), (6, 16, "64Gi"), (8, 32, "128Gi"))
PROVIDERS: tuple[Provider, ...] = ("onprem", "aws")
EDITIONS: tuple[Edition, ...] = ("community", "standard", "enterprise")


def fleet_spec(
    app_clusters: int,
    *,
    edition: Edition = "enterprise",
    provider: Provider = "onprem",
    clusters_per_tenant: int = 0,
    mixed_pools: bool = False,
    cluster_mesh: Mesh = "auto",
) -> str:
    """A valid spec of one mgmt cluster and ``app_clusters`` app clusters.

    Args:
        app_clusters: how many app clusters beside the mgmt cluster.
        edition: the component bundle.
        provider: ``onprem`` (RKE2 on VMs, MetalLB pools) or ``aws`` (one VPC range per
            cluster, Cilium in ENI mode, no MetalLB).
        clusters_per_tenant: with Enterprise, one tenant (two namespaces and a quota) per
            this many app clusters; 0 for no tenants.
        mixed_pools: worker pools of four sizes, every third app cluster with a second,
            larger pool; otherwise every cluster has 3 control-plane and 4 worker nodes.
        cluster_mesh: ``networking.clusterMesh``; ``auto`` leaves the field out.
    """
    lines = [
        "apiVersion: stackyard.dev/v1alpha1",
        "kind: Platform",
        "name: fleet",
        f"edition: {edition}",
        f"provider: {provider}",
        "kubernetes: {distribution: rke2, version: '1.35'}",
        "gitops: {repoURL: https://git.example.com/fleet.git}",
        "domain: fleet.example.com",
    ]
    if provider == "aws":
        lines.append("aws: {region: eu-central-1}")
    if cluster_mesh != "auto":
        lines.append(f"networking: {{clusterMesh: '{cluster_mesh}'}}")
    lines.append("clusters:")
    for index in range(app_clusters + 1):
        name, role = ("mgmt", "mgmt") if index == 0 else (f"app{index}", "app")
        lines += [f"  - name: {name}", f"    role: {role}", "    nodePools:"]
        lines += _pools(index, mixed_pools, provider)
        lines += _network(index, provider)
        if provider == "aws":
            lines.append(f"    aws: {{tags: {{kubernetes.io/cluster/{name}: owned}}}}")
    if edition == "enterprise" and clusters_per_tenant > 0:
        lines += _tenants(app_clusters, clusters_per_tenant)
    return "\n".join(lines) + "\n"


def _pools(index: int, mixed: bool, provider: Provider) -> list[str]:
    if not mixed:
        return [
            "      - {name: cp, role: control-plane, count: 3, cpu: 4, memory: 16Gi}",
            "      - {name: w, count: 4, cpu: 16, memory: 64Gi}",
        ]
    count, cpu, memory = _WORKERS[0 if index == 0 else index % len(_WORKERS)]
    if index == 0:  # the mgmt cluster carries the platform services: the largest pool
        count, cpu, memory = _WORKERS[-1]
    # On AWS, Cluster API launches the app clusters' machines: every pool names its EC2 type.
    control = ", instanceType: m6i.xlarge" if provider == "aws" else ""
    kind = ", instanceType: m6i.8xlarge" if provider == "aws" else ""
    pools = [
        f"      - {{name: cp, role: control-plane, count: 3, cpu: 4, memory: 16Gi{control}}}",
        f"      - {{name: w, count: {count}, cpu: {cpu}, memory: {memory}{kind}}}",
    ]
    if index % 3 == 0 and index > 0:
        kind = ", instanceType: r6i.4xlarge" if provider == "aws" else ""
        pools.append(f"      - {{name: big, count: 2, cpu: 16, memory: 128Gi{kind}}}")
    return pools


def _network(index: int, provider: Provider) -> list[str]:
    # A /20 per cluster in 10.0.0.0/8: pod ranges on premises, the VPC on AWS (with
    # Cilium ENI the pods take VPC addresses), never overlapping up to 4,095 clusters.
    block = f"10.{index // 16}.{(index % 16) * 16}.0/20"
    if provider == "aws":
        return ["    network:", f"      nodeRange: {block}", "      serviceCIDR: 172.20.0.0/16"]
    second, third = divmod(index, 250)
    subnet = f"172.{16 + second}.{third}"
    return [
        "    network:",
        f"      nodeSubnet: {subnet}.0/24",
        f"      nodeRange: {subnet}.10-{subnet}.99",
        f"      podCIDR: {block}",
        "      serviceCIDR: 192.168.0.0/20",
        f"      loadBalancerPool: {subnet}.200-{subnet}.250",
    ]


def _tenants(app_clusters: int, per_tenant: int) -> list[str]:
    lines = ["tenants:"]
    for number, first in enumerate(range(1, app_clusters + 1, per_tenant), start=1):
        last = min(first + per_tenant, app_clusters + 1)
        clusters = ", ".join(f"app{i}" for i in range(first, last))
        lines += [
            f"  - name: team{number}",
            f"    clusters: [{clusters}]",
            f"    namespaces: [team{number}, team{number}-batch]",
            "    quota: {cpu: '32', memory: 128Gi}",
        ]
    return lines

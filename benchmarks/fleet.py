"""A generated fleet spec shared by the benchmarks: one mgmt cluster and N app clusters."""

from __future__ import annotations


def fleet_spec(app_clusters: int) -> str:
    """A valid on-premises Enterprise spec: one mgmt cluster and ``app_clusters`` apps."""
    lines = [
        "apiVersion: stackyard.dev/v1alpha1",
        "kind: Platform",
        "name: fleet",
        "edition: enterprise",
        "provider: onprem",
        "kubernetes: {distribution: rke2, version: '1.35'}",
        "gitops: {repoURL: https://git.example.com/fleet.git}",
        "domain: fleet.example.com",
        "clusters:",
    ]
    for index in range(app_clusters + 1):
        name, role = ("mgmt", "mgmt") if index == 0 else (f"app{index}", "app")
        second, third = divmod(index, 250)
        lines += [
            f"  - name: {name}",
            f"    role: {role}",
            "    nodePools:",
            "      - {name: cp, role: control-plane, count: 3, cpu: 4, memory: 16Gi}",
            "      - {name: w, count: 4, cpu: 16, memory: 64Gi}",
            "    network:",
            f"      nodeSubnet: 172.{16 + second}.{third}.0/24",
            f"      nodeRange: 172.{16 + second}.{third}.10-172.{16 + second}.{third}.99",
            f"      podCIDR: 10.{index // 16}.{(index % 16) * 16}.0/20",
            "      serviceCIDR: 192.168.0.0/20",
            f"      loadBalancerPool: 172.{16 + second}.{third}.200-172.{16 + second}.{third}.250",
        ]
    return "\n".join(lines) + "\n"

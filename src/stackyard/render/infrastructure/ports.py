"""The ports the security groups open: exactly what RKE2 or kubeadm and the planned CNI need.

Three groups: ``nodes`` on every machine (the only one carrying the cluster tag, which the
cloud controller and the AWS Load Balancer Controller require of exactly one group per
instance), ``servers`` on the control plane beside it, and ``api`` on the API load
balancer. Sources are groups, never address ranges, except the API's 6443, open to the
VPC for kubectl through a node or a VPN into it.

Sources of the numbers:

- kubeadm's: Kubernetes' ports and protocols, kept with their source in
  ``catalog/facts/kubeadm-ports.yaml``, read through ``stackyard.catalog.kubeadmports``
  (no supervisor: kubeadm joins through the API).

- RKE2's inbound rules, https://docs.rke2.io/install/requirements#inbound-network-rules:
  9345 (supervisor) and 6443 (API) from agents to servers; 2379, 2380 (etcd client and
  peer) and 2381 (etcd metrics) between servers; 10250 (kubelet) and 30000-32767
  (NodePorts) between all nodes; for Canal 8472/udp (VXLAN) and 9099 (health checks);
  for Cilium 8472/udp (VXLAN), 4240 (health checks) and ICMP echo (health checks).
- Cilium's firewall rules,
  https://docs.cilium.io/en/stable/operations/system_requirements/#firewall-rules:
  the same VXLAN, health and ICMP rules, and 4244 (Hubble server) between nodes.
- With Cilium's ENI mode pods take VPC addresses on the nodes' own interfaces, which
  carry the nodes' groups (https://docs.cilium.io/en/stable/network/concepts/ipam/eni/),
  so pod-to-pod traffic on any port is traffic between members of ``nodes``: that one
  rule is every port, and VXLAN is not used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from stackyard.catalog.kubeadmports import Group, Source, kubeadm_ports

SUPERVISOR = 9345
API = 6443


@dataclass(frozen=True)
class Rule:
    """One ingress rule of a security group."""

    group: Group
    source: Source
    protocol: Literal["tcp", "udp", "icmp", "-1"]
    from_port: int
    to_port: int
    description: str


def _kubeadm() -> list[Rule]:
    """The rules of kubeadm's own components, from the catalog's ``kubeadm-ports.yaml``."""
    return [
        Rule(r.group, r.source, r.protocol, r.from_port, r.to_port, r.description)
        for r in kubeadm_ports().rules
    ]


def rules(cni: str, routing: str, distribution: str = "rke2") -> list[Rule]:
    """Every ingress rule for the distribution, the CNI and Cilium's routing mode.

    ``cni`` is canal, cilium or none; ``distribution`` rke2 or kubeadm.
    """
    result = _kubeadm() if distribution == "kubeadm" else _rke2()
    return result + _cni(cni, routing)


def _rke2() -> list[Rule]:
    return [
        Rule("servers", "nodes", "tcp", SUPERVISOR, SUPERVISOR, "RKE2 supervisor: node joins"),
        Rule("servers", "nodes", "tcp", API, API, "Kubernetes API from the nodes"),
        Rule("servers", "api", "tcp", SUPERVISOR, SUPERVISOR, "RKE2 supervisor via the API LB"),
        Rule("servers", "api", "tcp", API, API, "Kubernetes API via the API LB"),
        Rule("servers", "servers", "tcp", 2379, 2381, "etcd client, peer and metrics"),
        Rule("nodes", "nodes", "tcp", 10250, 10250, "kubelet"),
        Rule("nodes", "nodes", "tcp", 30000, 32767, "NodePort Services"),
        Rule("nodes", "nodes", "udp", 30000, 32767, "NodePort Services (UDP)"),
        Rule("api", "vpc", "tcp", API, API, "Kubernetes API clients in the VPC"),
        Rule("api", "nodes", "tcp", SUPERVISOR, SUPERVISOR, "RKE2 supervisor: node joins"),
    ]


def _cni(cni: str, routing: str) -> list[Rule]:
    result: list[Rule] = []
    eni = cni == "cilium" and routing == "eni"
    if cni == "canal":
        result += [
            Rule("nodes", "nodes", "udp", 8472, 8472, "Canal VXLAN"),
            Rule("nodes", "nodes", "tcp", 9099, 9099, "Canal health checks"),
        ]
    elif cni == "cilium":
        if not eni:
            result.append(Rule("nodes", "nodes", "udp", 8472, 8472, "Cilium VXLAN"))
        result += [
            Rule("nodes", "nodes", "tcp", 4240, 4240, "Cilium health checks"),
            Rule("nodes", "nodes", "icmp", 8, 0, "Cilium health checks (ICMP echo)"),
            Rule("nodes", "nodes", "tcp", 4244, 4244, "Hubble server"),
        ]
    if eni:
        result.append(
            Rule("nodes", "nodes", "-1", 0, 0, "pod to pod: Cilium ENI pods use these groups")
        )
    return result


def opens(rule_set: list[Rule], port: int, group: Group) -> bool:
    """Whether ``rule_set`` lets TCP ``port`` into ``group``."""
    return any(
        r.group == group
        and (r.protocol == "-1" or (r.protocol == "tcp" and r.from_port <= port <= r.to_port))
        for r in rule_set
    )

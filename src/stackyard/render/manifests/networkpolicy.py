"""Traffic rules as Kubernetes NetworkPolicies (``networking.k8s.io/v1``), for Canal.

NetworkPolicy has no entities, so they come from the spec's address plan: the nodes are
``network.nodeSubnet`` (else ``nodeRange``), which also covers an API server VIP; the
API server is the nodes on 6443 plus the ``kubernetes`` Service address on 443 (Calico
may see either side of kube-proxy's DNAT); the world is every address but the pod and
Service ranges. Cluster Mesh and the Cilium proxy have no NetworkPolicy form.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from stackyard.plan import ClusterPlan
from stackyard.render.context import LABEL_PREFIX
from stackyard.render.manifests.traffic import APISERVER, DNS, Peer, Policy, Rule
from stackyard.render.tree import Manifest
from stackyard.spec.units import AddressRange

API_PORTS = (443, 6443)


@dataclass(frozen=True)
class AddressPlan:
    """The addresses plain NetworkPolicies need, from the cluster's spec."""

    nodes: tuple[str, ...]
    api_service: str
    world: str
    not_world: tuple[str, ...]

    @classmethod
    def of(cls, cluster: ClusterPlan) -> AddressPlan:
        """The address plan of ``cluster``."""
        network = cluster.cluster.network
        node_range = network.nodeSubnet or network.nodeRange
        service_ip = ipaddress.ip_address(int(network.serviceCIDR.first) + 1)
        host_bits = 32 if service_ip.version == 4 else 128
        world = "0.0.0.0/0" if service_ip.version == 4 else "::/0"
        inside = [r for r in (network.podCIDR, network.serviceCIDR) if r is not None]
        return cls(
            nodes=tuple(_cidrs(node_range)),
            api_service=f"{service_ip}/{host_bits}",
            world=world,
            not_world=tuple(c for r in inside for c in _cidrs(r)),
        )


def _cidrs(address_range: AddressRange) -> list[str]:
    first, last = address_range.first, address_range.last
    return [str(n) for n in ipaddress.summarize_address_range(first, last)]


def _ip_blocks(cidrs: Iterable[str]) -> list[Manifest]:
    return [{"ipBlock": {"cidr": c}} for c in cidrs]


def _np_peers(peer: Peer, addresses: AddressPlan) -> list[Manifest]:
    if peer.kind == "same":
        return [{"podSelector": {}}]
    if peer.kind == "namespace":
        return [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": peer.name}}}]
    if peer.kind == "tenant":
        return [{"namespaceSelector": {"matchLabels": {f"{LABEL_PREFIX}/tenant": peer.name}}}]
    if peer.kind == "world":
        block: Manifest = {"cidr": addresses.world}
        if addresses.not_world:
            block["except"] = list(addresses.not_world)
        return [{"ipBlock": block}]
    if peer.kind == "cluster":
        return [{"namespaceSelector": {}}, *_ip_blocks(addresses.nodes)]
    if peer.kind in ("nodes", "apiserver"):  # webhooks are called from the nodes
        return _ip_blocks(sorted(set(addresses.nodes)))
    return []  # no Cluster Mesh or Cilium proxy without Cilium


def _unique(items: list[Manifest]) -> list[Manifest]:
    seen: list[Manifest] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def _np_rules(rule: Rule, addresses: AddressPlan) -> list[Manifest]:
    side = "from" if rule.direction == "ingress" else "to"
    rules: list[Manifest] = []
    # DNS, and the API server as a destination, need ports: they get rules of their own.
    special = (DNS, APISERVER) if rule.direction == "egress" else (DNS,)
    peers = _unique([m for p in rule.peers if p not in special for m in _np_peers(p, addresses)])
    if peers:
        rules.append({side: peers})
    if DNS in rule.peers:
        rules.append(
            {
                "to": [
                    {
                        "namespaceSelector": {
                            "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                        },
                        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                    }
                ],
                "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
            }
        )
    if APISERVER in rule.peers and rule.direction == "egress":
        rules.append(
            {
                "to": _ip_blocks([*addresses.nodes, addresses.api_service]),
                "ports": [{"protocol": "TCP", "port": p} for p in API_PORTS],
            }
        )
    return rules


def network_policy(policy: Policy, addresses: AddressPlan) -> Manifest:
    """A NetworkPolicy selecting every pod of the policy's namespace."""
    spec: Manifest = {"podSelector": {}}
    types = []
    for direction, key in (("ingress", "Ingress"), ("egress", "Egress")):
        rules = [
            r
            for rule in policy.rules
            if rule.direction == direction
            for r in _np_rules(rule, addresses)
        ]
        if rules:
            spec[direction] = rules
        if rules or not policy.rules:
            types.append(key)
    spec["policyTypes"] = types
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": policy.name, "namespace": policy.namespace},
        "spec": spec,
    }

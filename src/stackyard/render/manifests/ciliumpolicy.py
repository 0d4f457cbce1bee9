"""Traffic rules as CiliumNetworkPolicies (``cilium.io/v2``).

Peers become endpoint selectors (namespaces by ``k8s:io.kubernetes.pod.namespace``,
tenants by their namespace label, remote namespaces with Cluster Mesh's cluster label)
or entities: ``kube-apiserver``, ``world``, ``cluster``, ``host``/``remote-node`` for the
nodes, and ``ingress`` for the Envoy proxy behind Cilium's Gateway. DNS goes through
Cilium's DNS proxy (an L7 ``dns`` rule), so Hubble sees the names asked for.
"""

from __future__ import annotations

from stackyard.render.context import LABEL_PREFIX
from stackyard.render.manifests.traffic import DNS, Peer, Policy, Rule
from stackyard.render.tree import Manifest

DNS_PORT = "53"
NAMESPACE_LABEL = "k8s:io.kubernetes.pod.namespace"
CLUSTER_LABEL = "k8s:io.cilium.k8s.policy.cluster"
TENANT_LABEL = f"k8s:io.cilium.k8s.namespace.labels.{LABEL_PREFIX}/tenant"
KUBE_DNS = {NAMESPACE_LABEL: "kube-system", "k8s:k8s-app": "kube-dns"}
ENTITIES: dict[str, list[str]] = {
    "apiserver": ["kube-apiserver"],
    "world": ["world"],
    "cluster": ["cluster"],
    "nodes": ["host", "remote-node"],
    "proxy": ["ingress"],
}


def _cilium_selector(peer: Peer) -> Manifest:
    if peer.kind == "same":
        return {}
    if peer.kind == "tenant":
        return {"matchLabels": {TENANT_LABEL: peer.name}}
    labels = {NAMESPACE_LABEL: peer.name}
    if peer.kind == "remote":
        labels[CLUSTER_LABEL] = peer.cluster
    return {"matchLabels": labels}


def _cilium_rules(rule: Rule) -> list[Manifest]:
    side = "from" if rule.direction == "ingress" else "to"
    rules: list[Manifest] = []
    endpoints = [
        _cilium_selector(p)
        for p in rule.peers
        if p.kind in ("same", "namespace", "tenant", "remote")
    ]
    if endpoints:
        rules.append({f"{side}Endpoints": endpoints})
    entities = sorted({e for p in rule.peers for e in ENTITIES.get(p.kind, [])})
    if entities:
        rules.append({f"{side}Entities": entities})
    if DNS in rule.peers:
        rules.append(
            {
                "toEndpoints": [{"matchLabels": dict(KUBE_DNS)}],
                "toPorts": [
                    {
                        "ports": [{"port": DNS_PORT, "protocol": "ANY"}],
                        # Through Cilium's DNS proxy: names become visible to Hubble.
                        "rules": {"dns": [{"matchPattern": "*"}]},
                    }
                ],
            }
        )
    return rules


def cilium_policy(policy: Policy) -> Manifest:
    """A CiliumNetworkPolicy selecting every endpoint of the policy's namespace."""
    spec: Manifest = {"endpointSelector": {}}
    if not policy.rules:
        # An empty rule selects nothing: the documented deny-all form.
        spec["ingress"] = [{}]
        spec["egress"] = [{}]
    for direction in ("ingress", "egress"):
        rules = [
            r for rule in policy.rules if rule.direction == direction for r in _cilium_rules(rule)
        ]
        if rules:
            spec[direction] = rules
    return {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {"name": policy.name, "namespace": policy.namespace},
        "spec": spec,
    }

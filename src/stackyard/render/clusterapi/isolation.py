"""Default deny, then the traffic Cluster API needs, in the namespaces it brings to mgmt.

The platform's own namespaces get their policies from the plan's traffic rules
(``render.manifests.traffic``); the namespaces of the providers and of the provisioned
clusters are not a catalog component's, so they are written here, in the same form.

- A provider's controllers answer the API server's webhook calls and reach the API server,
  DNS, each other within the namespace, and outside the cluster (the AWS APIs, the new
  clusters' API servers, and the providers' releases the operator fetches); the metrics
  scrapers may read them.
- A cluster's namespace on mgmt runs no pod: deny all.
"""

from __future__ import annotations

from stackyard.plan import ClusterPlan
from stackyard.render.manifests.ciliumpolicy import cilium_policy
from stackyard.render.manifests.networkpolicy import AddressPlan, network_policy
from stackyard.render.manifests.traffic import (
    APISERVER,
    DNS,
    NODES,
    SAME,
    WORLD,
    Direction,
    Peer,
    Policy,
    Rule,
    scraper_namespaces,
)
from stackyard.render.tree import Manifest


def _rule(direction: Direction, *peers: Peer) -> Rule:
    return Rule(direction, tuple(sorted(set(peers))))


def controller_policies(mgmt: ClusterPlan, namespace: str) -> list[Policy]:
    """The policies of one provider's namespace."""
    policies = [
        Policy("default-deny", namespace, ()),
        Policy("allow-dns", namespace, (_rule("egress", DNS),)),
        Policy(
            "allow-kube-apiserver",
            namespace,
            (_rule("egress", APISERVER), _rule("ingress", APISERVER, NODES)),
        ),
        Policy("allow-same-namespace", namespace, (_rule("ingress", SAME), _rule("egress", SAME))),
        Policy("allow-outside", namespace, (_rule("egress", WORLD),)),
    ]
    scrapers = [Peer("namespace", n) for n in scraper_namespaces(mgmt)]
    if scrapers:
        policies.append(Policy("allow-from-monitoring", namespace, (_rule("ingress", *scrapers),)))
    return policies


def idle_policies(namespace: str) -> list[Policy]:
    """A namespace that runs no pod: deny all."""
    return [Policy("default-deny", namespace, ())]


def as_objects(mgmt: ClusterPlan, policies: list[Policy]) -> list[Manifest]:
    """The policies in the API mgmt's CNI reads (as ``render.manifests.network`` does)."""
    if mgmt.has("cilium"):
        return [cilium_policy(p) for p in policies]
    addresses = AddressPlan.of(mgmt)
    objects = [network_policy(p, addresses) for p in policies]
    return [o for o in objects if o["spec"]["policyTypes"]]

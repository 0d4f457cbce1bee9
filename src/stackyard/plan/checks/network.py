"""Address-plan checks: overlaps within and across clusters, load-balancer pools."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import combinations

from stackyard.findings import Finding
from stackyard.plan.checks.base import CheckContext, Emit, check
from stackyard.plan.model import SpecPath
from stackyard.spec import Cluster
from stackyard.spec.units import AddressRange

_LABELS = {
    "nodeRange": "node range",
    "podCIDR": "pod CIDR",
    "serviceCIDR": "service CIDR",
    "loadBalancerPool": "load-balancer pool",
}


def _ranges(
    cluster: Cluster, index: int, eni: bool
) -> Iterator[tuple[str, AddressRange, SpecPath]]:
    network = cluster.network
    for key in ("nodeRange", "podCIDR", "serviceCIDR", "loadBalancerPool"):
        value = getattr(network, key)
        if value is None or (eni and key == "podCIDR"):
            continue  # with Cilium ENI, pods take VPC addresses from the node subnets
        yield key, value, ("clusters", index, "network", key)


@check("SY101", "Address ranges overlap within a cluster", "error")
def overlap_within_cluster(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Address ranges overlap within a cluster.

    Node, pod and service ranges and the load-balancer pool of one cluster must be
    disjoint: an overlap makes routes ambiguous and services unreachable.
    """
    eni = context.settings.networking.ciliumRoutingMode.value == "eni"
    for index, cluster in enumerate(context.platform.clusters):
        ranges = list(_ranges(cluster, index, eni))
        for (key_a, a, _), (key_b, b, path_b) in combinations(ranges, 2):
            if a.overlaps(b):
                yield emit(
                    f"{_LABELS[key_b]} {b} overlaps the {_LABELS[key_a]} {a}",
                    path_b,
                    hint="give each range its own addresses",
                    cluster=cluster.name,
                )


@check("SY102", "Address ranges overlap across clusters", "error")
def overlap_across_clusters(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Address ranges overlap across clusters.

    Clusters share one network: node ranges and load-balancer pools must be disjoint
    across clusters, and pod CIDRs too wherever they could meet — Cilium Cluster Mesh
    routes pod to pod and needs every pod CIDR unique. Service CIDRs are cluster-local
    and may repeat.
    """
    mesh = context.settings.networking.clusterMesh.value
    eni = context.settings.networking.ciliumRoutingMode.value == "eni"
    clusters = list(enumerate(context.platform.clusters))
    for (i, a), (j, b) in combinations(clusters, 2):
        for key_a, range_a, _ in _ranges(a, i, eni):
            for key_b, range_b, path_b in _ranges(b, j, eni):
                if "serviceCIDR" in (key_a, key_b) or not range_a.overlaps(range_b):
                    continue
                if key_a == key_b == "podCIDR" and not mesh:
                    continue
                why = (
                    " (Cluster Mesh needs unique pod CIDRs)" if key_a == key_b == "podCIDR" else ""
                )
                yield emit(
                    f"{_LABELS[key_b]} {range_b} of {b.name} overlaps the "
                    f"{_LABELS[key_a]} {range_a} of {a.name}{why}",
                    path_b,
                    hint="give each cluster its own addresses",
                    cluster=b.name,
                )


@check("SY103", "Load-balancer pool outside the node network", "error")
def pool_in_node_network(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Load-balancer pool outside the node network.

    MetalLB in L2 mode answers ARP for pool addresses on the nodes' segment, so the
    pool must lie inside the node subnet (``nodeSubnet``), and must not take addresses
    of the node range itself.
    """
    if context.settings.networking.loadBalancer.value != "metallb":
        return
    for index, cluster in enumerate(context.platform.clusters):
        network = cluster.network
        pool = network.loadBalancerPool
        path: SpecPath = ("clusters", index, "network", "loadBalancerPool")
        if pool is None:
            yield emit(
                "MetalLB needs a load-balancer pool on every cluster",
                ("clusters", index, "network"),
                hint="add network.loadBalancerPool, e.g. 192.168.64.200-192.168.64.210",
                cluster=cluster.name,
            )
            continue
        subnet = network.nodeSubnet
        if subnet is None:
            yield emit(
                f"cannot tell whether pool {pool} is on the nodes' network: nodeSubnet is not set",
                path,
                severity="warning",
                hint="add network.nodeSubnet, e.g. 192.168.64.0/24",
                cluster=cluster.name,
            )
        elif not subnet.contains(pool):
            yield emit(
                f"pool {pool} is outside the node subnet {subnet}; "
                "L2 announcements cannot reach it",
                path,
                hint=f"pick pool addresses inside {subnet}",
                cluster=cluster.name,
            )
        if subnet is not None and not subnet.contains(network.nodeRange):
            yield emit(
                f"node range {network.nodeRange} is outside the node subnet {subnet}",
                ("clusters", index, "network", "nodeRange"),
                cluster=cluster.name,
            )


@check("SY104", "Node range smaller than the cluster", "error")
def node_range_fits_nodes(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Node range smaller than the cluster.

    Nodes get fixed addresses from ``nodeRange`` in order (control plane first), so the
    range must hold at least one address per node; a CIDR loses its network and
    broadcast addresses.
    """
    for index, cluster in enumerate(context.platform.clusters):
        network = cluster.network.nodeRange
        usable = network.size - (2 if "/" in network.text and network.size > 2 else 0)
        if usable < cluster.node_count:
            yield emit(
                f"node range {network} has {usable} usable addresses for "
                f"{cluster.node_count} nodes",
                ("clusters", index, "network", "nodeRange"),
                hint="widen network.nodeRange",
                cluster=cluster.name,
            )


@check("SY105", "kubeadm networks written as ranges", "error")
def kubeadm_needs_cidrs(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Networks written as ranges where kubeadm needs CIDRs.

    kubeadm's ``podSubnet`` and ``serviceSubnet`` take CIDRs only, not first-last ranges.
    """
    if context.platform.kubernetes.distribution != "kubeadm":
        return
    for index, cluster in enumerate(context.platform.clusters):
        for key in ("podCIDR", "serviceCIDR"):
            value = getattr(cluster.network, key)
            if value is not None and "-" in value.text:
                yield emit(
                    f"{key} {value} is a range; kubeadm needs a CIDR",
                    ("clusters", index, "network", key),
                    hint="write it as a CIDR, e.g. 10.100.0.0/16",
                    cluster=cluster.name,
                )

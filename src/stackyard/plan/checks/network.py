"""Address-plan checks: overlaps within and across clusters, load-balancer pools."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Sequence
from itertools import combinations

from stackyard.findings import Finding
from stackyard.plan.checks.base import CheckContext, Emit, check
from stackyard.plan.clustermesh import LARGEST_MAX_CLUSTERS
from stackyard.plan.model import SpecPath
from stackyard.spec import Cluster
from stackyard.spec.units import AddressRange

_LABELS = {
    "nodeRange": "node range",
    "podCIDR": "pod CIDR",
    "serviceCIDR": "service CIDR",
    "loadBalancerPool": "load-balancer pool",
}

_Heap = list[tuple[int, int, int]]  # open ranges: (last address, cluster, range), by last


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
    clusters = context.platform.clusters
    ranges = [list(_ranges(cluster, index, eni)) for index, cluster in enumerate(clusters)]
    for i, j, k, m in overlapping_pairs(ranges, mesh):
        key_a, range_a, _ = ranges[i][k]
        key_b, range_b, path_b = ranges[j][m]
        why = " (Cluster Mesh needs unique pod CIDRs)" if key_a == key_b == "podCIDR" else ""
        yield emit(
            f"{_LABELS[key_b]} {range_b} of {clusters[j].name} overlaps the "
            f"{_LABELS[key_a]} {range_a} of {clusters[i].name}{why}",
            path_b,
            hint="give each cluster its own addresses",
            cluster=clusters[j].name,
        )


def overlapping_pairs(
    ranges: Sequence[Sequence[tuple[str, AddressRange, SpecPath]]], mesh: bool
) -> list[tuple[int, int, int, int]]:
    """Every cross-cluster overlap, in cluster-pair then range order.

    ``(i, j, k, m)``: range ``k`` of cluster ``i`` meets range ``m`` of cluster ``j``,
    ``i < j``. Service CIDRs never count; pod CIDRs meet each other only under Cluster
    Mesh. A sweep over the ranges sorted by first address keeps the ranges still open
    (heaps by last address, pod CIDRs apart so that repeated pod CIDRs without a mesh
    are never walked): every open range overlaps the new one, so the cost is n log n
    plus the overlaps found.
    """
    starts: list[tuple[int, int, int, int, int, bool]] = []
    for i, cluster_ranges in enumerate(ranges):
        for k, (key, value, _) in enumerate(cluster_ranges):
            if key != "serviceCIDR":
                start = (value.first.version, int(value.first), int(value.last))
                starts.append((*start, i, k, key == "podCIDR"))
    starts.sort()
    pairs: list[tuple[int, int, int, int]] = []
    version = 0
    open_ranges: tuple[_Heap, _Heap] = ([], [])
    for v, first, last, i, k, pod in starts:
        if v != version:  # IPv4 and IPv6 ranges never overlap
            version, open_ranges = v, ([], [])
        for heap in open_ranges:
            while heap and heap[0][0] < first:
                heapq.heappop(heap)
        others, pods = open_ranges
        for j, m in _open_of_other_clusters(others, pods if mesh or not pod else [], i):
            pairs.append((j, i, m, k) if j < i else (i, j, k, m))
        own: _Heap = pods if pod else others
        heapq.heappush(own, (last, i, k))
    pairs.sort()
    return pairs


def _open_of_other_clusters(others: _Heap, pods: _Heap, cluster: int) -> Iterator[tuple[int, int]]:
    for heap in (others, pods):
        for _, j, m in heap:
            if j != cluster:
                yield j, m


@check("SY106", "Cluster Mesh larger than Cilium connects", "error")
def mesh_within_cilium_limit(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Cluster Mesh larger than Cilium connects.

    Cilium numbers the clusters of one mesh from 1 to its ``maxConnectedClusters``,
    which is 255, or 511 at the cost of half the cluster-local identities; a larger
    mesh cannot be built. Above 255 clusters Stackyard sets 511 on every cluster, the
    same on all as Cilium requires; the value cannot change on a running cluster, so a
    mesh that grows past 255 must be planned for 511 before its clusters are built.
    """
    mesh = context.settings.networking.clusterMesh
    clusters = len(context.platform.clusters)
    if mesh.value and clusters > LARGEST_MAX_CLUSTERS:
        yield emit(
            f"Cluster Mesh is on for {clusters} clusters; Cilium connects at most "
            f"{LARGEST_MAX_CLUSTERS} in one mesh",
            mesh.path or ("networking", "clusterMesh"),
            hint="set networking.clusterMesh: off, or split the clusters into platforms "
            f"of at most {LARGEST_MAX_CLUSTERS}",
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

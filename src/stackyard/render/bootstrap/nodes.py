"""The nodes of a cluster: names, pools and, where the spec fixes them, addresses.

Naming follows the reference local multi-cluster architecture (``mgmt-cp``,
``mgmt-worker-0``): ``<cluster>-<pool>`` for a control-plane pool of one node,
``<cluster>-<pool>-<i>`` otherwise. Control-plane pools come first, then workers, each in
spec order.

Addresses: off the cloud (``onprem``, ``local``) nodes take fixed addresses from
``network.nodeRange`` in that order, so the first control-plane node gets the first
address (there: mgmt-cp 192.168.64.10, mgmt-worker-0 .11). A CIDR's network and
broadcast addresses are skipped. On AWS the range is the VPC and addresses come from
DHCP, so they are unknown here.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from stackyard.plan import ClusterPlan
from stackyard.render.context import RenderContext
from stackyard.render.tree import RenderError
from stackyard.spec.model import NodePool
from stackyard.spec.units import AddressRange

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Node:
    """One machine of a cluster."""

    name: str
    pool: NodePool
    address: IPAddress | None

    @property
    def control_plane(self) -> bool:
        """Whether the node runs etcd and the API server."""
        return self.pool.role == "control-plane"


def node_name(cluster: ClusterPlan, pool: NodePool, index: int) -> str:
    """The node's hostname and Kubernetes node name."""
    if pool.role == "control-plane" and pool.count == 1:
        return f"{cluster.name}-{pool.name}"
    return f"{cluster.name}-{pool.name}-{index}"


def has_fixed_addresses(context: RenderContext) -> bool:
    """Whether node addresses are assigned from the node range (everywhere but AWS)."""
    return context.platform.provider != "aws"


def _usable(network: AddressRange) -> tuple[int, int]:
    first, last = int(network.first), int(network.last)
    if "-" not in network.text and network.first.version == 4 and network.size > 2:
        first, last = first + 1, last - 1  # a CIDR: not its network or broadcast address
    return first, last


def cluster_nodes(context: RenderContext, cluster: ClusterPlan) -> list[Node]:
    """Every node of ``cluster``, control plane first.

    Raises:
        RenderError: the node range holds fewer addresses than the cluster has nodes.
    """
    pools = sorted(cluster.cluster.nodePools, key=lambda p: p.role != "control-plane")
    network = cluster.cluster.network.nodeRange
    first, last = _usable(network)
    fixed = has_fixed_addresses(context)
    if fixed and last - first + 1 < cluster.cluster.node_count:
        raise RenderError(
            f"cluster {cluster.name}: node range {network} has {last - first + 1} usable "
            f"addresses for {cluster.cluster.node_count} nodes; widen network.nodeRange"
        )
    address_type = type(network.first)
    nodes: list[Node] = []
    for pool in pools:
        for index in range(pool.count):
            address = address_type(first + len(nodes)) if fixed else None
            nodes.append(Node(node_name(cluster, pool, index), pool, address))
    return nodes


def control_plane_schedulable(cluster: ClusterPlan) -> bool:
    """Whether platform pods may run on the control plane (one answer for all its pools).

    Raises:
        RenderError: control-plane pools disagree; their nodes share one configuration.
    """
    answers = {p.takes_workloads for p in cluster.cluster.nodePools if p.role == "control-plane"}
    if len(answers) > 1:
        raise RenderError(
            f"cluster {cluster.name}: control-plane pools disagree on schedulable; "
            "control-plane nodes share one configuration, so give them the same value"
        )
    return answers.pop()

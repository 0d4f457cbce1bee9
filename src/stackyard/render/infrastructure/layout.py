"""The address and machine layout of a cluster's AWS infrastructure, from the spec alone.

- The VPC is the cluster's ``network.nodeRange`` (on AWS the node range is the VPC; with
  Cilium ENI the pods take their addresses from it too).
- Subnets: one private subnet per zone for the nodes (and, with ENI, their pods), and one
  small public subnet per zone for its NAT gateway and internet-facing load balancers.
  The VPC is cut into ``2**bits`` equal blocks, ``bits`` the fewest that leave one block
  spare after the zones: the first blocks are the private subnets, the spare one is cut
  again into the public subnets. Three zones in a /16 give three /18 private subnets and
  three /20 public ones in the last /18, so the nodes get nearly the whole VPC.
- Zones: ``clusters[].aws.zones``; without them the region's first three zones, which
  Terraform reads from the region (every commercial AWS region has at least three).
- Machines: one EC2 instance per node, named as the node bootstrap names them
  (``nodes.py``), spread over the zones round-robin within each pool, so a pool of three
  control-plane nodes lands one per zone.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass

from stackyard.plan import ClusterPlan
from stackyard.render.bootstrap.nodes import cluster_nodes
from stackyard.render.context import RenderContext
from stackyard.render.tree import RenderError
from stackyard.spec.units import GIB, parse_quantity

DEFAULT_ZONES = 3
"""Zones used when the spec names none: the region's first three."""


@dataclass(frozen=True)
class Subnet:
    """One subnet: its zone (by index into the zone list), CIDR and whether it is public."""

    zone: int
    cidr: str
    public: bool


@dataclass(frozen=True)
class Machine:
    """One EC2 instance: a node of the cluster."""

    name: str
    pool: str
    control_plane: bool
    first_server: bool
    instance_type: str
    disk_gib: int | None
    zone: int


def zones(cluster: ClusterPlan) -> list[str]:
    """The zones the spec names for ``cluster`` (empty: the region's first three)."""
    return list(cluster.cluster.aws.zones) if cluster.cluster.aws else []


def zone_count(cluster: ClusterPlan) -> int:
    """How many zones the cluster's subnets span."""
    return len(zones(cluster)) or DEFAULT_ZONES


def vpc_cidr(cluster: ClusterPlan) -> str:
    """The VPC: ``network.nodeRange``, which must be a CIDR.

    Raises:
        RenderError: the node range is an address range, not a CIDR.
    """
    text = cluster.cluster.network.nodeRange.text
    if "/" not in text:
        raise RenderError(
            f"cluster {cluster.name}: network.nodeRange {text} must be a CIDR on AWS "
            "(it is the VPC)"
        )
    return text


def subnets(cluster: ClusterPlan) -> list[Subnet]:
    """Private subnets (one per zone), then public ones (see module docs).

    Raises:
        RenderError: the VPC is too small to cut into subnets for every zone.
    """
    count = zone_count(cluster)
    vpc = ipaddress.ip_network(vpc_cidr(cluster))
    bits = math.ceil(math.log2(count + 1))
    public_bits = math.ceil(math.log2(count)) if count > 1 else 0
    # AWS subnets are /28 at the smallest.
    if vpc.version != 4 or vpc.prefixlen + bits + public_bits > 28:
        raise RenderError(
            f"cluster {cluster.name}: network.nodeRange {vpc} is too small for subnets in "
            f"{count} zones; use an IPv4 CIDR of /{28 - bits - public_bits} or larger"
        )
    blocks = list(vpc.subnets(prefixlen_diff=bits))
    private = [Subnet(i, str(blocks[i]), False) for i in range(count)]
    spare = blocks[-1].subnets(prefixlen_diff=public_bits) if public_bits else iter([blocks[-1]])
    public = [Subnet(i, str(block), True) for i, block in zip(range(count), spare, strict=False)]
    return private + public


def _gib(quantity: str) -> int:
    return max(1, math.ceil(parse_quantity(quantity) / GIB))


def machines(context: RenderContext, cluster: ClusterPlan) -> list[Machine]:
    """Every node as an EC2 instance, control plane first (see module docs).

    Raises:
        RenderError: a node pool has no ``instanceType``.
    """
    count = zone_count(cluster)
    index_in_pool: dict[str, int] = {}
    result: list[Machine] = []
    for node in cluster_nodes(context, cluster):
        pool = node.pool
        if pool.instanceType is None:
            raise RenderError(
                f"cluster {cluster.name}: node pool {pool.name} needs an instanceType on AWS"
            )
        index = index_in_pool.get(pool.name, 0)
        index_in_pool[pool.name] = index + 1
        result.append(
            Machine(
                name=node.name,
                pool=pool.name,
                control_plane=node.control_plane,
                first_server=node.control_plane and not any(m.control_plane for m in result),
                instance_type=pool.instanceType,
                disk_gib=_gib(pool.disk) if pool.disk is not None else None,
                zone=index % count,
            )
        )
    return result

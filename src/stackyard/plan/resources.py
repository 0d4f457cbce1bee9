"""Resource arithmetic: what nodes can give to pods, and what a plan asks of them.

Allocatable follows the reservation GKE documents for kubelet and system daemons
(https://cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes), a
well-known, conservative stand-in for ``kube-reserved`` + ``system-reserved`` plus the
100Mi hard eviction threshold. Control-plane nodes that take workloads also lose the
requests of the control plane's static pods (kubeadm's manifests: kube-apiserver
250m, controller-manager 200m, scheduler 100m, etcd 100m and 100Mi).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from stackyard.catalog import Component
from stackyard.spec import Cluster
from stackyard.spec.units import parse_quantity

MIB = 1024.0**2
GIB = 1024.0**3
EVICTION_THRESHOLD = 100 * MIB
CONTROL_PLANE_CPU = 0.65
CONTROL_PLANE_MEMORY = 100 * MIB

_MEMORY_TIERS = ((4 * GIB, 0.25), (4 * GIB, 0.20), (8 * GIB, 0.10), (112 * GIB, 0.06))
_CPU_TIERS = ((1.0, 0.06), (1.0, 0.01), (2.0, 0.005))


def reserved_memory(memory: float) -> float:
    """Bytes of a node's memory kept from pods (system, kubelet, eviction threshold)."""
    if memory < GIB:
        return 255 * MIB + EVICTION_THRESHOLD
    return _tiered(memory, _MEMORY_TIERS, 0.02) + EVICTION_THRESHOLD


def reserved_cpu(cpu: float) -> float:
    """Cores of a node kept from pods."""
    return _tiered(cpu, _CPU_TIERS, 0.0025)


def _tiered(amount: float, tiers: tuple[tuple[float, float], ...], rest: float) -> float:
    reserved, left = 0.0, amount
    for size, share in tiers:
        step = min(left, size)
        reserved += step * share
        left -= step
    return reserved + max(left, 0.0) * rest


@dataclass(frozen=True)
class Budget:
    """Schedulable capacity and requested amounts of one cluster (cores and bytes)."""

    cpu_allocatable: float
    memory_allocatable: float
    cpu_requested: float
    memory_requested: float
    schedulable_nodes: int

    @property
    def memory_allocatable_gib(self) -> float:
        """Allocatable memory in GiB, as people read it."""
        return self.memory_allocatable / GIB

    @property
    def memory_requested_gib(self) -> float:
        """Requested memory in GiB, as people read it."""
        return self.memory_requested / GIB


def cluster_budget(cluster: Cluster, running: Iterable[tuple[Component, int]]) -> Budget:
    """Capacity of the nodes that take workloads against the requests of ``running``.

    Args:
        cluster: the cluster's spec.
        running: each planned component with its pod count.
    """
    cpu = memory = 0.0
    schedulable = 0
    for pool in cluster.nodePools:
        if not pool.takes_workloads:
            continue
        node_cpu, node_memory = parse_quantity(pool.cpu), parse_quantity(pool.memory)
        free_cpu = node_cpu - reserved_cpu(node_cpu)
        free_memory = node_memory - reserved_memory(node_memory)
        if pool.role == "control-plane":
            free_cpu -= CONTROL_PLANE_CPU
            free_memory -= CONTROL_PLANE_MEMORY
        cpu += max(free_cpu, 0.0) * pool.count
        memory += max(free_memory, 0.0) * pool.count
        schedulable += pool.count
    cpu_requested = memory_requested = 0.0
    for component, planned_pods in running:
        resources = component.resources
        if resources is None or planned_pods == 0:
            continue
        pods = schedulable if component.workload == "daemonset" else planned_pods
        cpu_requested += parse_quantity(resources.requests.cpu) * pods
        memory_requested += parse_quantity(resources.requests.memory) * pods
    return Budget(cpu, memory, cpu_requested, memory_requested, schedulable)

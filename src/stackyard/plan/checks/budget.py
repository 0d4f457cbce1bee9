"""Resource budget checks: requests against nodes, and VMs against their host."""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.findings import Finding
from stackyard.plan.checks.base import CheckContext, Emit, check
from stackyard.plan.resources import GIB
from stackyard.spec.units import parse_quantity

WARN_SHARE = 0.85
CPU_OVERCOMMIT = 2.0


@check("SY201", "Component requests exceed what the nodes can allocate", "error")
def cluster_budget_fits(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Component requests exceed what the nodes can allocate.

    The sum of the planned components' CPU and memory requests (replicas included,
    DaemonSets once per schedulable node) must fit the allocatable capacity of the nodes
    that take workloads. Above 85 % it is a warning: workloads need room too.
    """
    for plan in context.clusters:
        budget = plan.budget
        path = ("clusters", plan.index, "nodePools")
        if budget.schedulable_nodes == 0:
            yield emit(
                "no node pool takes workloads",
                path,
                hint="add a worker pool or set schedulable: true on the control plane",
                cluster=plan.name,
                key=True,
            )
            continue
        for what, asked, free, unit in (
            ("memory", budget.memory_requested / GIB, budget.memory_allocatable / GIB, "GiB"),
            ("CPU", budget.cpu_requested, budget.cpu_allocatable, "cores"),
        ):
            if asked > free:
                yield emit(
                    f"platform components request {asked:.2f} {unit} of {what}, "
                    f"but the nodes can allocate {free:.2f} {unit}",
                    path,
                    hint="add or enlarge nodes, or disable components on this cluster",
                    cluster=plan.name,
                    key=True,
                )
            elif asked > free * WARN_SHARE:
                yield emit(
                    f"platform components take {asked / free:.0%} of allocatable {what} "
                    f"({asked:.2f} of {free:.2f} {unit}); little is left for workloads",
                    path,
                    severity="warning",
                    hint="plan more capacity for workloads",
                    cluster=plan.name,
                    key=True,
                )


@check("SY202", "Local VMs exceed the host", "error")
def host_budget_fits(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Local VMs exceed the host.

    For provider local, the memory of every VM plus the services beside them, the
    deliberate reserve and the host OS share must fit the host's memory (the reference
    local multi-cluster architecture: 64 GB host, 56 usable, 24 GB reserve). vCPUs may be
    overcommitted up to twice the cores before it is flagged.
    """
    platform = context.platform
    host = platform.host
    if platform.provider != "local" or host is None:
        return
    vm_memory = sum(
        parse_quantity(pool.memory) * pool.count
        for cluster in platform.clusters
        for pool in cluster.nodePools
    )
    vm_cpu = sum(
        parse_quantity(pool.cpu) * pool.count
        for cluster in platform.clusters
        for pool in cluster.nodePools
    )
    needed = (
        vm_memory
        + parse_quantity(host.externalServices)
        + parse_quantity(host.reserve)
        + parse_quantity(host.systemReserved)
    )
    total = parse_quantity(host.memory)
    if needed > total:
        yield emit(
            f"VMs ({vm_memory / GIB:.1f} GiB) + external services + reserve + host OS need "
            f"{needed / GIB:.1f} GiB, but the host has {total / GIB:.1f} GiB",
            ("host", "memory"),
            hint="shrink VMs, lower the reserve, or use a larger host",
        )
    if vm_cpu > host.cpu * CPU_OVERCOMMIT:
        yield emit(
            f"VMs have {vm_cpu:g} vCPUs on {host.cpu} cores (over {CPU_OVERCOMMIT:g}x overcommit)",
            ("host", "cpu"),
            severity="warning",
            hint="expect CPU contention; shrink VMs or use a larger host",
        )

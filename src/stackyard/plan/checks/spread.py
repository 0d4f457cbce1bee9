"""Checks that HA pods kept apart by their charts have enough nodes to be kept apart on.

Some charts' HA modes require one node per pod (a required pod anti-affinity on the
hostname): Vault's server pods, Keycloak's, the three Alertmanagers, Argo CD's Redis HA.
The catalog records these as ``haSpread``. A cluster that runs such a component in its
HA mode (the decision of ``plan/replicas.py``, which the rendered values follow) with
fewer nodes that take platform pods leaves the surplus pods Pending for good: the
StatefulSet never becomes ready, its Argo CD Application stays Progressing, and the
later sync waves wait behind it. Control-plane nodes count only where the spec makes
them schedulable; otherwise their taint keeps these pods off
(https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#inter-pod-affinity-and-anti-affinity).
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.findings import Finding
from stackyard.plan.checks.base import CheckContext, Emit, check
from stackyard.plan.model import ClusterPlan, SpecPath
from stackyard.wording import counted


def schedulable_nodes(plan: ClusterPlan) -> int:
    """Nodes of the cluster that take platform pods (workers, schedulable control planes)."""
    return sum(pool.count for pool in plan.cluster.nodePools if pool.takes_workloads)


def _ha_source(plan: ClusterPlan) -> SpecPath:
    """Where the spec makes the cluster HA: its ``ha`` field, else its node pools."""
    if plan.cluster.ha is not None:
        return ("clusters", plan.index, "ha")
    return ("clusters", plan.index, "nodePools")


@check("SY511", "HA pods that need a node each, on too few nodes", "error")
def ha_pods_fit_apart(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """HA pods that need a node each, on too few nodes.

    In their HA mode some charts keep every pod on its own node with a required pod
    anti-affinity: Vault's three Raft peers, Keycloak's replicas, the three
    Alertmanagers, Argo CD's Redis HA. On a cluster with fewer nodes that take platform
    pods (workers, and control-plane pools marked ``schedulable``), the surplus pods stay
    Pending, the Application never turns Healthy and later sync waves wait. Add worker
    nodes, make the control plane schedulable, or set ``ha: false``. See
    https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#inter-pod-affinity-and-anti-affinity
    and Vault's ``server.affinity``:
    https://developer.hashicorp.com/vault/docs/platform/k8s/helm/configuration#affinity.
    """
    for plan in context.clusters:
        nodes = schedulable_nodes(plan)
        for planned in plan.components:
            component = planned.component
            if not component.haSpread or not planned.replicas.ha:
                continue
            for spread in component.haSpread:
                if spread.pods <= nodes:
                    continue
                yield emit(
                    f"cluster {plan.name} runs {component.title} in its HA mode: "
                    f"{spread.pods} {spread.what} need a node each, but {counted(nodes, 'node')} "
                    "take platform pods",
                    _ha_source(plan),
                    hint=f"give cluster {plan.name} {spread.pods} schedulable nodes (workers, "
                    "or schedulable: true on the control plane), or set ha: false",
                    cluster=plan.name,
                    key=True,
                )

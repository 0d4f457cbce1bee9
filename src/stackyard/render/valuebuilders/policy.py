"""Values for Kyverno's policies: whether they enforce or audit, and who is exempt.

The mode is the cluster's own ``policyMode``, else the platform's. Exempt are
kube-system and the namespace of every component the catalog marks ``podSecurity:
privileged``, so the policies never block the platform's own privileged agents.
"""

from __future__ import annotations

from stackyard.plan import ClusterPlan
from stackyard.render.context import RenderContext
from stackyard.render.values import ValueBuilder, Values


def _kyverno_policies(context: RenderContext, cluster: ClusterPlan) -> Values:
    mode = cluster.cluster.policyMode or context.platform.policy.mode
    exempt = {"kube-system"} | {
        planned.component.namespace
        for planned in cluster.components
        if planned.component.podSecurity == "privileged"
    }
    return {
        "validationFailureAction": "Enforce" if mode == "enforce" else "Audit",
        "vpolExclude": {"excludeNamespaces": sorted(exempt)},
    }


BUILDERS: dict[str, ValueBuilder] = {
    "kyverno-policies": _kyverno_policies,
}

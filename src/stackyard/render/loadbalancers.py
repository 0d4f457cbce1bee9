"""The annotations a ``LoadBalancer`` Service needs from the cluster's load-balancer provider.

Value builders (ingress-nginx, the Istio gateway, Teleport, the clustermesh-apiserver) put
them on the Services their charts create; the platform Gateways carry them in
``spec.infrastructure``, which the Gateway API implementation copies onto the Service it
creates. One answer, so every load balancer of a cluster is made the same way: the AWS Load
Balancer Controller's NLB (target type from the spec, internal or internet-facing), or the
cloud controller manager's NLB.
"""

from __future__ import annotations

from stackyard.plan import ClusterPlan
from stackyard.render.context import RenderContext


def load_balancer_annotations(
    context: RenderContext, cluster: ClusterPlan, *, internal: bool, pods: bool = True
) -> dict[str, str]:
    """Service annotations for the cluster's load-balancer provider, none where it needs none.

    ``pods`` says whether pods serve the Service. A Cilium Gateway's Service has none (its
    Envoy runs on every node, and the Service's only endpoint is a placeholder address), so
    an NLB cannot target pod IPs there and targets the nodes' ports (``instance``) whatever
    the spec's target type.
    """
    prefix = "service.beta.kubernetes.io/aws-load-balancer"
    if cluster.has("aws-load-balancer-controller"):
        target = context.plan.settings.networking.loadBalancerTargetType.value
        if not pods:
            target = "instance"
        elif target not in ("ip", "instance"):
            target = "ip"
        return {
            f"{prefix}-type": "external",
            f"{prefix}-nlb-target-type": target,
            f"{prefix}-scheme": "internal" if internal else "internet-facing",
        }
    if cluster.has("aws-ccm-load-balancer"):
        annotations = {f"{prefix}-type": "nlb"}
        if internal:
            annotations[f"{prefix}-internal"] = "true"
        return annotations
    return {}


def has_internal_load_balancers(context: RenderContext, cluster: ClusterPlan) -> bool:
    """Whether the cluster's load balancers can be internal as well as internet-facing.

    True on AWS, with the Load Balancer Controller or the cloud controller manager's NLBs.
    """
    internal = load_balancer_annotations(context, cluster, internal=True)
    return internal != load_balancer_annotations(context, cluster, internal=False)

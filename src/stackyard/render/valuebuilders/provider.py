"""What values take from the infrastructure provider: a cluster's AWS region and LB annotations.

Builders of every subject ask the same two questions: which AWS region a cluster runs in
(the AWS Load Balancer Controller, external-dns, S3 backup targets and buckets) and which
annotations a ``LoadBalancer`` Service needs for the load-balancer provider the plan put
on the cluster (the AWS Load Balancer Controller or the cloud controller manager's NLBs).
They are answered here once, so networking, identity, storage and observability agree.
"""

from __future__ import annotations

from stackyard.plan import ClusterPlan
from stackyard.render.context import RenderContext


def aws_region(context: RenderContext, cluster: ClusterPlan) -> str | None:
    """The AWS region of ``cluster``: its own, else the platform's, else None."""
    aws = cluster.cluster.aws
    if aws is not None and aws.region:
        return aws.region
    return context.platform.aws.region if context.platform.aws else None


def load_balancer_annotations(
    context: RenderContext, cluster: ClusterPlan, *, internal: bool
) -> dict[str, str]:
    """Service annotations for the cluster's load-balancer provider."""
    prefix = "service.beta.kubernetes.io/aws-load-balancer"
    if cluster.has("aws-load-balancer-controller"):
        target = context.plan.settings.networking.loadBalancerTargetType.value
        return {
            f"{prefix}-type": "external",
            f"{prefix}-nlb-target-type": target if target in ("ip", "instance") else "ip",
            f"{prefix}-scheme": "internal" if internal else "internet-facing",
        }
    if cluster.has("aws-ccm-load-balancer"):
        annotations = {f"{prefix}-type": "nlb"}
        if internal:
            annotations[f"{prefix}-internal"] = "true"
        return annotations
    return {}

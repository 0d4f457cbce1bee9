"""What values take from the infrastructure provider: a cluster's AWS region.

Builders of every subject ask which AWS region a cluster runs in (the AWS Load Balancer
Controller, external-dns, S3 backup targets and buckets). It is answered here once, so
networking, identity, storage and observability agree. The annotations a ``LoadBalancer``
Service needs are :mod:`stackyard.render.loadbalancers`' (Gateways need them too).
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

"""The VPC endpoints of an air-gapped cluster on AWS: AWS's APIs without the internet.

With the spec's ``airgap`` section the VPC has no internet gateway and no NAT gateway, so
everything on the nodes that calls AWS reaches it through an endpoint in the VPC
(https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-privatelink-support.html):

- S3 as a gateway endpoint on the private route tables (free, and the way ECR's image
  layers, etcd snapshot copies and Velero's backups reach their buckets);
- interface endpoints, with private DNS so the SDKs' default names resolve to them, for
  ``ec2`` (the cloud controller, Cilium's ENI IPAM, Cluster API's AWS controllers),
  ``elasticloadbalancing`` (the load balancers of Services and of Cluster API),
  ``sts`` (the SDKs' identity calls), ``ssm``, ``ssmmessages`` and ``ec2messages``
  (Session Manager, how operators reach the nodes), and, as used: ``ecr.api`` and
  ``ecr.dkr`` when the internal registry is an ECR registry, ``secretsmanager`` on a mgmt
  cluster running Cluster API (its AWS controllers keep machines' bootstrap data there),
  ``kms`` with ``hardening.encryptionAtRest.provider: aws-kms``.

One security group on the interface endpoints lets HTTPS (443) in from the VPC only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stackyard.plan import ClusterPlan
from stackyard.render.context import RenderContext

ECR_REGISTRY = re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
"""A private ECR registry's host: ``<account>.dkr.ecr.<region>.amazonaws.com``."""


@dataclass(frozen=True)
class Endpoint:
    """One interface endpoint: the service's short name and who calls it."""

    service: str
    why: str


def air_gapped(context: RenderContext) -> bool:
    """Whether the VPCs are built without a way to the internet."""
    return context.platform.airgap is not None


def uses_ecr(context: RenderContext) -> bool:
    """Whether the internal registry of the air gap is an ECR registry."""
    airgap = context.platform.airgap
    return airgap is not None and ECR_REGISTRY.match(airgap.registry_host) is not None


def interface_endpoints(
    context: RenderContext, cluster: ClusterPlan, *, cluster_api: bool, kms: bool
) -> list[Endpoint]:
    """The interface endpoints ``cluster``'s VPC needs (none unless air-gapped)."""
    if not air_gapped(context):
        return []
    result = [
        Endpoint("ec2", "the cloud controller, Cilium ENI, Cluster API"),
        Endpoint("elasticloadbalancing", "load balancers of Services and clusters"),
        Endpoint("sts", "the AWS SDKs' identity calls"),
        Endpoint("ssm", "Session Manager"),
        Endpoint("ssmmessages", "Session Manager sessions"),
        Endpoint("ec2messages", "Session Manager's agent"),
    ]
    if uses_ecr(context):
        result += [
            Endpoint("ecr.api", "the internal ECR registry: authentication"),
            Endpoint("ecr.dkr", "the internal ECR registry: images"),
        ]
    if cluster_api:
        result.append(Endpoint("secretsmanager", "Cluster API's machine bootstrap data"))
    if kms:
        result.append(Endpoint("kms", "encryption at rest with the spec's KMS key"))
    return result

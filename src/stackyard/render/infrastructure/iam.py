"""What the nodes' instance profiles may do in AWS, policy by policy, each with its source.

- The cloud controller: the control-plane and node policies of
  https://github.com/kubernetes/cloud-provider-aws/blob/master/docs/prerequisites.md,
  action for action (where the CCM runs: the plan's ``aws-cloud-controller-manager``).
- Cilium's ENI IPAM, run by its operator on any node: the privileges of
  https://docs.cilium.io/en/stable/network/concepts/ipam/eni/#required-privileges
  (with ``ciliumRoutingMode: eni``).
- RKE2's etcd snapshot copies: read, write, list and delete in the folder of this cluster
  in its bucket (the servers, when the copies go to S3 on AWS).
- Cluster API's AWS provider (CAPA) is not here: its roles, instance profiles and
  policies are clusterawsadm's, derived as data (``catalog/capaiam.py``) and rendered as a
  module of their own (``modules/cluster-api-iam``), which also attaches the controllers'
  policy to the servers' role.
- kubeadm's join credentials in SSM Parameter Store (``kubeadm_userdata.py``): the
  servers read and write the cluster's parameters, the agents read the token and the CA
  hash only. SecureStrings with the account's ``aws/ssm`` key need no KMS statement.
- The KMS v2 plugin of ``hardening.encryptionAtRest.provider: aws-kms``: encrypt and decrypt
  with the spec's key, matched by the alias the plugin names it with.

The upstream policies are written for ``Resource: "*"`` (the controllers create and find
their resources by tag, whose ARNs are unknown beforehand); checkov's rules against
unconstrained write actions are skipped on exactly those policies, with that reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CCM_CONTROL_PLANE = (
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribeLaunchConfigurations",
    "autoscaling:DescribeTags",
    "ec2:DescribeInstances",
    "ec2:DescribeRegions",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVolumes",
    "ec2:DescribeAvailabilityZones",
    "ec2:CreateSecurityGroup",
    "ec2:CreateTags",
    "ec2:CreateVolume",
    "ec2:ModifyInstanceAttribute",
    "ec2:ModifyVolume",
    "ec2:AttachVolume",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:CreateRoute",
    "ec2:DeleteRoute",
    "ec2:DeleteSecurityGroup",
    "ec2:DeleteVolume",
    "ec2:DetachVolume",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:DescribeVpcs",
    "ec2:DescribeInstanceTopology",
    "elasticloadbalancing:AddTags",
    "elasticloadbalancing:AttachLoadBalancerToSubnets",
    "elasticloadbalancing:ApplySecurityGroupsToLoadBalancer",
    "elasticloadbalancing:CreateLoadBalancer",
    "elasticloadbalancing:CreateLoadBalancerPolicy",
    "elasticloadbalancing:CreateLoadBalancerListeners",
    "elasticloadbalancing:ConfigureHealthCheck",
    "elasticloadbalancing:DeleteLoadBalancer",
    "elasticloadbalancing:DeleteLoadBalancerListeners",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DetachLoadBalancerFromSubnets",
    "elasticloadbalancing:DeregisterInstancesFromLoadBalancer",
    "elasticloadbalancing:ModifyLoadBalancerAttributes",
    "elasticloadbalancing:RegisterInstancesWithLoadBalancer",
    "elasticloadbalancing:SetLoadBalancerPoliciesForBackendServer",
    "elasticloadbalancing:CreateListener",
    "elasticloadbalancing:CreateTargetGroup",
    "elasticloadbalancing:DeleteListener",
    "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeLoadBalancerPolicies",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:ModifyTargetGroup",
    "elasticloadbalancing:RegisterTargets",
    "elasticloadbalancing:DeregisterTargets",
    "elasticloadbalancing:SetLoadBalancerPoliciesOfListener",
    "iam:CreateServiceLinkedRole",
    "kms:DescribeKey",
)
CCM_NODE = (
    "ec2:DescribeInstances",
    "ec2:DescribeRegions",
    "ecr:GetAuthorizationToken",
    "ecr:BatchCheckLayerAvailability",
    "ecr:GetDownloadUrlForLayer",
    "ecr:GetRepositoryPolicy",
    "ecr:DescribeRepositories",
    "ecr:ListImages",
    "ecr:BatchGetImage",
)
CILIUM_ENI = (
    "ec2:CreateNetworkInterface",
    "ec2:AttachNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:DetachNetworkInterface",
    "ec2:ModifyNetworkInterfaceAttribute",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
    "ec2:CreateTags",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeInstances",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeRouteTables",
)
# checkov's rules against write, permissions-management and exposure actions on
# Resource "*", skipped on the upstream policies only (see module docs).
UNCONSTRAINED = ("CKV_AWS_290", "CKV_AWS_355", "CKV_AWS_289")


@dataclass(frozen=True)
class Policy:
    """One inline policy of a role."""

    name: str
    why: str
    document: dict[str, Any]
    skips: tuple[str, ...] = ()


@dataclass(frozen=True)
class Role:
    """A node role: ``server`` or ``agent``."""

    name: str
    policies: list[Policy] = field(default_factory=list)


def _document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(actions: tuple[str, ...], resource: str | list[str] = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": list(actions), "Resource": resource}


@dataclass(frozen=True)
class Needs:
    """What runs on the nodes that calls AWS."""

    ccm: bool
    cilium_eni: bool
    etcd_bucket: str | None
    etcd_folder: str
    kms_key: str | None
    """``hardening.encryptionAtRest.key``: a key ARN, an alias, or an alias ARN."""
    join_parameters: str | None = None
    """kubeadm: the SSM Parameter Store path of the join credentials."""


def _kms_statement(key: str) -> dict[str, Any]:
    """Encrypt, decrypt and describe with ``key``: by the alias it is named with, or its ARN."""
    actions = ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"]
    if "alias/" in key:
        return {
            "Effect": "Allow",
            "Action": actions,
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:RequestAlias": key[key.index("alias/") :]}},
        }
    arn = key if key.startswith("arn:") else f"arn:aws:kms:*:*:key/{key}"
    return {"Effect": "Allow", "Action": actions, "Resource": arn}


def roles(needs: Needs) -> list[Role]:
    """The server and agent roles with the policies ``needs`` calls for."""
    server = Role("server")
    agent = Role("agent")
    if needs.ccm:
        server.policies.append(
            Policy(
                "cloud-controller",
                "The cloud controller's control-plane policy (cloud-provider-aws prerequisites).",
                _document(_allow(CCM_CONTROL_PLANE)),
                UNCONSTRAINED,
            )
        )
        for role in (server, agent):
            role.policies.append(
                Policy(
                    "cloud-node",
                    "The cloud controller's node policy (cloud-provider-aws prerequisites).",
                    _document(_allow(CCM_NODE)),
                    UNCONSTRAINED,
                )
            )
    if needs.cilium_eni:
        for role in (server, agent):
            role.policies.append(
                Policy(
                    "cilium-eni",
                    "Cilium's ENI IPAM: its operator attaches interfaces and addresses to nodes.",
                    _document(_allow(CILIUM_ENI)),
                    UNCONSTRAINED,
                )
            )
    if needs.join_parameters is not None:
        path = f"arn:aws:ssm:*:*:parameter{needs.join_parameters}"
        server.policies.append(
            Policy(
                "kubeadm-join",
                "kubeadm's join credentials: the first server writes them, the others read.",
                _document(
                    _allow(("ssm:GetParameter", "ssm:PutParameter"), f"{path}/*"),
                ),
            )
        )
        agent.policies.append(
            Policy(
                "kubeadm-join",
                "kubeadm's join credentials: a worker reads the token and the CA hash only.",
                _document(
                    _allow(
                        ("ssm:GetParameter",),
                        [f"{path}/token", f"{path}/ca-cert-hash"],
                    ),
                ),
            )
        )
    if needs.etcd_bucket is not None:
        bucket, folder = f"arn:aws:s3:::{needs.etcd_bucket}", needs.etcd_folder
        server.policies.append(
            Policy(
                "etcd-snapshots",
                "RKE2's etcd snapshot copies: this cluster's folder of the snapshot bucket.",
                _document(
                    {
                        "Effect": "Allow",
                        "Action": ["s3:ListBucket"],
                        "Resource": bucket,
                        "Condition": {
                            "StringLike": {
                                "s3:prefix": [f"{needs.etcd_folder}/*", needs.etcd_folder]
                            }
                        },
                    },
                    _allow(
                        ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"),
                        f"{bucket}/{folder}/*",
                    ),
                ),
            )
        )
    if needs.kms_key is not None:
        server.policies.append(
            Policy(
                "secrets-encryption",
                "The KMS v2 plugin: encrypt and decrypt Secrets with the spec's key.",
                _document(_kms_statement(needs.kms_key)),
            )
        )
    return [server, agent]

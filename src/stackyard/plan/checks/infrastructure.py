"""Checks on what the AWS infrastructure is built from: tags, instance types, zones.

The Terraform of a mgmt or standalone cluster (``infrastructure/<cluster>/``) and the
machines of app clusters take these values from the spec; the classic mistakes in them
surface only once instances run, so they are caught here, before anything is rendered.
A pod CIDR inside the VPC is SY101 (on AWS the node range is the VPC); the RKE2 join
port is not configurable, the rendered security groups always open it.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.catalog.instancetypes import instance_type
from stackyard.findings import Finding
from stackyard.plan.checks.base import CheckContext, Emit, check
from stackyard.spec.units import GIB, parse_quantity

CLUSTER_TAG_PREFIX = "kubernetes.io/cluster/"


@check("SY410", "A kubernetes.io/cluster tag names another cluster", "error")
def foreign_cluster_tag(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """A kubernetes.io/cluster tag names another cluster.

    The cloud controller and the AWS Load Balancer Controller of cluster X take every
    subnet, security group and instance tagged ``kubernetes.io/cluster/X`` as their own.
    A cluster's ``aws.tags`` naming another cluster hands its resources to that cluster's
    controllers (which then place load balancers in them, or delete them); the rendered
    Terraform never writes such a tag, so the spec should not declare it either.
    """
    if context.platform.provider != "aws":
        return
    for index, cluster in enumerate(context.platform.clusters):
        tags = cluster.aws.tags if cluster.aws else {}
        for key in tags:
            if key.startswith(CLUSTER_TAG_PREFIX) and key != f"{CLUSTER_TAG_PREFIX}{cluster.name}":
                yield emit(
                    f"cluster {cluster.name} is tagged {key}: another cluster's controllers "
                    "would take its resources as theirs",
                    ("clusters", index, "aws", "tags", key),
                    key=True,
                    hint=f"use {CLUSTER_TAG_PREFIX}{cluster.name} (the cluster's own name)",
                    cluster=cluster.name,
                )


@check("SY411", "Instance type smaller than its node pool", "error")
def instance_type_fits_pool(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Instance type smaller than its node pool.

    A node pool declares the vCPUs and memory of each node, and the capacity checks
    (SY201) count on them; an ``instanceType`` with fewer vCPUs or less memory makes
    nodes smaller than the plan, and pods that fit on paper stay Pending. The sizes come
    from AWS's instance type specifications (the catalog's facts table).
    """
    if context.platform.provider != "aws":
        return
    for index, cluster in enumerate(context.platform.clusters):
        for pool_index, pool in enumerate(cluster.nodePools):
            facts = instance_type(pool.instanceType) if pool.instanceType else None
            if facts is None:
                continue
            memory_gib = parse_quantity(pool.memory) / GIB
            cpu = parse_quantity(pool.cpu)
            short = []
            if facts.vcpu < cpu:
                short.append(f"{facts.vcpu} vCPUs for cpu {pool.cpu}")
            if facts.memory_gib < memory_gib:
                short.append(f"{facts.memory_gib} GiB for memory {pool.memory}")
            if short:
                yield emit(
                    f"node pool {pool.name}: {pool.instanceType} has {' and '.join(short)}",
                    ("clusters", index, "nodePools", pool_index, "instanceType"),
                    hint="choose a larger instance type, or declare the pool's real size",
                    cluster=cluster.name,
                )


@check("SY412", "Node pool on AWS without a known instance type", "warning")
def instance_type_known(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Node pool on AWS without a known instance type.

    Without ``instanceType`` a pool cannot become EC2 instances: a mgmt or standalone
    cluster then gets no ``infrastructure/`` Terraform at all. A type the catalog's facts
    table does not list is used as written but its size is not checked against the pool
    (SY411), which this says (info).
    """
    if context.platform.provider != "aws":
        return
    for index, cluster in enumerate(context.platform.clusters):
        for pool_index, pool in enumerate(cluster.nodePools):
            if pool.instanceType is None:
                yield emit(
                    f"node pool {pool.name} has no instanceType: its machines cannot be rendered",
                    ("clusters", index, "nodePools", pool_index),
                    hint="set instanceType, e.g. m6i.xlarge",
                    cluster=cluster.name,
                )
            elif instance_type(pool.instanceType) is None:
                yield emit(
                    f"node pool {pool.name}: instance type {pool.instanceType} is not in the "
                    "facts table, so its size is not checked",
                    ("clusters", index, "nodePools", pool_index, "instanceType"),
                    severity="info",
                    cluster=cluster.name,
                )


@check("SY413", "HA control plane with its subnets in one zone", "warning")
def ha_control_plane_spans_zones(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """HA control plane with its subnets in one zone.

    Three or more control-plane nodes keep etcd's quorum through the loss of one node,
    but not through the loss of their zone when every subnet is in it: the servers are
    spread over ``aws.zones`` one per zone, so an HA control plane needs at least three.
    """
    if context.platform.provider != "aws":
        return
    for index, cluster in enumerate(context.platform.clusters):
        zones = cluster.aws.zones if cluster.aws else []
        if cluster.control_plane_nodes >= 3 and len(zones) == 1:
            yield emit(
                f"cluster {cluster.name}: {cluster.control_plane_nodes} control-plane nodes, "
                f"all in zone {zones[0]}: losing it loses etcd's quorum",
                ("clusters", index, "aws", "zones"),
                hint="name three zones (or leave zones out for the region's first three)",
                cluster=cluster.name,
            )


ROUTE53 = "external-dns"


@check("SY414", "Air-gapped AWS cluster that still needs the internet", "warning")
def air_gapped_aws_needs_internet(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Air-gapped AWS cluster that still needs the internet.

    With the ``airgap`` section the rendered VPC has no internet gateway and no NAT
    gateway: AWS's APIs are reached through VPC endpoints, images and charts through the
    internal registry. Two things the plan runs still need a way out: the public Gateway,
    whose internet-facing load balancer AWS creates only in a VPC with an internet gateway
    (the platform Gateway beside it is internal and keeps working), and external-dns,
    which writes records through Route 53's API (``route53.amazonaws.com``), for which the
    VPC gets no endpoint. Cluster API's providers, fetched from GitHub, are SY421's.
    """
    platform = context.platform
    if platform.provider != "aws" or platform.airgap is None:
        return
    for plan in context.clusters:
        gateways = [p.name for p in plan.components if p.component.gatewayClass]
        # AWS's load-balancer providers make internet-facing load balancers on request.
        balancer = next(
            (
                p.name
                for p in plan.components
                if "load-balancer" in p.component.provides and "aws" in p.component.providers
            ),
            None,
        )
        if gateways and balancer is not None:
            yield emit(
                f"cluster {plan.name}: the public Gateway of {gateways[0]} asks {balancer} for "
                "an internet-facing load balancer, which an air-gapped VPC (no internet "
                "gateway) cannot have",
                ("airgap",),
                hint="publish nothing to the internet from an air-gapped platform, or give "
                "the VPC an internet gateway and public subnets of your own",
                cluster=plan.name,
            )
        if plan.has(ROUTE53):
            yield emit(
                f"cluster {plan.name}: external-dns writes records through Route 53's API, "
                "which the air-gapped VPC's endpoints do not reach",
                plan.source(ROUTE53),
                hint="give external-dns a proxy to route53.amazonaws.com, or disable it "
                "and keep the records by hand",
                cluster=plan.name,
            )

"""A cluster's AWS infrastructure as a Terraform stack: ``infrastructure/<cluster>/``.

A mgmt or standalone cluster cannot create itself (app clusters are made from mgmt), so
on AWS (RKE2 or kubeadm) its VPC, subnets, security groups, instance profiles, API load balancer,
machines and etcd snapshot bucket are rendered as Terraform, one module per concern as
the platform's source stacks are (network, security, IAM, API load balancer, nodes, etcd
snapshots), from the spec alone: region, zones, address plan, pools, instance types,
tags, CNI, object store and hardening. The root module wires the modules together, pins
the providers and keeps its state in S3 (``aws.stateBucket``, key per cluster, S3-native
locking). The machines' user-data is the rendered node bootstrap (``userdata.py`` for
RKE2, ``kubeadm_userdata.py`` for kubeadm).

Every ``#checkov:skip`` in the templates takes its reason from :data:`SKIPS`;
docs/provisioning.md lists the same table and a test keeps the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jinja2

from stackyard.catalog.capaiam import capa_iam
from stackyard.catalog.instancetypes import instance_type
from stackyard.plan import ClusterPlan
from stackyard.render.bootstrap.aws_ccm import CCM
from stackyard.render.bootstrap.base import NodeFile
from stackyard.render.bootstrap.cloudinit import UBUNTU
from stackyard.render.bootstrap.kubeadm import kubeadm_files
from stackyard.render.bootstrap.rke2 import TOKEN_FILE, rke2_files
from stackyard.render.context import RenderContext
from stackyard.render.etcd_copies import snapshot_copies
from stackyard.render.infrastructure import endpoints, iam, layout, ports
from stackyard.render.infrastructure.hcl import hcl, quote
from stackyard.render.infrastructure.kubeadm_userdata import (
    kubeadm_user_data_files,
    parameter_prefix,
)
from stackyard.render.infrastructure.packer import packer_values, renders_image
from stackyard.render.infrastructure.userdata import KINDS, Kind, user_data_files

ROOT = "infrastructure"
STATE_SUFFIX = "terraform-state"
PROVIDERS = {
    "aws": {"source": "hashicorp/aws", "version": "6.28.0"},
    "random": {"source": "hashicorp/random", "version": "3.7.2"},
    "cloudinit": {"source": "hashicorp/cloudinit", "version": "2.3.7"},
}
"""Exact provider versions; ``terraform init`` writes their checksums to the lock file."""
INFRASTRUCTURE_ROLES = ("mgmt", "standalone")
DISTRIBUTIONS = ("rke2", "kubeadm")
CLUSTER_TAG_PREFIX = "kubernetes.io/cluster/"

SKIPS: dict[str, str] = {
    "CKV2_AWS_11": (
        "VPC flow logs need a log destination and its retention, which the account's "
        "logging policy decides; enable them there"
    ),
    "CKV_AWS_382": (
        "nodes pull images, call AWS APIs and reach the internet through NAT; "
        "no fixed destination list exists"
    ),
    "CKV_AWS_290": (
        "upstream policy (cloud-provider-aws, Cilium ENI, Cluster API's AWS controllers) "
        "acts on resources it creates and finds by tag, whose ARNs are unknown beforehand"
    ),
    "CKV_AWS_355": (
        "upstream policy (cloud-provider-aws, Cilium ENI, Cluster API's AWS controllers) "
        "acts on resources it creates and finds by tag, whose ARNs are unknown beforehand"
    ),
    "CKV_AWS_289": (
        "upstream policy (cloud-provider-aws, Cilium ENI, Cluster API's AWS controllers) "
        "acts on resources it creates and finds by tag, whose ARNs are unknown beforehand"
    ),
    "CKV_AWS_91": (
        "NLB access logs cover TLS listeners only; the API listeners are TCP "
        "(TLS ends at the API server)"
    ),
    "CKV2_AWS_38": "DNSSEC signing is for public hosted zones; this zone is private to the VPC",
    "CKV2_AWS_39": (
        "query logging is for public hosted zones; this private zone answers one name "
        "inside the VPC"
    ),
    "CKV_AWS_18": (
        "server access logs need a second bucket; RKE2's writes are already in CloudTrail "
        "data events where the account records them"
    ),
    "CKV_AWS_144": (
        "etcd snapshots are the first backup tier; copies to another region are the "
        "disaster-recovery tier's (Velero), not this bucket's"
    ),
    "CKV2_AWS_62": "nothing consumes events of new snapshots",
    "CKV2_AWS_5": (
        "attached in modules/nodes and modules/api-lb; the scan does not follow a group's "
        "id from one module into another"
    ),
    "CKV_AWS_394": (
        "only without clusters[].aws.zones: the region's first three zones by name are "
        "taken, a zone added later does not move the subnets; name the zones to pin them"
    ),
    "CKV2_AWS_61": (
        "RKE2 prunes snapshots itself (etcd-snapshot-retention); a lifecycle rule would "
        "delete copies it still counts"
    ),
}


@dataclass(frozen=True)
class Listener:
    """One listener of the API load balancer and its target group's health check."""

    name: str
    port: int
    health_protocol: str
    health_path: str | None
    health_why: str


LISTENERS: dict[str, tuple[Listener, ...]] = {
    "rke2": (
        Listener(
            "kubernetes",
            ports.API,
            "TCP",
            None,
            "TCP: RKE2's API server refuses anonymous requests, so /readyz answers 401 here.",
        ),
        Listener(
            "supervisor",
            ports.SUPERVISOR,
            "HTTPS",
            "/ping",
            "HTTPS /ping: the supervisor answers it without credentials once it serves joins.",
        ),
    ),
    # kubeadm joins through the API server: 6443 only.
    "kubeadm": (
        Listener(
            "kubernetes",
            ports.API,
            "HTTPS",
            "/readyz",
            "HTTPS /readyz: kubeadm keeps anonymous requests on, and anyone may read /readyz.",
        ),
    ),
}
"""The API load balancer's listeners per distribution."""


def renders_infrastructure(context: RenderContext, cluster: ClusterPlan) -> bool:
    """Whether ``cluster`` gets ``infrastructure/<cluster>/``.

    On AWS with RKE2 or kubeadm, for mgmt and standalone clusters (app clusters come from
    mgmt), once every node pool names its instance type (SY412 says when one does not).
    """
    platform = context.platform
    return (
        platform.provider == "aws"
        and platform.kubernetes.distribution in DISTRIBUTIONS
        and cluster.cluster.role in INFRASTRUCTURE_ROLES
        and all(pool.instanceType is not None for pool in cluster.cluster.nodePools)
    )


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("stackyard.render.infrastructure", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["q"] = quote
    env.filters["hcl"] = hcl
    return env


def cluster_tag(cluster: ClusterPlan) -> dict[str, str]:
    """``kubernetes.io/cluster/<cluster>``: the spec's value (owned or shared), else owned."""
    key = f"{CLUSTER_TAG_PREFIX}{cluster.name}"
    tags = cluster.cluster.aws.tags if cluster.cluster.aws else {}
    return {key: tags.get(key, "owned")}


def default_tags(cluster: ClusterPlan) -> dict[str, str]:
    """The spec's ``aws.tags`` without cluster tags (set where they belong, SY410 for others)."""
    tags = cluster.cluster.aws.tags if cluster.cluster.aws else {}
    return {k: v for k, v in sorted(tags.items()) if not k.startswith(CLUSTER_TAG_PREFIX)}


def region(context: RenderContext, cluster: ClusterPlan) -> str:
    """The cluster's region: its own, else the platform's."""
    own = cluster.cluster.aws.region if cluster.cluster.aws else None
    platform = context.platform.aws
    return own or (platform.region if platform else "")


def state_bucket(context: RenderContext) -> str:
    """``aws.stateBucket``, default ``<platform>-terraform-state``."""
    platform = context.platform
    chosen = platform.aws.stateBucket if platform.aws else None
    return chosen or f"{platform.name}-{STATE_SUFFIX}"


def _etcd_bucket(context: RenderContext, cluster: ClusterPlan) -> tuple[str | None, bool]:
    """The S3 bucket of the snapshot copies (None: not S3 on AWS), and whether to create it.

    One bucket per region serves its clusters (a folder each): the first cluster with a
    stack in that region creates it.
    """
    copies = snapshot_copies(context, cluster)
    if copies is None or copies.url is not None:
        return None, False
    creator = next(
        planned.name
        for planned in context.plan.clusters
        if renders_infrastructure(context, planned) and region(context, planned) == copies.region
    )
    return copies.bucket, creator == cluster.name


def _kms_key(context: RenderContext) -> str | None:
    spec = context.platform.hardening
    if spec is None or spec.encryptionAtRest.provider != "aws-kms":
        return None
    return spec.encryptionAtRest.key


HEADER = (
    "Generated by stackyard render: AWS infrastructure of cluster {cluster}.\n"
    "Do not edit: change the spec and render again."
)


def _comment(cluster: ClusterPlan, note: str) -> str:
    text = f"{HEADER.format(cluster=cluster.name)}\n{note}"
    return "".join(f"# {line}\n" for line in text.splitlines()).rstrip("\n")


def _kinds(cluster: ClusterPlan) -> list[Kind]:
    servers = cluster.cluster.control_plane_nodes
    workers = cluster.cluster.node_count - servers
    wanted = {"server-init": True, "server-join": servers > 1, "agent": workers > 0}
    return [kind for kind in KINDS if wanted[kind]]


def _kind(machine: layout.Machine) -> Kind:
    if not machine.control_plane:
        return "agent"
    return "server-init" if machine.first_server else "server-join"


def _arch(name: str) -> str:
    facts = instance_type(name)
    return facts.arch if facts is not None else "amd64"


def infrastructure_files(context: RenderContext, cluster: ClusterPlan) -> list[tuple[str, str]]:
    """``(path, text)`` of every file of ``infrastructure/<cluster>/`` (none if not rendered).

    Raises:
        RenderError: the node range is not a CIDR or too small for the zones' subnets.
    """
    if not renders_infrastructure(context, cluster):
        return []
    env = _environment()
    name = cluster.name
    subnets = layout.subnets(cluster)
    machines = layout.machines(context, cluster)
    cni = "cilium" if cluster.has("cilium") else "canal" if cluster.has("canal") else "none"
    routing = context.plan.settings.networking.ciliumRoutingMode.value
    distribution = context.platform.kubernetes.distribution
    rke2 = distribution == "rke2"
    rule_set = ports.rules(cni, str(routing), distribution)
    etcd_bucket, creates_bucket = _etcd_bucket(context, cluster)
    roles = iam.roles(
        iam.Needs(
            ccm=cluster.has(CCM),
            cilium_eni=cni == "cilium" and routing == "eni",
            etcd_bucket=etcd_bucket,
            etcd_folder=name,
            kms_key=_kms_key(context),
            join_parameters=None if rke2 else parameter_prefix(cluster),
        )
    )
    cluster_api = cluster.cluster.role == "mgmt" and bool(context.platform.cluster_api_clusters)
    internet = not endpoints.air_gapped(context)
    interface_endpoints = endpoints.interface_endpoints(
        context, cluster, cluster_api=cluster_api, kms=_kms_key(context) is not None
    )
    arches = sorted({_arch(m.instance_type) for m in machines})
    kinds = _kinds(cluster)
    values: dict[str, Any] = {
        "name": name,
        "skips": SKIPS,
        "providers": PROVIDERS,
        "state": {
            "bucket": state_bucket(context),
            "key": f"{ROOT}/{name}/terraform.tfstate",
            "region": context.platform.aws.region if context.platform.aws else "",
        },
        "region": region(context, cluster),
        "default_tags": default_tags(cluster),
        "cluster_tag": cluster_tag(cluster),
        "zones": layout.zones(cluster),
        "zone_count": layout.zone_count(cluster),
        "vpc_cidr": layout.vpc_cidr(cluster),
        "private_subnets": [s.cidr for s in subnets if not s.public],
        "public_subnets": [s.cidr for s in subnets if s.public],
        "api_host": context.api_host(cluster),
        "ubuntu": UBUNTU,
        "arches": arches,
        "kinds": kinds,
        "token_file": TOKEN_FILE,
        "etcd_bucket": etcd_bucket if creates_bucket else None,
        "machines": {
            m.name: {
                "pool": m.pool,
                "kind": _kind(m),
                "control_plane": m.control_plane,
                "instance_type": m.instance_type,
                "arch": _arch(m.instance_type),
                "disk_gib": m.disk_gib,
                "zone": m.zone,
            }
            for m in machines
        },
        "rules": [
            {**rule.__dict__, "key": f"{rule.group}_{index:02d}"}
            for index, rule in enumerate(rule_set)
        ],
        "supervisor": ports.SUPERVISOR,
        "api": ports.API,
        "cni_name": {"cilium": "Cilium", "canal": "Canal", "none": "no CNI"}[cni],
        "routing_note": f"routing: {routing}" if cni == "cilium" else "VXLAN",
        "roles": roles,
        "listeners": LISTENERS[distribution],
        "rke2": rke2,
        "cluster_api": cluster_api,
        "internet": internet,
        "endpoints": interface_endpoints,
        "capa": capa_iam(),
        "unconstrained": iam.UNCONSTRAINED,
    }
    files: list[tuple[str, str]] = []
    templates = {
        "versions.tf": "the providers and the S3 state backend",
        "main.tf": "the modules, wired together",
        "outputs.tf": "what the stack tells its operator",
        "modules/network/main.tf": "network",
        **({} if internet else {"modules/endpoints/main.tf": "the VPC endpoints of AWS's APIs"}),
        "modules/security/main.tf": "security groups",
        "modules/iam/main.tf": "instance profiles",
        "modules/api-lb/main.tf": "the API load balancer",
        "modules/nodes/main.tf": "machines",
    }
    if cluster_api:
        templates["modules/cluster-api-iam/main.tf"] = "the IAM Cluster API's AWS provider expects"
    if renders_image(context):
        values.update(packer_values(context, cluster, values["machines"]))
        templates["packer/golden-image.pkr.hcl"] = "the golden image of its machines"
    if values["etcd_bucket"]:
        templates["modules/etcd-snapshots/main.tf"] = "the etcd snapshot bucket"
    for path, what in templates.items():
        note = f"Terraform of {name}'s AWS infrastructure: {what}."
        if path.startswith("packer/"):
            note = f"Packer template of {name}'s machine image."
        text = env.get_template(f"{path}.j2").render(header=_comment(cluster, note), **values)
        files.append((path, text))
    if rke2:
        node_files: list[NodeFile] = list(rke2_files(context, cluster))
        files += user_data_files(context, cluster, node_files, kinds)
    else:
        node_files = list(kubeadm_files(context, cluster))
        files += kubeadm_user_data_files(
            context, cluster, node_files, kinds, region(context, cluster)
        )
    return [(f"{ROOT}/{name}/{path}", text) for path, text in files]

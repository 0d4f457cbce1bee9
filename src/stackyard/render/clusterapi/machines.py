"""A provisioned cluster's infrastructure and machines: Cluster, AWSCluster, pools.

Explicit templates, not a ClusterClass. A ClusterClass shares one shape between clusters
and expresses their differences as variables and JSON patches; Stackyard already renders
every cluster from the spec, so the sharing is done here, and explicit objects let
``stackyard validate`` check every field against the providers' CRD schemas (a patch is
an opaque string to them). ``kubectl get`` then shows each cluster exactly as it was
asked for.

- ``Cluster``: the spec's pod and service ranges, references to its ``AWSCluster`` and
  control plane, and the Argo CD selection labels of the cluster (``registration``).
- ``AWSCluster``: the cluster's region and its VPC, ``network.nodeRange`` as the VPC
  range. With ``aws.zones`` its subnets are the spec's zones, a private and a public one
  each, cut from the VPC as mgmt's Terraform cuts its own (``infrastructure.layout``);
  without, the AWS provider splits the VPC over the region's first three zones itself
  (``availabilityZoneUsageLimit``). An NLB for the API. RKE2 nodes join
  through the supervisor port 9345, so the load balancer listens there too and the
  control plane's security group admits it from nodes and servers
  (https://docs.rke2.io/install/requirements#inbound-network-rules). The spec's
  ``aws.tags`` become additional tags; the provider tags everything it creates with
  ``kubernetes.io/cluster/<name>: owned``, which the cloud controller looks for.
- ``AWSMachineTemplate`` per node pool: its ``instanceType``, root disk, the instance
  profiles ``clusterawsadm`` creates (control plane, nodes), and no SSH key (an empty
  ``sshKeyName`` means none; omitted, the provider would use a key called ``default``).
- ``MachineDeployment`` per worker pool, with the pool's ``count`` as replicas, and a
  ``MachineHealthCheck`` for it: a node not Ready for five minutes is replaced.
"""

from __future__ import annotations

from typing import Any

from stackyard.plan import ClusterPlan
from stackyard.render.clusterapi.names import (
    BOOTSTRAP_GROUP,
    CLUSTER_API,
    CLUSTER_NAME_LABEL,
    CONTROL_PLANE_GROUP,
    INFRASTRUCTURE,
    INFRASTRUCTURE_GROUP,
    control_plane_name,
    namespace,
    pool_name,
)
from stackyard.render.context import RenderContext
from stackyard.render.infrastructure.layout import subnets, zones
from stackyard.render.tree import Manifest, RenderError
from stackyard.spec.model import NodePool
from stackyard.spec.units import AddressRange, parse_quantity

SUPERVISOR_PORT = 9345
ZONES = 3
GIB = 1024**3
CONTROL_PLANE_PROFILE = "control-plane.cluster-api-provider-aws.sigs.k8s.io"
NODES_PROFILE = "nodes.cluster-api-provider-aws.sigs.k8s.io"
UNHEALTHY_AFTER_SECONDS = 300
DEPLOYMENT_LABEL = "cluster.x-k8s.io/deployment-name"


def cidr(network: AddressRange, field: str, cluster: ClusterPlan) -> str:
    """``network`` as a CIDR block, which AWS and Cluster API take.

    Raises:
        RenderError: the spec gives an address range rather than a CIDR.
    """
    if "-" in network.text:
        raise RenderError(
            f"cluster {cluster.name}: network.{field} {network} must be a CIDR for Cluster API"
        )
    return network.text


def region(context: RenderContext, cluster: ClusterPlan) -> str:
    """The cluster's AWS region: its own, else the platform's.

    Raises:
        RenderError: neither is set.
    """
    own = cluster.cluster.aws.region if cluster.cluster.aws is not None else None
    platform = context.platform.aws.region if context.platform.aws is not None else None
    found = own or platform
    if not found:
        raise RenderError(f"cluster {cluster.name}: provider aws needs aws.region")
    return found


def control_plane_pool(cluster: ClusterPlan) -> NodePool:
    """The one control-plane pool (Cluster API has one machine template for it).

    Raises:
        RenderError: the cluster has several (the spec's coherence check refuses them).
    """
    pools = [p for p in cluster.cluster.nodePools if p.role == "control-plane"]
    if len(pools) != 1:
        raise RenderError(f"cluster {cluster.name}: Cluster API needs one control-plane pool")
    return pools[0]


def worker_pools(cluster: ClusterPlan) -> list[NodePool]:
    """The worker pools, in spec order: one MachineDeployment each."""
    return [p for p in cluster.cluster.nodePools if p.role == "worker"]


def machine_file(path: str, content: str, permissions: str = "0600") -> dict[str, str]:
    """One file of a bootstrap config's ``files``: written, owned by root, before it starts."""
    return {"path": path, "owner": "root:root", "permissions": permissions, "content": content}


def cluster_object(
    cluster: ClusterPlan,
    control_plane_kind: str,
    labels: dict[str, str],
    infrastructure_kind: str = "AWSCluster",
) -> Manifest:
    """The ``Cluster``: networks and references to its infrastructure and control plane."""
    network = cluster.cluster.network
    cluster_network: dict[str, Any] = {}
    if network.podCIDR is not None:
        cluster_network["pods"] = {"cidrBlocks": [cidr(network.podCIDR, "podCIDR", cluster)]}
    cluster_network["services"] = {
        "cidrBlocks": [cidr(network.serviceCIDR, "serviceCIDR", cluster)]
    }
    return {
        "apiVersion": CLUSTER_API,
        "kind": "Cluster",
        "metadata": {"name": cluster.name, "namespace": namespace(cluster), "labels": labels},
        "spec": {
            "clusterNetwork": cluster_network,
            "infrastructureRef": {
                "apiGroup": INFRASTRUCTURE_GROUP,
                "kind": infrastructure_kind,
                "name": cluster.name,
            },
            "controlPlaneRef": {
                "apiGroup": CONTROL_PLANE_GROUP,
                "kind": control_plane_kind,
                "name": control_plane_name(cluster),
            },
        },
    }


def _supervisor_rule() -> dict[str, Any]:
    return {
        "description": "RKE2 supervisor: nodes join and servers register",
        "protocol": "tcp",
        "fromPort": SUPERVISOR_PORT,
        "toPort": SUPERVISOR_PORT,
        "sourceSecurityGroupRoles": ["node", "controlplane"],
    }


def aws_cluster(context: RenderContext, cluster: ClusterPlan) -> Manifest:
    """The ``AWSCluster``: region, VPC and subnets, and the API load balancer."""
    rke2 = context.platform.kubernetes.distribution == "rke2"
    vpc: dict[str, Any] = {
        "cidrBlock": cidr(cluster.cluster.network.nodeRange, "nodeRange", cluster)
    }
    network: dict[str, Any] = {"vpc": vpc}
    named = zones(cluster)
    if named:  # the spec's zones, cut as mgmt's Terraform cuts its VPC
        network["subnets"] = [
            {
                # A name, not an AWS id: the provider creates the subnet and records its id.
                "id": f"{cluster.name}-{'public' if s.public else 'private'}-{named[s.zone]}",
                "availabilityZone": named[s.zone],
                "cidrBlock": s.cidr,
                "isPublic": s.public,
            }
            for s in subnets(cluster)
        ]
    else:
        vpc["availabilityZoneUsageLimit"] = ZONES
        vpc["availabilityZoneSelection"] = "Ordered"
    balancer: dict[str, Any] = {"loadBalancerType": "nlb"}
    if rke2:
        network["additionalControlPlaneIngressRules"] = [_supervisor_rule()]
        balancer["additionalListeners"] = [{"port": SUPERVISOR_PORT, "protocol": "TCP"}]
        # Listing ingress rules replaces the provider's default 6443 rule: keep it. Argo
        # CD on mgmt reaches the API from mgmt's NAT addresses, which the spec does not know.
        balancer["ingressRules"] = [
            _supervisor_rule(),
            {
                "description": "Kubernetes API",
                "protocol": "tcp",
                "fromPort": 6443,
                "toPort": 6443,
                "cidrBlocks": ["0.0.0.0/0"],
            },
        ]
    spec: dict[str, Any] = {
        "region": region(context, cluster),
        "network": network,
        "controlPlaneLoadBalancer": balancer,
        "sshKeyName": "",
    }
    tags = cluster.cluster.aws.tags if cluster.cluster.aws is not None else {}
    if tags:
        spec["additionalTags"] = dict(sorted(tags.items()))
    return {
        "apiVersion": INFRASTRUCTURE,
        "kind": "AWSCluster",
        "metadata": {"name": cluster.name, "namespace": namespace(cluster)},
        "spec": spec,
    }


def machine_template(cluster: ClusterPlan, pool: NodePool) -> Manifest:
    """The ``AWSMachineTemplate`` of one node pool.

    Raises:
        RenderError: the pool has no ``instanceType`` (the spec's coherence check asks).
    """
    if not pool.instanceType:
        raise RenderError(f"cluster {cluster.name}: node pool {pool.name} needs an instanceType")
    machine: dict[str, Any] = {
        "instanceType": pool.instanceType,
        "iamInstanceProfile": CONTROL_PLANE_PROFILE
        if pool.role == "control-plane"
        else NODES_PROFILE,
        "sshKeyName": "",
    }
    if pool.disk is not None:
        machine["rootVolume"] = {"size": max(8, round(parse_quantity(pool.disk) / GIB))}
    return {
        "apiVersion": INFRASTRUCTURE,
        "kind": "AWSMachineTemplate",
        "metadata": {"name": pool_name(cluster, pool), "namespace": namespace(cluster)},
        "spec": {"template": {"spec": machine}},
    }


def machine_deployment(
    cluster: ClusterPlan,
    pool: NodePool,
    version: str,
    bootstrap_kind: str,
    template_kind: str = "AWSMachineTemplate",
) -> Manifest:
    """The ``MachineDeployment`` of a worker pool: ``count`` machines of its template."""
    name = pool_name(cluster, pool)
    labels = {CLUSTER_NAME_LABEL: cluster.name, DEPLOYMENT_LABEL: name}
    return {
        "apiVersion": CLUSTER_API,
        "kind": "MachineDeployment",
        "metadata": {"name": name, "namespace": namespace(cluster)},
        "spec": {
            "clusterName": cluster.name,
            "replicas": pool.count,
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "clusterName": cluster.name,
                    "version": version,
                    "bootstrap": {
                        "configRef": {
                            "apiGroup": BOOTSTRAP_GROUP,
                            "kind": bootstrap_kind,
                            "name": name,
                        }
                    },
                    "infrastructureRef": {
                        "apiGroup": INFRASTRUCTURE_GROUP,
                        "kind": template_kind,
                        "name": name,
                    },
                },
            },
        },
    }


def health_check(cluster: ClusterPlan, pool: NodePool) -> Manifest:
    """Replace a worker of ``pool`` whose node is not Ready for five minutes."""
    name = pool_name(cluster, pool)
    conditions = [
        {"type": "Ready", "status": status, "timeoutSeconds": UNHEALTHY_AFTER_SECONDS}
        for status in ("Unknown", "False")
    ]
    return {
        "apiVersion": CLUSTER_API,
        "kind": "MachineHealthCheck",
        "metadata": {"name": name, "namespace": namespace(cluster)},
        "spec": {
            "clusterName": cluster.name,
            "selector": {"matchLabels": {DEPLOYMENT_LABEL: name}},
            "checks": {"unhealthyNodeConditions": conditions},
        },
    }

"""Values for the cluster network: Cilium and Cluster Mesh, MetalLB, ingress, DNS.

Cilium's cluster name and id, routing mode and pod IPAM follow the spec and the plan's
settings. Cluster Mesh peers reach each other at a MetalLB address pinned to the last of
each pool, or else at a public name that external-dns publishes. Load balancers
(ingress-nginx, the Istio gateway, the clustermesh-apiserver) take their annotations from
:mod:`.provider`. external-dns writes to Route 53 on AWS and to the platform's name
server (RFC 2136) elsewhere. cert-manager issues the certificates Gateways ask for where a
Gateway API implementation runs.
"""

from __future__ import annotations

from stackyard.plan import ClusterPlan
from stackyard.plan.clustermesh import (
    DEFAULT_MAX_CLUSTERS,
    cluster_id,
    max_connected_clusters,
)
from stackyard.render.addresses import public_host
from stackyard.render.context import RenderContext
from stackyard.render.loadbalancers import load_balancer_annotations
from stackyard.render.meshmodel import mesh_scope
from stackyard.render.valuebuilders.mesh import cilium_beside_istio
from stackyard.render.valuebuilders.provider import aws_region
from stackyard.render.values import ValueBuilder, Values

MESH_PORT = 2379
"""Port of the clustermesh-apiserver Service."""


# RKE2 serves the API on every node at this address: on servers the API server itself,
# on agents the load balancer RKE2 runs in front of the servers.
RKE2_LOCAL_API = "127.0.0.1"


def _api_server_host(context: RenderContext, cluster: ClusterPlan) -> str:
    """Where Cilium reaches the API server before any Service works.

    A cluster Cluster API makes on RKE2 has its API behind a load balancer whose name
    exists only once the AWS provider has made it, and nothing makes ``api.<cluster>``
    resolve to it, so Cilium uses RKE2's node-local endpoint there; a kubeadm cluster
    Cluster API makes on vSphere, the API's virtual IP; elsewhere the cluster's API name,
    which the operator points at the servers.
    """
    platform = context.platform
    if (
        platform.provisioned_by_cluster_api(cluster.cluster)
        and platform.kubernetes.distribution == "rke2"
    ):
        return RKE2_LOCAL_API
    vsphere = cluster.cluster.vsphere
    if platform.provisioned_by_cluster_api(cluster.cluster) and vsphere and vsphere.apiVIP:
        return vsphere.apiVIP  # kube-vip's address: no name need resolve to it
    return context.api_host(cluster)


def _cilium(context: RenderContext, cluster: ClusterPlan) -> Values:
    meshed = cluster.has("cilium-clustermesh")
    values: Values = {
        # kube-proxy is replaced, so the agent cannot use the kubernetes Service.
        "k8sServiceHost": _api_server_host(context, cluster),
        "k8sServicePort": 6443,
        # Cluster Mesh needs a unique name and id per cluster (plan.clustermesh).
        "cluster": {"name": cluster.name, "id": cluster_id(cluster.index, meshed)},
    }
    mode = context.plan.settings.networking.ciliumRoutingMode.value
    pod_cidr = cluster.cluster.network.podCIDR
    if mode == "eni":
        values.update(eni={"enabled": True}, ipam={"mode": "eni"}, routingMode="native")
    else:
        if pod_cidr is not None:
            values["ipam"] = {
                "mode": "cluster-pool",
                "operator": {"clusterPoolIPv4PodCIDRList": [str(pod_cidr)]},
            }
        if mode == "native":
            values["routingMode"] = "native"
            values["autoDirectNodeRoutes"] = True
            if pod_cidr is not None:
                values["ipv4NativeRoutingCIDR"] = str(pod_cidr)
        else:
            values.update(routingMode="tunnel", tunnelProtocol="vxlan")
    hubble = cluster.has("cilium-hubble")
    values["hubble"] = {"relay": {"enabled": hubble}, "ui": {"enabled": hubble}}
    if cluster.has("metallb"):
        values["l2announcements"] = {"enabled": False}
    if meshed:
        values["clustermesh"] = _clustermesh(context, cluster)
    values.update(cilium_beside_istio(mesh_scope(context, cluster), cluster))
    return values


def _mesh_ip(cluster: ClusterPlan) -> str | None:
    """The MetalLB address pinned for a cluster's clustermesh-apiserver: its pool's last."""
    pool = cluster.cluster.network.loadBalancerPool
    return str(pool.last) if pool is not None and cluster.has("metallb") else None


def _clustermesh(context: RenderContext, cluster: ClusterPlan) -> Values:
    service: Values = {"type": "LoadBalancer"}
    ip = _mesh_ip(cluster)
    if ip is not None:
        service["annotations"] = {"metallb.io/loadBalancerIPs": ip}
    else:
        annotations = load_balancer_annotations(context, cluster, internal=True)
        annotations["external-dns.alpha.kubernetes.io/hostname"] = public_host(
            context, "clustermesh", cluster.name
        )
        service["annotations"] = annotations
    peers = []
    for peer in context.clusters_running("cilium-clustermesh"):
        if peer.name == cluster.name:
            continue
        entry: Values = {"name": peer.name, "port": MESH_PORT}
        peer_ip = _mesh_ip(peer)
        if peer_ip is not None:
            entry["ips"] = [peer_ip]
        else:
            entry["address"] = public_host(context, "clustermesh", peer.name)
        peers.append(entry)
    mesh: Values = {"apiserver": {"service": service}}
    maximum = max_connected_clusters(len(peers) + 1)
    if maximum != DEFAULT_MAX_CLUSTERS:
        # The same on every cluster of the mesh, as Cilium requires: all list the same peers.
        mesh["maxConnectedClusters"] = maximum
    mesh["config"] = {"enabled": True, "clusters": peers}
    return mesh


def _metallb(context: RenderContext, cluster: ClusterPlan) -> Values:
    pools = cluster.cluster.nodePools
    if all(pool.role == "control-plane" for pool in pools):
        # kubeadm labels control-plane nodes exclude-from-external-load-balancers.
        return {"speaker": {"ignoreExcludeLB": True}}
    return {}


def _ingress_nginx(internal: bool) -> ValueBuilder:
    def build(context: RenderContext, cluster: ClusterPlan) -> Values:
        annotations = load_balancer_annotations(context, cluster, internal=internal)
        return {"controller": {"service": {"annotations": annotations}}} if annotations else {}

    return build


def _istio_gateway(context: RenderContext, cluster: ClusterPlan) -> Values:
    annotations = load_balancer_annotations(context, cluster, internal=False)
    return {"service": {"annotations": annotations}} if annotations else {}


def _cert_manager(context: RenderContext, cluster: ClusterPlan) -> Values:
    # The gateway-shim, which issues the certificate a Gateway's cert-manager.io/cluster-issuer
    # annotation asks for, is off unless switched on: https://cert-manager.io/docs/usage/gateway/
    if any("gateway-api" in planned.component.provides for planned in cluster.components):
        return {"config": {"enableGatewayAPI": True}}
    return {}


def _aws_lb_controller(context: RenderContext, cluster: ClusterPlan) -> Values:
    values: Values = {"clusterName": cluster.name}
    region = aws_region(context, cluster)
    if region:
        values["region"] = region
    return values


def _external_dns(context: RenderContext, cluster: ClusterPlan) -> Values:
    domain = context.platform.domain
    values: Values = {
        "txtOwnerId": f"{context.platform.name}-{cluster.name}",
        "domainFilters": [domain],
    }
    if context.platform.provider == "aws":
        values["provider"] = {"name": "aws"}
        region = aws_region(context, cluster)
        if region:
            values["env"] = [{"name": "AWS_DEFAULT_REGION", "value": region}]
        return values
    values["provider"] = {"name": "rfc2136"}
    values["extraArgs"] = [
        f"--rfc2136-host={public_host(context, 'ns')}",
        "--rfc2136-port=53",
        f"--rfc2136-zone={domain}",
        "--rfc2136-tsig-keyname=external-dns",
        "--rfc2136-tsig-secret-alg=hmac-sha256",
        "--rfc2136-tsig-axfr",
    ]
    values["env"] = [
        {
            "name": "EXTERNAL_DNS_RFC2136_TSIG_SECRET",
            "valueFrom": {"secretKeyRef": {"name": "external-dns-rfc2136", "key": "tsig-secret"}},
        }
    ]
    return values


BUILDERS: dict[str, ValueBuilder] = {
    "aws-load-balancer-controller": _aws_lb_controller,
    "cert-manager": _cert_manager,
    "cilium": _cilium,
    "external-dns": _external_dns,
    "ingress-nginx-internal": _ingress_nginx(internal=True),
    "ingress-nginx-public": _ingress_nginx(internal=False),
    "istio-gateway": _istio_gateway,
    "metallb": _metallb,
}

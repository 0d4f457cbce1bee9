"""Checks on the clusters Cluster API provisions from mgmt (``clusters[].provisioning``).

They surface only once Cluster API acts: a minor version alone creates machines of that
minor's first release; on a platform without internet access the operator cannot fetch
the providers it installs; in a vCenter a cluster needs a virtual IP for its API, placed
where nothing else hands it out, and a VM template to clone.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.findings import Finding
from stackyard.plan.checks.base import CheckContext, Emit, check
from stackyard.spec.model import KUBERNETES_VERSION, Cluster
from stackyard.spec.units import AddressRange


@check("SY420", "Cluster API machines from a minor version alone", "warning")
def cluster_api_patch_version(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Cluster API machines from a minor version alone.

    Cluster API creates machines of an exact release. ``kubernetes.version: "1.35"``
    renders ``v1.35.0``, the minor's first release with none of its fixes, for every
    machine it creates and every one it replaces; name the patch release.
    """
    platform = context.platform
    match = KUBERNETES_VERSION.fullmatch(platform.kubernetes.version)
    if not platform.cluster_api_clusters or match is None or match.group(3) is not None:
        return
    names = ", ".join(c.name for c in platform.cluster_api_clusters)
    major, minor = match.group(1), match.group(2)
    yield emit(
        f"Cluster API creates the machines of {names} as v{major}.{minor}.0, the first "
        f"release of {major}.{minor}",
        ("kubernetes", "version"),
        hint=f'name the patch release, e.g. version: "{major}.{minor}.2"',
    )


@check("SY421", "Cluster API on an air-gapped platform", "warning")
def cluster_api_offline(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Cluster API on an air-gapped platform.

    The Cluster API operator downloads each provider's components from its GitHub
    release when it installs it. A disconnected platform has no route there, so the
    providers never install and no app cluster is created; the render does not yet point
    the providers at a ConfigMap or an OCI copy in the internal registry.
    """
    platform = context.platform
    if platform.airgap is None or not platform.cluster_api_clusters:
        return
    for index, cluster in enumerate(platform.clusters):
        if platform.provisioned_by_cluster_api(cluster):
            yield emit(
                f"cluster {cluster.name} is provisioned by Cluster API, whose operator fetches "
                "the providers from GitHub, out of the air gap's reach",
                ("clusters", index, "provisioning"),
                hint="use provisioning: manual, or give each provider a fetchConfig to an "
                "internal copy of its components",
                cluster=cluster.name,
            )


def _vsphere_clusters(context: CheckContext) -> list[tuple[int, Cluster]]:
    """The clusters Cluster API makes in the platform's vCenter, with their spec index."""
    platform = context.platform
    if platform.vsphere is None:
        return []
    return [
        (index, cluster)
        for index, cluster in enumerate(platform.clusters)
        if platform.provisioned_by_cluster_api(cluster)
    ]


@check("SY422", "Cluster on vSphere without an API virtual IP", "error")
def vsphere_api_vip(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Cluster on vSphere without an API virtual IP.

    A cluster Cluster API makes in a vCenter has no load balancer in front of its API
    server: kube-vip on its control-plane nodes holds a virtual IP, which is the
    ``Cluster``'s control plane endpoint and the address every node joins through. It
    cannot be chosen for you: it must be a free address of the nodes' network that no
    DHCP server or load balancer pool hands out.
    """
    for index, cluster in _vsphere_clusters(context):
        if cluster.vsphere is None or cluster.vsphere.apiVIP is None:
            yield emit(
                f"cluster {cluster.name} is made in vCenter by Cluster API, but names no "
                "virtual IP for its API server",
                ("clusters", index),
                hint="add vsphere: {apiVIP: <a free address of network.nodeSubnet>}",
                cluster=cluster.name,
            )


@check("SY423", "API virtual IP outside the node subnet or inside an address pool", "error")
def vsphere_api_vip_placement(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """API virtual IP outside the node subnet or inside an address pool.

    kube-vip announces the API's virtual IP by ARP, so it must be on the nodes' own L2
    network (``network.nodeSubnet``), and no one else may hand it out: not the DHCP
    server that gives the machines their addresses (``network.nodeRange``), nor MetalLB
    (``network.loadBalancerPool``). An address handed out twice makes the API unreachable
    whenever the other holder answers first.
    """
    for index, cluster in _vsphere_clusters(context):
        if cluster.vsphere is None or cluster.vsphere.apiVIP is None:
            continue
        vip = AddressRange.parse(f"{cluster.vsphere.apiVIP}-{cluster.vsphere.apiVIP}")
        network = cluster.network
        path = ("clusters", index, "vsphere", "apiVIP")
        where = f"cluster {cluster.name}'s API virtual IP {cluster.vsphere.apiVIP}"
        if network.nodeSubnet is not None and not network.nodeSubnet.contains(vip):
            yield emit(
                f"{where} is outside its node subnet {network.nodeSubnet}, where kube-vip "
                "cannot announce it",
                path,
                hint=f"choose a free address of {network.nodeSubnet}",
                cluster=cluster.name,
            )
        pools = [("network.nodeRange", "the machines' DHCP range", network.nodeRange)]
        if network.loadBalancerPool is not None:
            pools.append(("network.loadBalancerPool", "MetalLB's pool", network.loadBalancerPool))
        for field, what, pool in pools:
            if pool.contains(vip):
                yield emit(
                    f"{where} is inside {field} {pool}, {what}, which hands it out too",
                    path,
                    hint=f"choose an address outside {pool}",
                    cluster=cluster.name,
                )


@check("SY424", "Clusters on vSphere without a VM template", "error")
def vsphere_template(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Clusters on vSphere without a VM template.

    The vSphere provider creates every machine as a clone of a VM template that already
    holds the distribution's binaries for the cluster's Kubernetes version (the images
    image-builder makes); it installs nothing itself, so without a template no machine
    can be created.
    """
    made = _vsphere_clusters(context)
    vsphere = context.platform.vsphere
    if not made or vsphere is None or vsphere.template is not None:
        return
    names = ", ".join(cluster.name for _, cluster in made)
    yield emit(
        f"Cluster API clones the machines of {names} from a VM template, and "
        "onprem.vsphere names none",
        ("onprem", "vsphere"),
        hint=f"add template: <a VM template with Kubernetes {context.platform.kubernetes.version}>",
    )

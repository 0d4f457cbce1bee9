"""Version and cloud-integration checks: known AWS and RKE2 dead ends, caught before install."""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.findings import Finding
from stackyard.plan.checks.base import CheckContext, Emit, check
from stackyard.plan.kubeversion import kube_version_allowed

CCM = "aws-cloud-controller-manager"
CLUSTER_TAG_VALUES = ("owned", "shared")


@check("SY301", "Chart does not support the Kubernetes version", "error")
def chart_kube_version(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Chart does not support the Kubernetes version.

    A chart whose ``kubeVersion`` constraint excludes the spec's Kubernetes version
    fails ``helm install`` (Helm checks the constraint before rendering).
    """
    kubernetes = context.platform.kubernetes
    reported: set[str] = set()
    for plan in context.clusters:
        for planned in plan.components:
            install = planned.component.install
            if install.method != "helm" or not install.kubeVersion:
                continue
            if planned.name in reported:
                continue
            if not kube_version_allowed(install.kubeVersion, kubernetes.semver):
                reported.add(planned.name)
                yield emit(
                    f"{planned.name} {install.version} requires Kubernetes "
                    f"{install.kubeVersion}; the platform runs {kubernetes.version}",
                    ("kubernetes", "version"),
                    hint=f"pick a Kubernetes version the chart supports, or disable {planned.name}",
                    cluster=plan.name,
                )


@check("SY401", "In-tree cloud provider on Kubernetes 1.30 or later", "error")
def no_in_tree_cloud_provider(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """In-tree cloud provider on Kubernetes 1.30 or later.

    Kubernetes 1.30 removed the last in-tree cloud providers; nodes on a cloud need an
    external cloud-controller-manager (``cloud-provider: external``).
    """
    kubernetes = context.platform.kubernetes
    if kubernetes.cloudProvider == "in-tree" and kubernetes.minor >= (1, 30):
        yield emit(
            f"Kubernetes {kubernetes.version} has no in-tree cloud provider",
            ("kubernetes", "cloudProvider"),
            hint="set kubernetes.cloudProvider: external and run the cloud's CCM",
        )


@check("SY402", "AWS without the external CCM as a static manifest", "error")
def aws_external_ccm(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """AWS without the external CCM as a static manifest.

    On AWS every node stays tainted ``node.cloudprovider.kubernetes.io/uninitialized``
    until the external CCM runs, but the CCM is a pod: shipped through Argo CD it can
    never schedule. It must run as a static manifest of the node bootstrap with
    ``cloud-provider: external`` (the CCM bootstrap deadlock).
    """
    platform = context.platform
    if platform.provider != "aws":
        return
    if platform.kubernetes.cloudProvider != "external":
        yield emit(
            "AWS nodes need cloudProvider: external",
            ("kubernetes", "cloudProvider"),
            hint="set kubernetes.cloudProvider: external",
        )
    for plan in context.clusters:
        planned = plan.get(CCM)
        if planned is None:
            path = plan.source(CCM)
            yield emit(
                f"{plan.name} runs on AWS without the external cloud-controller-manager",
                path,
                hint=f"do not disable {CCM}",
                cluster=plan.name,
            )
        elif planned.component.install.method != "manifest" or not getattr(
            planned.component.install, "static", False
        ):
            yield emit(
                f"{CCM} on {plan.name} is not a static manifest; nodes would never turn Ready",
                ("clusters", plan.index),
                cluster=plan.name,
            )


@check("SY403", "AWS cluster without its kubernetes.io/cluster tag", "error")
def aws_cluster_tag(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """AWS cluster without its kubernetes.io/cluster tag.

    The AWS CCM finds a cluster's instances, subnets and security groups by the tag
    ``kubernetes.io/cluster/<cluster name>`` = ``owned`` (or ``shared``); the name must
    match exactly or load balancers and node lifecycle silently fail. A cluster Cluster
    API provisions needs no tag in the spec: the AWS provider tags everything it creates
    with exactly that key.
    """
    if context.platform.provider != "aws":
        return
    for index, cluster in enumerate(context.platform.clusters):
        if context.platform.provisioned_by_cluster_api(cluster):
            continue
        tags = cluster.aws.tags if cluster.aws else {}
        wanted = f"kubernetes.io/cluster/{cluster.name}"
        if tags.get(wanted) in CLUSTER_TAG_VALUES:
            continue
        near = [key for key in tags if key.startswith("kubernetes.io/cluster/")]
        hint = f"add aws.tags: {{{wanted}: owned}}"
        if near:
            hint += f" (found {near[0]}: the name must match the cluster name exactly)"
        yield emit(
            f"cluster {cluster.name} lacks the tag {wanted}=owned",
            ("clusters", index, "aws", "tags") if cluster.aws else ("clusters", index),
            hint=hint,
            cluster=cluster.name,
        )


@check("SY404", "Load-balancer IP mode with an overlay CNI", "error")
def ip_mode_needs_routable_pods(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Load-balancer IP mode with an overlay CNI.

    NLB IP targets must be VPC-routable pod addresses. Canal (VXLAN, pods on
    10.42.x.x) and Cilium in tunnel mode hide pods behind an overlay, so IP mode cannot
    work; the CCM route controller is no fix (VPC route tables cap at 50 routes). Use
    Cilium ENI mode, or instance mode.
    """
    if context.settings.networking.loadBalancerTargetType.value != "ip":
        return
    cni = context.settings.networking.cni.value
    mode = context.settings.networking.ciliumRoutingMode.value
    if cni == "canal" or (
        cni == "cilium" and mode in ("tunnel", "native") and context.platform.provider == "aws"
    ):
        overlay = "Canal (VXLAN overlay)" if cni == "canal" else f"Cilium in {mode} mode"
        yield emit(
            f"load-balancer IP mode needs VPC-routable pod IPs, but pods run on {overlay}",
            ("networking", "loadBalancerTargetType"),
            hint="use networking.cni: cilium with ciliumRoutingMode: eni, or target type instance",
        )

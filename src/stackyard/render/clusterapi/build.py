"""Place the Cluster API objects on mgmt: the providers with the operator, each cluster apart.

``manifests/<mgmt>/cluster-api-operator/providers.yaml`` holds the providers (and the
reader of the clusters' kubeconfigs); they sync with the operator's Application, after
its chart (``AFTER_CHART``). Each provisioned cluster's objects are in
``clusters/<cluster>/cluster-api/<cluster>.yaml``, synced to mgmt by an Application of
their own, ``cluster-api-<cluster>``, in the root's last wave (``render.build``): Argo CD
judges a Cluster API cluster healthy only once its machines run, and the root waits for
every Application of a wave to be healthy, so in the operator's wave they would hold
back every later component of mgmt, and forever where a node needs Argo CD to become
Ready (kubeadm's CNI). The clusters' kinds exist only once the operator has installed
the providers, so those objects skip Argo CD's dry run (``SkipDryRunOnMissingResource``)
and the Application retries until the CRDs arrive: the one place the render uses that
option (``render.gitops`` says why it avoids it elsewhere). It never prunes: a cluster's
machines are deleted by deleting its ``Cluster``, on purpose, not by a sync.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.plan import ClusterPlan
from stackyard.render.clusterapi.controlplane import (
    bootstrap_kind,
    control_plane,
    control_plane_kind,
    kubernetes_version,
    worker_bootstrap,
)
from stackyard.render.clusterapi.isolation import (
    as_objects,
    controller_policies,
    idle_policies,
)
from stackyard.render.clusterapi.machines import (
    aws_cluster,
    cluster_object,
    control_plane_pool,
    health_check,
    machine_deployment,
    machine_template,
    worker_pools,
)
from stackyard.render.clusterapi.names import namespace
from stackyard.render.clusterapi.providers import provider_manifests, providers
from stackyard.render.clusterapi.registration import (
    reader_account,
    registers_through_external_secrets,
    registration_manifests,
)
from stackyard.render.clusterapi.vsphere import (
    cluster_credentials,
    on_vsphere,
    provider_variables,
    vsphere_cluster,
    vsphere_machine_template,
)
from stackyard.render.context import LABEL_PREFIX, RenderContext
from stackyard.render.manifests.base import AFTER_CHART, Placed, in_wave
from stackyard.render.tree import Manifest

OPERATOR = "cluster-api-operator"
CLUSTERS_WAVE = AFTER_CHART + 1
SKIP_DRY_RUN = {"argocd.argoproj.io/sync-options": "SkipDryRunOnMissingResource=true"}


def provisioned(context: RenderContext) -> list[ClusterPlan]:
    """The clusters Cluster API on mgmt provisions, in plan order."""
    platform = context.platform
    return [c for c in context.plan.clusters if platform.provisioned_by_cluster_api(c.cluster)]


def cluster_manifests(context: RenderContext, cluster: ClusterPlan) -> list[Manifest]:
    """Every object of one provisioned cluster, its namespace first."""
    version = kubernetes_version(context)
    labels = {
        key: value
        for key, value in context.cluster_labels(cluster).items()
        if key.startswith(f"{LABEL_PREFIX}/")
    }
    pools = worker_pools(cluster)
    if on_vsphere(context):
        infrastructure = [
            vsphere_cluster(context, cluster),
            *cluster_credentials(context, cluster),
        ]
        templates = [
            vsphere_machine_template(context, cluster, pool)
            for pool in [control_plane_pool(cluster), *pools]
        ]
    else:
        infrastructure = [aws_cluster(context, cluster)]
        templates = [machine_template(cluster, p) for p in [control_plane_pool(cluster), *pools]]
    infrastructure_kind = str(infrastructure[0]["kind"])
    template_kind = str(templates[0]["kind"])
    manifests: list[Manifest] = [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": namespace(cluster),
                # Cluster API keeps objects and Secrets here; no pod runs in it.
                "labels": {"pod-security.kubernetes.io/enforce": "restricted"},
            },
        },
        *as_objects(context.argocd_cluster, idle_policies(namespace(cluster))),
        cluster_object(cluster, control_plane_kind(context), labels, infrastructure_kind),
        *infrastructure,
        control_plane(context, cluster),
        *templates,
        *worker_bootstrap(context, cluster),
        *(
            machine_deployment(cluster, pool, version, bootstrap_kind(context), template_kind)
            for pool in pools
        ),
        *(health_check(cluster, pool) for pool in pools),
    ]
    if registers_through_external_secrets(context):
        manifests += registration_manifests(context, cluster)
    for manifest in manifests:
        in_wave(manifest, CLUSTERS_WAVE)
        if "cluster.x-k8s.io/" in str(manifest["apiVersion"]):
            manifest["metadata"]["annotations"].update(SKIP_DRY_RUN)
    return manifests


def clusterapi_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """The providers, on the cluster running the operator."""
    if not cluster.has(OPERATOR):
        return
    operator_namespace = context.component(OPERATOR).namespace
    shared = provider_manifests(context, operator_namespace)
    if on_vsphere(context):
        shared += provider_variables(context, operator_namespace)
    if registers_through_external_secrets(context):
        shared.append(reader_account(context))
    for provider in providers(context):
        shared += as_objects(cluster, controller_policies(cluster, provider.namespace))
    yield Placed(OPERATOR, "providers.yaml", [in_wave(m, AFTER_CHART) for m in shared])


def objects_folder(cluster: ClusterPlan) -> str:
    """The folder of ``cluster``'s Cluster API objects in the repository."""
    return f"clusters/{cluster.name}/cluster-api"

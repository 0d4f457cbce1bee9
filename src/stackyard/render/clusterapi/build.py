"""Place the Cluster API objects with the operator's Application on mgmt.

``manifests/<mgmt>/cluster-api-operator/providers.yaml`` holds the providers (and the
reader of the clusters' kubeconfigs); ``<cluster>.yaml`` next to it every object of one
provisioned cluster, in its own namespace. Both sync after the operator's chart
(``AFTER_CHART``); the clusters one wave later. The clusters' kinds exist only once the
operator has installed the providers, which it does after Argo CD applied them, so
those objects skip Argo CD's dry run (``SkipDryRunOnMissingResource``) and the
Application's retries apply them when the CRDs arrive: the one place the render uses
that option (``render.gitops`` says why it avoids it elsewhere).
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
from stackyard.render.clusterapi.providers import provider_manifests
from stackyard.render.clusterapi.registration import (
    reader_account,
    registers_through_external_secrets,
    registration_manifests,
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
    manifests: list[Manifest] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace(cluster)}},
        cluster_object(cluster, control_plane_kind(context), labels),
        aws_cluster(context, cluster),
        control_plane(context, cluster),
        machine_template(cluster, control_plane_pool(cluster)),
        *(machine_template(cluster, pool) for pool in pools),
        *worker_bootstrap(context, cluster),
        *(machine_deployment(cluster, pool, version, bootstrap_kind(context)) for pool in pools),
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
    """The providers and every provisioned cluster, on the cluster running the operator."""
    if not cluster.has(OPERATOR):
        return
    operator_namespace = context.component(OPERATOR).namespace
    shared = provider_manifests(context, operator_namespace)
    if registers_through_external_secrets(context):
        shared.append(reader_account(context))
    yield Placed(OPERATOR, "providers.yaml", [in_wave(m, AFTER_CHART) for m in shared])
    for target in provisioned(context):
        yield Placed(OPERATOR, f"{target.name}.yaml", cluster_manifests(context, target))

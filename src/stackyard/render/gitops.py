"""The Argo CD objects: root App-of-Apps, AppProject, component Applications, cluster Secrets.

Layout and ordering decisions (documented for users in the rendered README and in
docs/rendering.md):

- ``bootstrap/root-app.yaml`` is applied once by hand; it syncs ``apps/``.
- ``apps/`` holds the AppProject, the declarative cluster Secrets and one Argo CD
  Application per component and cluster (``apps/applications/<component>.yaml``, one
  document per cluster). They are plain resources of the root app, so the root app's
  sync waves order them: Argo CD applies the next wave only when every resource of the
  current one is in sync and healthy
  (https://argo-cd.readthedocs.io/en/stable/user-guide/sync-waves/). An Application's
  health counts only with the health check Argo CD 1.8 removed and documents how to
  restore in ``argocd-cm``
  (https://argo-cd.readthedocs.io/en/stable/operator-manual/health/#argocd-app); the
  Argo CD values render it (``catalog/values/argo-cd.yaml``). ApplicationSets are not
  used for components: an ApplicationSet has no health, and the Applications it
  generates are not resources of the root app, so nothing would wait.
- CRDs exist before the objects that use them, by order: a component's own custom
  resources (``manifests/<cluster>/<component>``) sync in the same Application as the
  chart that ships their CRDs, in a later wave of it (``manifests.base.AFTER_CHART``);
  custom resources of another component's CRDs belong to an Application of a later root
  wave; the Gateway API CRDs, which no chart ships, get their own early Application.
- Helm Applications are multi-source: the chart, plus this repository as ``$values``
  (common → edition → cluster → the user's overrides), plus, where the component owns
  objects on the cluster, the folder ``manifests/<cluster>/<component>``.
- Credentials are never rendered: cluster Secrets carry name, server and labels; the
  connection config is supplied at bootstrap (see the README).
"""

from __future__ import annotations

import json

from stackyard.catalog import Component
from stackyard.plan import ClusterPlan
from stackyard.render.airgap import chart_source, git_url, gitops_url
from stackyard.render.context import (
    IN_CLUSTER,
    LABEL_PREFIX,
    PROJECT,
    RenderContext,
    application_of,
)
from stackyard.render.tree import Manifest, RenderError

BASE = "platform-base"
BASE_WAVE = -30
# No SkipDryRunOnMissingResource: a CRD in the same sync makes Argo CD skip the dry run
# on its own (https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/
# #skip-dry-run-for-new-custom-resources-types), and every other CRD comes from an
# Application of an earlier root wave, so a missing kind is a real error, not a race.
SYNC_OPTIONS = ["ServerSideApply=true", "RespectIgnoreDifferences=true"]
RETRY = {"limit": 10, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}}

# The Gateway API CRDs: no chart in the catalog ships them (Cilium and Istio expect
# them installed), so they get their own Application before the first component.
GATEWAY_API = "gateway-api-crds"
GATEWAY_API_GROUP = "gateway.networking.k8s.io"
GATEWAY_API_REPO = "https://github.com/kubernetes-sigs/gateway-api.git"
GATEWAY_API_VERSION = "v1.6.1"  # the CRDs validate checks against (validate/data/crds)
GATEWAY_API_WAVE = BASE_WAVE + 5


def wave_annotation(wave: int) -> dict[str, str]:
    """The Argo CD sync-wave annotation."""
    return {"argocd.argoproj.io/sync-wave": str(wave)}


def root_application(context: RenderContext) -> Manifest:
    """The App-of-Apps that syncs ``apps/`` into Argo CD's namespace."""
    gitops = context.platform.gitops
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": f"{context.platform.name}-root",
            "namespace": context.argocd_namespace,
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        },
        "spec": {
            "project": "default",
            "source": {
                "repoURL": gitops_url(context),
                "targetRevision": gitops.revision,
                "path": context.repo_path("apps"),
                "directory": {"recurse": True},
            },
            "destination": {"server": IN_CLUSTER, "namespace": context.argocd_namespace},
            # Cluster credentials are added to the rendered Secrets at bootstrap; with
            # server-side apply Argo CD keeps fields it does not manage, and this keeps
            # them from showing as drift.
            "ignoreDifferences": [
                {"group": "", "kind": "Secret", "jsonPointers": ["/data/config"]}
            ],
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                "syncOptions": ["ServerSideApply=true", "RespectIgnoreDifferences=true"],
                # Automated sync never re-attempts a failed sync of the same commit
                # unless retry is set (https://argo-cd.readthedocs.io/en/stable/user-guide/
                # auto_sync/); a wave that fails while a component starts is retried.
                "retry": {"limit": -1, "backoff": RETRY["backoff"]},
            },
        },
    }


def app_project(context: RenderContext, chart_repos: list[str]) -> Manifest:
    """The AppProject every platform Application belongs to."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {
            "name": PROJECT,
            "namespace": context.argocd_namespace,
            "annotations": wave_annotation(BASE_WAVE - 10),
        },
        "spec": {
            "description": f"Platform components of {context.platform.name}",
            "sourceRepos": sorted({gitops_url(context), *chart_repos}),
            "destinations": [{"server": "*", "namespace": "*"}],
            "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
        },
    }


def cluster_secret(context: RenderContext, cluster: ClusterPlan) -> Manifest:
    """A declarative cluster Secret: name, server and selection labels, no credentials."""
    data = {"name": cluster.name, "server": context.server(cluster)}
    if data["server"] == IN_CLUSTER:
        data["config"] = json.dumps({"tlsClientConfig": {"insecure": False}})
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": f"cluster-{cluster.name}",
            "namespace": context.argocd_namespace,
            "labels": context.cluster_labels(cluster),
            "annotations": wave_annotation(BASE_WAVE - 5),
        },
        "type": "Opaque",
        "stringData": data,
    }


def cluster_root_application(context: RenderContext, cluster: ClusterPlan, wave: int) -> Manifest:
    """The Application syncing a provisioned cluster's Applications (``clusters/<cluster>``).

    In the root's last wave: the cluster exists only after mgmt's Applications made it,
    and nothing on mgmt waits for it.
    """
    gitops = context.platform.gitops
    return _application(
        context,
        "applications",
        cluster,
        wave,
        {
            "project": "default",
            "source": {
                "repoURL": gitops_url(context),
                "targetRevision": gitops.revision,
                "path": context.repo_path("clusters", cluster.name, "applications"),
                "directory": {"recurse": True},
            },
            "destination": {"server": IN_CLUSTER, "namespace": context.argocd_namespace},
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                "syncOptions": ["ServerSideApply=true"],
                "retry": {"limit": -1, "backoff": RETRY["backoff"]},
            },
        },
    )


def cluster_api_application(
    context: RenderContext, cluster: ClusterPlan, path: str, wave: int
) -> Manifest:
    """The Application applying a provisioned cluster's Cluster API objects to mgmt.

    It never prunes (deleting a ``Cluster`` deletes its machines: a person does that) and
    retries without end, because the objects' kinds exist only once the operator has
    installed the providers (``render.clusterapi.build``).
    """
    gitops = context.platform.gitops
    return _application(
        context,
        "cluster-api",
        cluster,
        wave,
        {
            "project": PROJECT,
            "source": {
                "repoURL": gitops_url(context),
                "targetRevision": gitops.revision,
                "path": context.repo_path(*path.split("/")),
                "directory": {"recurse": True},
            },
            "destination": {"server": IN_CLUSTER},
            "syncPolicy": {
                "automated": {"prune": False, "selfHeal": True},
                "syncOptions": ["ServerSideApply=true"],
                "retry": {"limit": -1, "backoff": RETRY["backoff"]},
            },
        },
    )


def values_files(context: RenderContext, name: str, cluster: ClusterPlan) -> list[str]:
    """The ``$values`` files of a component on ``cluster``, in merge order (overrides last)."""
    file = f"{name}.yaml"
    layers = [
        ("values", "common"),
        ("values", "editions", context.platform.edition),
        ("values", "clusters", cluster.name),
        ("overrides", "values", "common"),
        ("overrides", "values", "clusters", cluster.name),
    ]
    return [f"$values/{context.repo_path(*layer, file)}" for layer in layers]


def application_name(unit: str, cluster: ClusterPlan) -> str:
    """The name of the Application installing ``unit`` (a component, base, CRDs) on a cluster."""
    return f"{unit}-{cluster.name}"


def component_application(
    context: RenderContext,
    component: Component,
    cluster: ClusterPlan,
    wave: int,
    has_manifests: bool,
) -> Manifest:
    """The Application installing ``component`` on ``cluster``, in root wave ``wave``."""
    gitops = context.platform.gitops
    install = component.install
    sources: list[Manifest] = []
    if install.method == "helm":
        chart = chart_source(context, install)
        chart["helm"] = {
            "releaseName": component.name,
            "valueFiles": values_files(context, component.name, cluster),
            "ignoreMissingValueFiles": True,
        }
        sources += [
            chart,
            {"repoURL": gitops_url(context), "targetRevision": gitops.revision, "ref": "values"},
        ]
    if has_manifests:
        sources.append(
            {
                "repoURL": gitops_url(context),
                "targetRevision": gitops.revision,
                "path": context.repo_path("manifests", cluster.name, component.name),
                "directory": {"recurse": True},
            }
        )
    if not sources:
        raise RenderError(f"{component.name}: nothing to install (no chart and no manifests)")
    return _application(
        context,
        component.name,
        cluster,
        wave,
        {
            "project": PROJECT,
            "sources": sources,
            "destination": {**context.destination(cluster), "namespace": component.namespace},
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                "syncOptions": SYNC_OPTIONS,
                "retry": RETRY,
            },
        },
    )


def base_application(context: RenderContext, cluster: ClusterPlan) -> Manifest:
    """Per-cluster base objects (namespaces, quotas, limits, network policy), first."""
    gitops = context.platform.gitops
    return _application(
        context,
        BASE,
        cluster,
        BASE_WAVE,
        {
            "project": PROJECT,
            "source": {
                "repoURL": gitops_url(context),
                "targetRevision": gitops.revision,
                "path": context.repo_path("manifests", cluster.name, "base"),
                "directory": {"recurse": True},
            },
            "destination": context.destination(cluster),
            "syncPolicy": {
                # Never prune namespaces: that would delete everything in them.
                "automated": {"prune": False, "selfHeal": True},
                "syncOptions": ["ServerSideApply=true"],
            },
        },
    )


def gateway_api_application(context: RenderContext, cluster: ClusterPlan) -> Manifest:
    """The Gateway API CRDs (standard channel) on ``cluster``, before any component."""
    return _application(
        context,
        GATEWAY_API,
        cluster,
        GATEWAY_API_WAVE,
        {
            "project": PROJECT,
            "source": {
                "repoURL": git_url(context, GATEWAY_API_REPO),
                "targetRevision": GATEWAY_API_VERSION,
                "path": "config/crd/standard",
            },
            "destination": context.destination(cluster),
            "syncPolicy": {
                # Pruning a CRD deletes every object of its kind: never automatic.
                "automated": {"prune": False, "selfHeal": True},
                # Some CRDs are too large for the last-applied annotation of client-side apply.
                "syncOptions": ["ServerSideApply=true"],
                "retry": RETRY,
            },
        },
    )


def needs_gateway_api(cluster: ClusterPlan, manifests: list[Manifest]) -> bool:
    """Whether ``cluster`` needs the Gateway API CRDs: a provider of it runs, or objects use it."""
    if any("gateway-api" in planned.component.provides for planned in cluster.components):
        return True
    return any(str(m.get("apiVersion", "")).startswith(f"{GATEWAY_API_GROUP}/") for m in manifests)


def _application(
    context: RenderContext, unit: str, cluster: ClusterPlan, wave: int, spec: Manifest
) -> Manifest:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": application_name(unit, cluster),
            "namespace": context.argocd_namespace,
            "labels": {
                f"{LABEL_PREFIX}/component": unit,
                f"{LABEL_PREFIX}/cluster": cluster.name,
            },
            "annotations": wave_annotation(wave),
        },
        "spec": spec,
    }


def is_synced(component: Component) -> bool:
    """Whether Argo CD installs ``component`` through an Application of its own."""
    return application_of(component) is not None

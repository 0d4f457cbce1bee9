"""The Argo CD objects: root App-of-Apps, AppProject, ApplicationSets, cluster Secrets.

Layout decisions (documented for users in the rendered README):

- ``bootstrap/root-app.yaml`` is applied once by hand; it syncs ``apps/``.
- ``apps/`` holds the AppProject, one ApplicationSet per component and one for each
  cluster's base manifests, and the declarative cluster Secrets, so adding a cluster
  is a commit.
- Each ApplicationSet uses the cluster generator, selecting clusters by the labels
  on their Secrets: the per-component enable label plus role, edition and provider.
- Helm Applications are multi-source: the chart, plus this repository as ``$values``
  (common → edition → cluster → the user's overrides), plus, where the component owns
  custom resources on the cluster, the folder ``manifests/<cluster>/<component>``.
- Credentials are never rendered: cluster Secrets carry name, server and labels; the
  connection config is supplied at bootstrap (see the README).
"""

from __future__ import annotations

import json

from stackyard.catalog import Component
from stackyard.plan import ClusterPlan
from stackyard.render.context import (
    ENABLED,
    IN_CLUSTER,
    LABEL_PREFIX,
    PROJECT,
    RenderContext,
    application_of,
    component_label,
)
from stackyard.render.tree import Manifest, RenderError

BASE = "platform-base"
BASE_WAVE = -30
SYNC_OPTIONS = [
    "ServerSideApply=true",
    "SkipDryRunOnMissingResource=true",
    "RespectIgnoreDifferences=true",
]


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
                "repoURL": gitops.repoURL,
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
            "sourceRepos": sorted({context.platform.gitops.repoURL, *chart_repos}),
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


def selector(context: RenderContext, component: Component) -> Manifest:
    """Cluster-generator selector: the enable label plus role, edition and provider.

    Roles, editions and providers are the catalog's, widened by any cluster an
    override forced the component onto, so the selector matches exactly the plan.
    """
    running = context.clusters_running(component.name)
    roles = sorted({*component.roles, *(c.cluster.role for c in running)})
    editions = sorted({*component.editions, context.platform.edition})
    providers = sorted({*component.providers, context.platform.provider})
    return {
        "matchLabels": {component_label(component.name): ENABLED},
        "matchExpressions": [
            {"key": f"{LABEL_PREFIX}/role", "operator": "In", "values": roles},
            {"key": f"{LABEL_PREFIX}/edition", "operator": "In", "values": editions},
            {"key": f"{LABEL_PREFIX}/provider", "operator": "In", "values": providers},
        ],
    }


def values_files(context: RenderContext, name: str) -> list[str]:
    """The ``$values`` files of a component, in merge order (overrides last)."""
    file = f"{name}.yaml"
    layers = [
        ("values", "common"),
        ("values", "editions", context.platform.edition),
        ("values", "clusters", "{{.name}}"),
        ("overrides", "values", "common"),
        ("overrides", "values", "clusters", "{{.name}}"),
    ]
    return [f"$values/{context.repo_path(*layer, file)}" for layer in layers]


def application_set(
    context: RenderContext, component: Component, wave: int, has_manifests: bool
) -> Manifest:
    """One ApplicationSet installing ``component`` on every cluster that enables it."""
    gitops = context.platform.gitops
    install = component.install
    sources: list[Manifest] = []
    if install.method == "helm":
        chart_source: Manifest = {"repoURL": install.repoURL, "targetRevision": install.version}
        if install.repoURL.endswith(".git"):
            chart_source["path"] = install.chart
        else:
            chart_source["chart"] = install.chart
        chart_source["helm"] = {
            "releaseName": component.name,
            "valueFiles": values_files(context, component.name),
            "ignoreMissingValueFiles": True,
        }
        sources += [
            chart_source,
            {"repoURL": gitops.repoURL, "targetRevision": gitops.revision, "ref": "values"},
        ]
    if has_manifests:
        sources.append(
            {
                "repoURL": gitops.repoURL,
                "targetRevision": gitops.revision,
                "path": context.repo_path("manifests", "{{.name}}", component.name),
                "directory": {"recurse": True},
            }
        )
    if not sources:
        raise RenderError(f"{component.name}: nothing to install (no chart and no manifests)")
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {
            "name": component.name,
            "namespace": context.argocd_namespace,
            "annotations": wave_annotation(wave),
        },
        "spec": {
            "goTemplate": True,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [{"clusters": {"selector": selector(context, component)}}],
            "template": {
                "metadata": {
                    "name": f"{component.name}-{{{{.name}}}}",
                    "labels": {f"{LABEL_PREFIX}/component": component.name},
                    "annotations": wave_annotation(wave),
                },
                "spec": {
                    "project": PROJECT,
                    "sources": sources,
                    "destination": {"server": "{{.server}}", "namespace": component.namespace},
                    "syncPolicy": {
                        "automated": {"prune": True, "selfHeal": True},
                        "syncOptions": SYNC_OPTIONS,
                        "retry": {
                            "limit": 10,
                            "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"},
                        },
                    },
                },
            },
        },
    }


def base_application_set(context: RenderContext) -> Manifest:
    """Per-cluster base manifests (namespaces, quotas, limits, network policy) first."""
    gitops = context.platform.gitops
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {
            "name": BASE,
            "namespace": context.argocd_namespace,
            "annotations": wave_annotation(BASE_WAVE),
        },
        "spec": {
            "goTemplate": True,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [
                {
                    "clusters": {
                        "selector": {
                            "matchLabels": {f"{LABEL_PREFIX}/platform": context.platform.name}
                        }
                    }
                }
            ],
            "template": {
                "metadata": {
                    "name": f"{BASE}-{{{{.name}}}}",
                    "labels": {f"{LABEL_PREFIX}/component": BASE},
                    "annotations": wave_annotation(BASE_WAVE),
                },
                "spec": {
                    "project": PROJECT,
                    "source": {
                        "repoURL": gitops.repoURL,
                        "targetRevision": gitops.revision,
                        "path": context.repo_path("manifests", "{{.name}}", "base"),
                        "directory": {"recurse": True},
                    },
                    "destination": {"server": "{{.server}}"},
                    "syncPolicy": {
                        # Never prune namespaces: that would delete everything in them.
                        "automated": {"prune": False, "selfHeal": True},
                        "syncOptions": ["ServerSideApply=true"],
                    },
                },
            },
        },
    }


def is_synced(component: Component) -> bool:
    """Whether Argo CD installs ``component`` through an ApplicationSet."""
    return application_of(component) is not None

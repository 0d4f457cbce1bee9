"""How Cilium gets onto a new cluster before Argo CD can run, and how Argo CD takes over.

The deadlock: Argo CD installs Cilium (catalog ``cilium``, chart 1.20.0, values under
``values/``), but Argo CD's own pods need a CNI to start, and until a CNI runs every node
is NotReady. It is the CCM bootstrap deadlock again, for the network.

Decision: **the node bootstrap installs the very release Argo CD will manage, once, and
Argo CD adopts it.** Same chart, same version, same values, same release name
(``cilium`` in ``kube-system``, the ApplicationSet's ``releaseName``), so when the
``cilium-<cluster>`` Application first syncs it finds its objects already there and
changes nothing; from then on Git is the only source of Cilium's configuration.

- RKE2: ``cni: none`` (RKE2 must not deploy its bundled ``rke2-cilium``, a second Cilium
  of another version) and a static ``HelmChart`` in the server manifests folder with
  ``bootstrap: true``: RKE2's helm-controller runs its install job on the host network,
  tolerating the not-ready and uninitialized taints, exactly as it installs its bundled
  CNIs. ``failurePolicy: abort`` keeps a failed upgrade from uninstalling the CNI (RKE2
  docs, add-ons/helm). Once the Argo CD Application is Healthy, annotate the HelmChart
  ``helmcharts.helm.cattle.io/unmanaged=true``: helm-controller then ignores it for good
  (no upgrade from a stale node file, no uninstall if the object goes), and Argo CD is
  the only manager. Deleting the HelmChart without that annotation would uninstall
  Cilium.
- kubeadm: there is no in-cluster installer, so the rendered node README runs one
  ``helm install`` with exactly the ``values/`` files Argo CD merges, the same way the
  repository README installs Argo CD itself before it manages itself.

Rejected: ``cni: cilium`` with a ``HelmChartConfig`` for ``rke2-cilium``. It bootstraps
fine, but the Cilium version is then RKE2's, not the catalog's pinned 1.20.0 whose values
``stackyard validate`` checks, and Argo CD could not manage Cilium on RKE2 clusters
without a second, distribution-specific install path; kubeadm clusters would still need
this one.

The bootstrap values are the three rendered layers (common, edition, cluster); the
user's ``overrides/values`` files live only in Git, so Argo CD applies them on its first
sync. kube-proxy follows the same values: when they turn on ``kubeProxyReplacement``,
RKE2 gets ``disable-kube-proxy`` and kubeadm skips its kube-proxy add-on.
"""

from __future__ import annotations

from typing import Any

from stackyard.catalog import Component
from stackyard.kube import merge_values
from stackyard.plan import ClusterPlan
from stackyard.render.airgap import helm_chart_argument, helm_controller_source
from stackyard.render.context import RenderContext
from stackyard.render.tree import Manifest, RenderError
from stackyard.render.valuebuilders import VALUE_BUILDERS
from stackyard.render.values import (
    Values,
    cluster_values,
    common_values,
    edition_values,
)
from stackyard.render.yamlout import dump_yaml

CILIUM = "cilium"
UNMANAGED_ANNOTATION = "helmcharts.helm.cattle.io/unmanaged"


def cilium_component(context: RenderContext) -> Component:
    """The catalog entry, checked to be a Helm chart.

    Raises:
        RenderError: the catalog no longer installs Cilium from a chart.
    """
    component = context.component(CILIUM)
    if component.install.method != "helm":
        raise RenderError(f"{CILIUM}: node bootstrap expects a Helm chart install")
    return component


def _by_cluster(context: RenderContext) -> dict[str, Values]:
    return {}


def bootstrap_values(context: RenderContext, cluster: ClusterPlan) -> Values:
    """The values Argo CD will use on ``cluster``, without the user's Git overrides.

    Computed once per cluster and render (four node-bootstrap files ask, and with Cluster
    Mesh each answer lists every other cluster); the caller must not change them.
    """
    cache = context.derived(_by_cluster)
    if cluster.name not in cache:
        component = cilium_component(context)
        values = merge_values(common_values(context, component), edition_values(context, component))
        cache[cluster.name] = merge_values(
            values, cluster_values(context, cluster, component, VALUE_BUILDERS)
        )
    return cache[cluster.name]


def replaces_kube_proxy(values: Values) -> bool:
    """Whether the Cilium values turn on kube-proxy replacement (``true`` or ``"true"``)."""
    value: Any = values.get("kubeProxyReplacement", False)
    return str(value).lower() == "true"


def runs_cilium(cluster: ClusterPlan) -> bool:
    """Whether Cilium is the cluster's CNI."""
    return cluster.has(CILIUM)


def helm_chart(context: RenderContext, values: Values) -> Manifest:
    """The RKE2 ``HelmChart`` that installs Cilium at bootstrap (see module docs)."""
    component = cilium_component(context)
    install = component.install
    assert install.method == "helm"  # checked by cilium_component
    spec: Manifest = {
        "bootstrap": True,
        "repo": install.repoURL,
        "chart": install.chart,
        "version": install.version,
        "targetNamespace": component.namespace,
        "failurePolicy": "abort",
        "valuesContent": dump_yaml(values),
    }
    spec.update(helm_controller_source(context, install))
    return {
        "apiVersion": "helm.cattle.io/v1",
        "kind": "HelmChart",
        "metadata": {
            # The release name must equal the ApplicationSet's releaseName (the component
            # name), or Argo CD would install a second Cilium beside this one.
            "name": component.name,
            "namespace": "kube-system",
        },
        "spec": {k: v for k, v in spec.items() if v is not None},
    }


def helm_install_command(context: RenderContext, cluster: ClusterPlan) -> str:
    """The one-shot ``helm install`` for kubeadm clusters, with Argo CD's values files."""
    component = cilium_component(context)
    install = component.install
    assert install.method == "helm"
    edition = context.platform.edition
    files = [
        context.repo_path("values", "common", f"{component.name}.yaml"),
        context.repo_path("values", "editions", edition, f"{component.name}.yaml"),
        context.repo_path("values", "clusters", cluster.name, f"{component.name}.yaml"),
    ]
    lines = [
        f"helm install {component.name} {helm_chart_argument(context, install)}",
        f"--version {install.version} --namespace {component.namespace}",
        *(f"-f {path}" for path in files),
    ]
    return " \\\n  ".join(lines)

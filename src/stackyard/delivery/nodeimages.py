"""The images each cluster's nodes pull before Argo CD exists, read from a rendered tree.

A rendered tree says per cluster how its nodes start: ``nodes/<cluster>/rke2/config.yaml``
(RKE2; its ``cni`` option, ``canal`` when absent as in RKE2 itself) or
``nodes/<cluster>/kubeadm/init-config.yaml`` (kubeadm; the ``ClusterConfiguration``'s
``kubernetesVersion`` and whether ``skipPhases`` leaves out kube-proxy). RKE2's config
names no version: the tree's render marker does (``kubernetesVersion``). What each
release pulls is a catalog fact (:mod:`stackyard.catalog.nodeimages`).

Images the render writes into the node folders as objects — the cloud controller's and
Cilium's static manifests — are found with the tree's other manifests
(:mod:`stackyard.delivery.imagerefs`); a CNI that Helm installs at bootstrap (Cilium on
kubeadm) is the same chart Argo CD's Application installs, so hydrating that chart finds
its images. A cluster whose release is not known is reported, never silently left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stackyard.catalog.nodeimages import (
    NodeRelease,
    UnknownNodeReleaseError,
    kubeadm_release,
    rke2_release,
)
from stackyard.yamlio import load_yaml_documents, read_text_file

NODES = "nodes"
RKE2_CONFIG = "rke2/config.yaml"
KUBEADM_CONFIG = "kubeadm/init-config.yaml"
RKE2_DEFAULT_CNI = "canal"
KUBE_PROXY_PHASES = frozenset({"addon/kube-proxy", "addon"})


@dataclass(frozen=True)
class ClusterNodes:
    """One cluster's node release, or why its node images are not known."""

    cluster: str
    file: str
    """The node file the distribution was read from, relative to the tree."""
    release: NodeRelease | None = None
    problem: str = ""


def cluster_node_images(rendered: Path, kubernetes_version: str | None) -> list[ClusterNodes]:
    """Every cluster of ``rendered`` with node files, and the images its nodes pull.

    ``kubernetes_version`` is the render marker's (None without a marker).

    Raises:
        YamlError: a node configuration file that cannot be read or parsed.
    """
    found: list[ClusterNodes] = []
    folder = rendered / NODES
    if not folder.is_dir():
        return found
    for cluster in sorted(p for p in folder.iterdir() if p.is_dir()):
        rke2, kubeadm = cluster / RKE2_CONFIG, cluster / KUBEADM_CONFIG
        if rke2.is_file():
            found.append(_rke2(rendered, cluster.name, rke2, kubernetes_version))
        elif kubeadm.is_file():
            found.append(_kubeadm(rendered, cluster.name, kubeadm))
    return found


def _rke2(rendered: Path, cluster: str, path: Path, version: str | None) -> ClusterNodes:
    file = path.relative_to(rendered).as_posix()
    config = _documents(path)
    first = config[0] if config else {}
    cni = str(first.get("cni") or RKE2_DEFAULT_CNI)
    if not version:
        return ClusterNodes(
            cluster,
            file,
            problem="the tree has no render marker naming "
            "its Kubernetes version, so the RKE2 release is not known",
        )
    try:
        return ClusterNodes(cluster, file, rke2_release(version, cni))
    except UnknownNodeReleaseError as e:
        return ClusterNodes(cluster, file, problem=str(e))


def _kubeadm(rendered: Path, cluster: str, path: Path) -> ClusterNodes:
    file = path.relative_to(rendered).as_posix()
    version, kube_proxy = "", True
    for document in _documents(path):
        if document.get("kind") == "ClusterConfiguration":
            version = str(document.get("kubernetesVersion") or "")
            if (document.get("proxy") or {}).get("disabled") is True:
                kube_proxy = False
        skipped = {str(p) for p in document.get("skipPhases") or []}
        if document.get("kind") == "InitConfiguration" and KUBE_PROXY_PHASES & skipped:
            kube_proxy = False
    if not version:
        return ClusterNodes(
            cluster, file, problem="its ClusterConfiguration names no kubernetesVersion"
        )
    try:
        return ClusterNodes(cluster, file, kubeadm_release(version, kube_proxy=kube_proxy))
    except UnknownNodeReleaseError as e:
        return ClusterNodes(cluster, file, problem=str(e))


def _documents(path: Path) -> list[dict[str, Any]]:
    documents = load_yaml_documents(read_text_file(path), str(path))
    return [d.data for d in documents if isinstance(d.data, dict)]

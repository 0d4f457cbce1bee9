"""``images list``: every container image a rendered platform runs, and where it was found.

Three sources, each read where the fact lives:

- **nodes**: what each cluster's nodes pull before Argo CD exists — the RKE2 release's
  images or kubeadm's control plane, by the version the tree was rendered for
  (:mod:`stackyard.delivery.nodeimages`, facts from :mod:`stackyard.catalog.nodeimages`);
- **files**: images the tree names itself, in the containers of its static manifests
  (node static manifests such as the cloud controller's included) and the container lists
  of the chart values it writes (:mod:`stackyard.delivery.imagerefs`);
- **charts**: every chart an Application installs, rendered with Helm and its rendered
  values on each cluster, as ``validate --hydrate`` does (:mod:`stackyard.validate.hydrate`).
  A chart the store lacks is listed as not inspected, never skipped silently.

Why here: the chart rendering is validation's (its value layering follows Argo CD's
``$values`` sources exactly) and ``delivery`` may not import ``validate`` — they are
siblings. Moving hydration below both would drag validation's tree model along with
it; composing the two in the use case keeps one implementation of each, and
``bundle create`` (:mod:`stackyard.app.bundles`) checks a bundle against this same list.

References are normalized as container runtimes resolve them (``nginx`` is
``docker.io/library/nginx:latest``), so the list compares with a bundle's or a
registry's names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stackyard.app.results import Describes
from stackyard.delivery.imagerefs import normalize, rendered_image_files
from stackyard.delivery.nodeimages import ClusterNodes, cluster_node_images
from stackyard.errors import COMMAND_LINE, InputError, Problem
from stackyard.progress import Progress, no_progress
from stackyard.validate.hydrate import Hydration, hydrate
from stackyard.validate.repository import read_repository
from stackyard.versioning import schema_id

# The first folder of a tree path, when its second names the cluster the file is for.
CLUSTER_FOLDERS = ("manifests", "nodes")
CLUSTER_VALUES = "values/clusters/"


@dataclass(frozen=True)
class ImageSource:
    """One place an image was found: on the nodes, in a file, or in a rendered chart."""

    kind: str
    """``node`` (a distribution release), ``file`` (the tree names it) or ``chart``."""
    name: str
    """The release (``rke2 v1.35.7+rke2r1``), the file's path, or the Application."""

    def as_dict(self) -> dict[str, str]:
        """The JSON shape of one source."""
        return {"kind": self.kind, "name": self.name}

    def __str__(self) -> str:
        return self.name if self.kind == "file" else f"{self.kind} {self.name}"


@dataclass(frozen=True)
class InventoryImage:
    """One image, where it was found and on which clusters it runs."""

    reference: str
    sources: tuple[ImageSource, ...]
    clusters: tuple[str, ...]


@dataclass(frozen=True)
class NotInspected:
    """Something whose images could not be listed, and why: the list lacks them."""

    kind: str
    """``chart`` (not in the chart store) or ``nodes`` (release not known)."""
    name: str
    reason: str
    where: str

    def as_dict(self) -> dict[str, str]:
        """The JSON shape of one gap."""
        return {"kind": self.kind, "name": self.name, "reason": self.reason, "where": self.where}


@dataclass(frozen=True)
class NodeReleaseUsed:
    """The distribution release a cluster's node images were taken from."""

    cluster: str
    distribution: str
    release: str
    resolved_from: str | None
    source: str


@dataclass(frozen=True)
class ImageInventory(Describes):
    """Every image a rendered tree runs, with what could not be inspected."""

    rendered: Path
    charts: Path | None
    images: tuple[InventoryImage, ...]
    not_inspected: tuple[NotInspected, ...] = ()
    nodes: tuple[NodeReleaseUsed, ...] = ()
    charts_rendered: int = 0

    @property
    def references(self) -> tuple[str, ...]:
        """Every image's normalized reference, sorted."""
        return tuple(image.reference for image in self.images)

    def as_dict(self) -> dict[str, Any]:
        """The versioned JSON document (``images-list``)."""
        return {
            "schema": schema_id("images-list"),
            "rendered": str(self.rendered),
            "charts": None if self.charts is None else str(self.charts),
            "releasesRendered": self.charts_rendered,
            "nodes": [
                {
                    "cluster": n.cluster,
                    "distribution": n.distribution,
                    "release": n.release,
                    "resolvedFrom": n.resolved_from,
                    "source": n.source,
                }
                for n in self.nodes
            ],
            "images": [
                {
                    "reference": image.reference,
                    "foundIn": [s.as_dict() for s in image.sources],
                    "clusters": list(image.clusters),
                }
                for image in self.images
            ],
            "notInspected": [gap.as_dict() for gap in self.not_inspected],
        }


@dataclass
class _Collected:
    sources: dict[str, list[ImageSource]] = field(default_factory=dict)
    clusters: dict[str, set[str]] = field(default_factory=dict)

    def add(self, reference: str, source: ImageSource, clusters: Iterable[str]) -> None:
        found = self.sources.setdefault(reference, [])
        if source not in found:
            found.append(source)
        self.clusters.setdefault(reference, set()).update(clusters)


def list_images(
    rendered: Path, *, charts: Path | None = None, progress: Progress = no_progress
) -> ImageInventory:
    """Every image the rendered tree ``rendered`` runs: nodes, files and hydrated charts.

    Args:
        rendered: a tree ``stackyard render`` wrote.
        charts: a chart store (``*.tgz`` or unpacked charts, as ``charts pull`` writes
            it); without it no chart is rendered, and each is listed as not inspected.
        progress: hears each chart rendered.

    Raises:
        InputError: ``rendered`` or ``charts`` is not a folder; a YAML file of the tree
            that cannot be read.
    """
    if not rendered.is_dir():
        raise InputError([Problem(COMMAND_LINE, "RENDERED", f"{rendered} is not a folder")])
    if charts is not None and not charts.is_dir():
        raise InputError([Problem(COMMAND_LINE, "--charts", f"{charts} is not a folder")])
    repository = read_repository(rendered, progress)
    collected = _Collected()
    gaps: list[NotInspected] = []
    nodes = cluster_node_images(rendered, repository.kubernetes_version)
    used = _node_images(nodes, collected, gaps)
    for reference, files in rendered_image_files(rendered).items():
        for file in files:
            collected.add(reference, ImageSource("file", file), _file_clusters(file))
    version = repository.kubernetes_version or ""  # only checks read it; they are off
    hydration = hydrate(repository, charts, version, progress, check=False)
    _chart_images(hydration, charts, collected, gaps)
    images = tuple(
        InventoryImage(reference, tuple(sources), tuple(sorted(collected.clusters[reference])))
        for reference, sources in sorted(collected.sources.items())
    )
    return ImageInventory(rendered, charts, images, tuple(gaps), used, hydration.rendered)


def _node_images(
    nodes: list[ClusterNodes], collected: _Collected, gaps: list[NotInspected]
) -> tuple[NodeReleaseUsed, ...]:
    used: list[NodeReleaseUsed] = []
    for cluster in nodes:
        release = cluster.release
        if release is None:
            gaps.append(NotInspected("nodes", cluster.cluster, cluster.problem, cluster.file))
            continue
        used.append(
            NodeReleaseUsed(
                cluster.cluster,
                release.distribution,
                release.release,
                release.resolved_from,
                release.source,
            )
        )
        source = ImageSource("node", f"{release.distribution} {release.release}")
        for image in release.images:
            collected.add(normalize(image), source, (cluster.cluster,))
    return tuple(used)


def _chart_images(
    hydration: Hydration, charts: Path | None, collected: _Collected, gaps: list[NotInspected]
) -> None:
    for image, applications in hydration.images.items():
        reference = normalize(image.reference)
        for application in sorted(applications):
            collected.add(reference, ImageSource("chart", application), ())
        collected.clusters.setdefault(reference, set()).update(hydration.clusters.get(image, ()))
    reason = f"not in the chart store {charts}" if charts is not None else "no chart store given"
    seen: set[str] = set()
    for missing in hydration.missing:  # one gap per chart, where it is first installed
        name = f"{missing.chart} {missing.version}"
        if name not in seen:
            seen.add(name)
            gaps.append(NotInspected("chart", name, reason, str(missing.location)))


def _file_clusters(file: str) -> tuple[str, ...]:
    parts = file.split("/")
    if parts[0] in CLUSTER_FOLDERS and len(parts) > 2:
        return (parts[1],)
    if file.startswith(CLUSTER_VALUES) and len(parts) > 3:
        return (parts[2],)
    return ()

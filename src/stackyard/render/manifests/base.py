"""The interface every manifest builder implements."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from stackyard.plan import ClusterPlan
from stackyard.render.context import RenderContext
from stackyard.render.gitops import wave_annotation
from stackyard.render.settings import BackupDeclared
from stackyard.render.tree import Manifest, RenderError

BASE_GROUP = "base"
# Sync waves inside a component's Application. Custom resources wait until the chart's
# controllers and admission webhooks are healthy; objects the chart's pods mount (TLS
# secrets' Certificates, config) go first, or those pods could never become healthy.
BEFORE_CHART = -1
AFTER_CHART = 1


@dataclass(frozen=True)
class Placed:
    """Objects for one file: ``manifests/<cluster>/<group>/<file>``.

    ``group`` is ``base`` or the name of a component running on the cluster, whose
    Application then owns the objects. ``backups`` declares the backup schedules among
    them, so the render records their settings (``stackyard.render.settings``).
    """

    group: str
    file: str
    manifests: list[Manifest]
    backups: tuple[BackupDeclared, ...] = ()


def in_wave(manifest: Manifest, wave: int) -> Manifest:
    """``manifest`` with an Argo CD sync-wave annotation added to its metadata."""
    metadata = manifest["metadata"]
    metadata["annotations"] = {**metadata.get("annotations", {}), **wave_annotation(wave)}
    return manifest


ManifestBuilder = Callable[[RenderContext, ClusterPlan], Iterable[Placed]]


def builders_output(
    builders: Iterable[ManifestBuilder], context: RenderContext, cluster: ClusterPlan
) -> list[Placed]:
    """Run every builder for ``cluster``; check each group names a running component.

    Raises:
        RenderError: a builder placed objects with a component that does not run here.
    """
    placed: list[Placed] = []
    for builder in builders:
        for item in builder(context, cluster):
            if item.group != BASE_GROUP and not cluster.has(item.group):
                raise RenderError(
                    f"{item.file}: group {item.group!r} does not run on {cluster.name}"
                )
            if item.manifests:
                placed.append(item)
    return placed

"""Where a component that stores objects keeps them: one decision for plan and render.

Policy: the spec's external object store (``objectStorage``) comes first; without one, a
store on AWS writes to S3 with the nodes' role; elsewhere to the MinIO on its own cluster,
or to its own volume when there is none. A component whose catalog entry sets
``localVolume`` keeps its data on its own volume on provider local unless the spec
declares an external store (Loki's chunks: the workload resource plan of the reference
local multi-cluster architecture gives it a 30Gi volume). The plan's replica count
(:mod:`stackyard.plan.replicas`) and the rendered storage values both ask this function,
so a component the store holds to one replica is planned with one.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

from stackyard.catalog import Component
from stackyard.spec import Platform

Store = Literal["external", "s3", "minio", "filesystem"]


def object_store(platform: Platform, running: Collection[str]) -> Store:
    """Where a store on a cluster running the components ``running`` keeps objects."""
    if platform.objectStorage is not None:
        return "external"
    if platform.provider == "aws":
        return "s3"
    return "minio" if "minio" in running else "filesystem"


def component_store(platform: Platform, component: Component, running: Collection[str]) -> Store:
    """Where ``component`` keeps its data on a cluster running ``running`` (module policy)."""
    if platform.objectStorage is None:
        # Without an external store, a component whose values name only that store keeps
        # its data on its own volume (Tempo), as does one set to on provider local (Loki).
        if component.objectStore is not None and not component.objectStore.platformStore:
            return "filesystem"
        if component.localVolume and platform.provider == "local":
            return "filesystem"
    return object_store(platform, running)


def writes_to_minio(platform: Platform, component: Component) -> bool:
    """Whether ``component`` may keep its objects in the platform's MinIO at all.

    Not when the spec declares an external store (it replaces MinIO for every consumer),
    nor where the component keeps its data on its own volume (``localVolume`` on provider
    local, or an entry whose ``objectStore.platformStore`` is false: Tempo's values name
    only the spec's store). The plan drops the object-storage dependency on MinIO there,
    so ``plan --why`` and the failure model do not claim a MinIO the rendered values never
    use.
    """
    if platform.objectStorage is not None:
        return False
    return component_store(platform, component, ("minio",)) == "minio"

"""How Velero copies a cluster's volume data: CSI snapshots or file-system backup.

Velero has two ways to back up what a PersistentVolume holds
(https://velero.io/docs/main/csi-snapshot-data-movement/):

- **CSI snapshots with the data mover**: Velero asks the storage's CSI driver for a
  VolumeSnapshot, then its node agent copies the snapshot's content to the object store
  (``snapshotMoveData``), so the data leaves the cluster. The copy is consistent to one
  instant per volume and costs the workload nothing while it runs.
- **File-system backup**: the node agent reads the files of each mounted volume with Kopia.
  It works on any volume (local-path's host directories too) but reads a live file system.

The plan chooses CSI on a cluster when every storage provider that runs there registers a
CSI driver that takes snapshots (the catalog entry's ``csi.snapshots``) and the
distribution installs the snapshot controller and the ``snapshot.storage.k8s.io`` CRDs
that VolumeSnapshots need. RKE2 deploys both as packaged components
(``rke2-snapshot-controller``, ``rke2-snapshot-controller-crd``; its ``--disable`` flag
lists them, https://docs.rke2.io/install/packaged_components); kubeadm installs neither
(https://github.com/kubernetes-csi/external-snapshotter#usage: "it is the responsibility
of the Kubernetes distribution"). Elsewhere the cluster keeps file-system backup, and
check SY704 says so where snapshots were possible but for the missing controller.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from stackyard.catalog.model import Component
from stackyard.plan.model import ClusterPlan
from stackyard.spec.model import Distribution

Method = Literal["csi", "filesystem", "none"]

SNAPSHOT_CONTROLLER: dict[Distribution, bool] = {"rke2": True, "kubeadm": False}
"""Whether the distribution installs the CSI snapshot controller and its CRDs."""


@dataclass(frozen=True)
class SnapshotDriver:
    """A CSI driver Velero snapshots through, and the class parameters it takes."""

    component: str
    driver: str
    parameters: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class VolumeBackup:
    """How Velero backs up the volume data of one cluster."""

    method: Method
    drivers: tuple[SnapshotDriver, ...] = ()
    """The CSI drivers to snapshot through (``csi`` only), in catalog order."""
    blocked: tuple[str, ...] = ()
    """Storage providers that take CSI snapshots the cluster cannot use (no controller)."""


def storage_providers(cluster: ClusterPlan) -> list[Component]:
    """The components that provide volumes on ``cluster``."""
    return [p.component for p in cluster.components if "storage" in p.component.provides]


def volume_backup(cluster: ClusterPlan, distribution: Distribution) -> VolumeBackup:
    """The method for ``cluster``'s volume data (see module docs)."""
    providers = storage_providers(cluster)
    if not providers:
        return VolumeBackup("none")
    drivers = tuple(
        SnapshotDriver(c.name, c.csi.driver, tuple(sorted(c.csi.snapshots.parameters.items())))
        for c in providers
        if c.csi is not None and c.csi.snapshots is not None
    )
    if len(drivers) < len(providers):
        return VolumeBackup("filesystem")
    if not SNAPSHOT_CONTROLLER[distribution]:
        return VolumeBackup("filesystem", blocked=tuple(d.component for d in drivers))
    return VolumeBackup("csi", drivers)

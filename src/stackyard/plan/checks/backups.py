"""Checks on how Velero backs up volume data (``stackyard.plan.volumebackup``)."""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.findings import Finding
from stackyard.plan.checks.base import CheckContext, Emit, check
from stackyard.plan.volumebackup import volume_backup

VELERO = "velero"


@check("SY704", "CSI snapshots possible but no snapshot controller", "warning")
def snapshots_need_a_controller(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """CSI snapshots possible but no snapshot controller.

    The cluster's storage takes CSI volume snapshots, which Velero would copy to the object
    store consistent to one instant, but kubeadm installs neither the snapshot controller
    nor the ``snapshot.storage.k8s.io`` CRDs (RKE2 does). Velero falls back to file-system
    backup, which reads each live volume file by file. Install the controller and CRDs of
    kubernetes-csi/external-snapshotter, or accept file-system backup.
    """
    distribution = context.platform.kubernetes.distribution
    for plan in context.clusters:
        if not plan.has(VELERO):
            continue
        blocked = volume_backup(plan, distribution).blocked
        if blocked:
            yield emit(
                f"cluster {plan.name}: {', '.join(blocked)} can take CSI snapshots, but "
                f"{distribution} installs no snapshot controller; Velero backs up its "
                "volumes file by file (Kopia) instead",
                ("kubernetes", "distribution"),
                hint="install the external-snapshotter CRDs and snapshot-controller, "
                "or keep file-system backup",
            )

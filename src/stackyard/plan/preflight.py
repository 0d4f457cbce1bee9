"""The pre-flight findings of a migration between two clusters, as registered data.

They concern a pair of clusters, not one spec, so they are not plan checks (which run
on a whole spec, :mod:`stackyard.plan.checks`); :mod:`stackyard.plan.migration` emits
them and ``docs/checks.md`` lists them after the checks (scripts/gen_docs.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from stackyard.findings import Severity


@dataclass(frozen=True)
class PreflightCheck:
    """One kind of pre-flight finding: its code, severity, title and why it matters."""

    id: str
    severity: Severity
    title: str
    explanation: str
    hint: str


VELERO_MISSING = PreflightCheck(
    "SY721",
    "error",
    "Velero does not run on the source or the target cluster",
    "The source backs the namespaces up with Velero and the target restores them with "
    "its own Velero; without Velero on both clusters there is nothing to migrate with.",
    "run Velero on both clusters (components.velero)",
)
FOREIGN_STORE = PreflightCheck(
    "SY722",
    "warning",
    "The target reads the source's backups from another platform's object store",
    "Within one platform every cluster's Velero writes to the same bucket (a prefix per "
    "cluster), so the target only needs a read-only BackupStorageLocation on the "
    "source's prefix. A target of another platform reaches the source platform's store "
    "with that platform's endpoint, credentials (the Secret velero-credentials in "
    "Velero's namespace) and, for MinIO behind its gateway, its CA bundle: the operator "
    "supplies them before the location can sync.",
    "create the Secret velero-credentials (and, for MinIO, platform-ca-bundle) on the target",
)
STORAGE_CLASS_MISSING = PreflightCheck(
    "SY723",
    "error",
    "A storage class the restore needs is missing on the target",
    "Restored PersistentVolumeClaims keep their storage class unless Velero's "
    "change-storage-class plugin maps it; a class the target does not have leaves the "
    "claims Pending. Map each source class to a class the target's storage provides "
    "(--storage-class-map OLD=NEW), or run a storage provider on the target.",
    "map the class with --storage-class-map OLD=NEW to a class the target has",
)
TARGET_OLDER = PreflightCheck(
    "SY724",
    "error",
    "The target runs an older Kubernetes than the source",
    "Velero restores objects as the source's API server stored them; an older API "
    "server may not serve those API versions or fields, and Velero documents restores "
    "only onto the same or a newer Kubernetes version. Upgrade the target first.",
    "upgrade the target's Kubernetes to at least the source's version first",
)
TARGET_MUCH_NEWER = PreflightCheck(
    "SY725",
    "warning",
    "The target runs a Kubernetes more than one minor version newer than the source",
    "APIs the source's objects use may have been removed in between (Kubernetes "
    "deprecates and removes beta APIs over a few minor releases); check the "
    "namespaces' manifests against the target's version before the restore.",
    "check the namespaces' API versions against the target's Kubernetes version",
)
CRDS_MISSING = PreflightCheck(
    "SY726",
    "warning",
    "API groups the source's components install are missing on the target",
    "Custom resources of a group whose CRDs the target lacks cannot be restored: Velero "
    "reports them as errors and skips them. Run the component that installs them on the "
    "target, or make sure the namespaces hold none of them.",
    "run the components that install them on the target, or move no such resources",
)
NEED_MISSING = PreflightCheck(
    "SY727",
    "error",
    "A component the namespaces' workloads need does not run on the target",
    "The spec says what the tenant's workloads rely on: the service mesh for a tenant "
    "in the mesh (mTLS and routing of its services), the API gateway for a tenant that "
    "publishes APIs. Restored into a cluster without it, the workloads start but are "
    "not reachable as before.",
    "run the component on the target cluster before the restore",
)
TENANT_NOT_PLACED = PreflightCheck(
    "SY728",
    "warning",
    "A migrated namespace is not a tenant namespace of the target cluster",
    "The GitOps tree renders a tenant's namespace, quota, limit range and policies only "
    "on the clusters in the tenant's clusters list. A restored namespace outside it is "
    "managed by nobody: add the target cluster to the tenant's clusters (and render) "
    "before the restore, and remove the source after the move.",
    "add the target cluster to the tenant's clusters and render before the restore",
)
FILE_SYSTEM_MOVE = PreflightCheck(
    "SY729",
    "info",
    "Volumes move by file-system backup instead of CSI snapshots",
    "A CSI snapshot belongs to the storage that took it: it cannot be restored into "
    "another CSI driver, provider or region. The migration backup therefore copies the "
    "volumes file by file with Velero's node agent (Kopia), which needs the pods that "
    "mount them running while the backup reads.",
    "keep the pods that mount the volumes running while the backup reads",
)
PREFLIGHT: tuple[PreflightCheck, ...] = (
    VELERO_MISSING,
    FOREIGN_STORE,
    STORAGE_CLASS_MISSING,
    TARGET_OLDER,
    TARGET_MUCH_NEWER,
    CRDS_MISSING,
    NEED_MISSING,
    TENANT_NOT_PLACED,
    FILE_SYSTEM_MOVE,
)
"""Every pre-flight finding ``migrate plan`` can report (docs/checks.md lists them)."""

NEEDS: tuple[tuple[str, str], ...] = (
    ("service-mesh", "the service mesh (the tenant's namespaces join it)"),
    ("api-gateway", "the API gateway (the tenant publishes APIs)"),
)
"""Capabilities a tenant's workloads can rely on, and why, in the order findings list them."""

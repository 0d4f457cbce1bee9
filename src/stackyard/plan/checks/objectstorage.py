"""Checks on where backups, metrics blocks and logs go: MinIO, S3 or an external store.

Components whose catalog entry's ``objectStore`` is ``required`` (Velero, Thanos and Mimir)
cannot work without an object store. On AWS it is S3 itself;
elsewhere it is the in-cluster MinIO or the spec's ``objectStorage``. Rendering never
invents an endpoint for a store that is not there: these checks stop the plan first.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.findings import Finding
from stackyard.plan.checks.base import CheckContext, Emit, check
from stackyard.plan.model import SpecPath

MINIO = "minio"


def _needing_a_store(context: CheckContext) -> list[str]:
    """Components with nowhere to keep their data without an object store.

    The catalog entries whose ``objectStore`` is ``required``.
    """
    return [
        c.name
        for c in context.catalog.object_store_users()
        if c.objectStore is not None and c.objectStore.required
    ]


def _minio_off_path(context: CheckContext) -> SpecPath:
    """Where the spec turned MinIO off, else the first cluster MinIO could run on."""
    for plan in context.clusters:
        decision = plan.decision(MINIO)
        if decision is not None and decision.forced and decision.path:
            return decision.path
    for plan in context.clusters:
        if plan.cluster.role in ("mgmt", "standalone"):
            return ("clusters", plan.index, "role")
    return ("components",)


@check("SY701", "Object-store consumers without an object store", "error")
def consumers_have_a_store(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Object-store consumers without an object store.

    Velero's backups, Thanos' and Mimir's metric blocks live in an S3-compatible object
    store. Off AWS that is the platform's MinIO; with MinIO disabled (``components.minio.enabled:
    false``) and no ``objectStorage`` section, they would have nowhere to write, and no
    endpoint is invented for them. Declare the external store (endpoint, region,
    credentials Secret, buckets) or turn MinIO back on.
    """
    platform = context.platform
    if platform.provider == "aws" or platform.objectStorage is not None:
        return
    if any(plan.has(MINIO) for plan in context.clusters):
        return
    needing = _needing_a_store(context)
    users = sorted({name for plan in context.clusters for name in needing if plan.has(name)})
    if not users:
        return
    yield emit(
        f"{', '.join(users)} need an object store, but MinIO does not run and the spec "
        "declares no objectStorage",
        _minio_off_path(context),
        hint="add objectStorage: {endpoint: https://s3.example.com, credentialsSecret: "
        "object-storage} or turn MinIO back on",
    )


@check("SY702", "External object store incomplete off AWS", "error")
def external_store_complete(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """External object store incomplete off AWS.

    Without ``endpoint`` the external store is AWS S3 and without ``credentialsSecret``
    its consumers sign in with the nodes' IAM role or IRSA; both exist only on AWS. On
    premises and on local VMs the store needs its URL and a Secret with its keys.
    """
    platform = context.platform
    store = platform.objectStorage
    if store is None or platform.provider == "aws":
        return
    if store.endpoint is None:
        yield emit(
            f"objectStorage has no endpoint; provider {platform.provider} has no AWS S3",
            ("objectStorage",),
            hint="add endpoint: https://s3.example.com",
            key=True,
        )
    if store.credentialsSecret is None:
        yield emit(
            f"objectStorage has no credentialsSecret; provider {platform.provider} has no "
            "node IAM role to sign in with",
            ("objectStorage",),
            hint="add credentialsSecret: object-storage (a Secret with AWS_ACCESS_KEY_ID, "
            "AWS_SECRET_ACCESS_KEY and cloud in each consumer's namespace)",
            key=True,
        )


@check("SY703", "MinIO runs beside an external object store", "warning")
def minio_unused(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """MinIO runs beside an external object store.

    With ``objectStorage`` declared every consumer writes there and MinIO holds no
    platform bucket, so it only costs resources.
    """
    if context.platform.objectStorage is None:
        return
    running = [plan.name for plan in context.clusters if plan.has(MINIO)]
    if running:
        yield emit(
            f"MinIO runs on {', '.join(running)} but every bucket is in objectStorage",
            ("objectStorage",),
            hint="set components.minio.enabled: false",
            key=True,
        )

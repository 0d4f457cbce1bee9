"""Where a cluster's etcd snapshots are copied off its control-plane nodes (backup tier L1).

A snapshot kept only on the node that took it is lost with that node, the very disaster
it is for, so both distributions copy every snapshot to the platform's object store, in
one layout: bucket ``etcdSnapshots`` of the store, folder ``<cluster>/``, objects
``etcd-snapshot-<node>-<unix time>``, the node's newest ``retention`` kept. RKE2 writes
them with its ``etcd-s3-*`` options (``render/bootstrap/rke2.py``), kubeadm's snapshot
CronJob with an S3 client (``render/manifests/etcd_backup.py``), and ``dr drill etcd
--from-s3`` reads them back from the same settings, so the three never disagree.

Which store, first match (:mod:`stackyard.render.objectstore` for the addressing):

- the spec's ``objectStorage``: its endpoint, region and addressing, its
  ``etcdSnapshots`` bucket, its ``credentialsSecret`` (in ``kube-system``), or without one
  the nodes' role;
- on AWS: S3 in the cluster's region, the control plane's instance profile, bucket
  ``<platform>-etcd-snapshots`` in the platform's region (``aws.region``, else the first
  cluster's) and ``<platform>-etcd-<region>`` in any other: a bucket lives in one region
  and its name is global, so a cluster in another region cannot reuse the first one's
  name with its own region (S3 would answer from the wrong region, and Terraform could
  not create a second bucket of that name);
- MinIO in the plan: bucket ``<platform>-etcd-snapshots`` in MinIO, over its in-cluster
  Service on the cluster that runs it, through that cluster's gateway
  (``https://minio.<domain>``, trusting the platform CA bundle) elsewhere. RKE2 reads this
  one from its ``etcd-s3-secret`` Secret; the kubeadm CronJob from the Secret
  :data:`MINIO_CREDENTIALS_SECRET`, keys ``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY``.

Without any of them nothing leaves the nodes (plan check SY701 already stops a platform
whose Velero has no store).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from stackyard.plan import ClusterPlan
from stackyard.render.addresses import public_host
from stackyard.render.context import RenderContext
from stackyard.render.objectstore import (
    DEFAULT_REGION,
    ETCD_SNAPSHOTS,
    ETCD_SNAPSHOTS_SUFFIX,
    bucket_name,
    external_store,
    object_store_url,
)
from stackyard.render.tree import RenderError

MINIO = "minio"
MINIO_CREDENTIALS_SECRET = "etcd-snapshot-s3"
"""The Secret in ``kube-system`` with MinIO keys for the kubeadm snapshot upload."""
OBJECT_PREFIX = "etcd-snapshot-"
"""Every copy's name starts so, then ``<node>-<unix time>`` (RKE2's own naming)."""

Via = Literal["external", "s3", "minio"]


@dataclass(frozen=True)
class SnapshotCopies:
    """The object store, bucket and folder a cluster's etcd snapshots are copied to."""

    via: Via
    url: str | None
    """The endpoint as the cluster reaches it; None is AWS S3 in :attr:`region`."""
    outside_url: str | None
    """The endpoint as an operator's machine reaches it (MinIO: through the gateway)."""
    region: str
    path_style: bool
    bucket: str
    folder: str
    credentials_secret: str | None
    """The Secret with the keys; None: the nodes' instance profile or role."""
    trusts_platform_ca: bool
    """Whether the endpoint's certificate is the platform CA's (MinIO behind a gateway)."""

    @property
    def host(self) -> str:
        """``host[:port]`` of :attr:`url`, as RKE2's ``etcd-s3-endpoint`` takes it."""
        if self.url is None:
            return f"s3.{self.region}.amazonaws.com"
        return urlsplit(self.url).netloc

    @property
    def insecure(self) -> bool:
        """Whether the endpoint is plain HTTP."""
        return self.url is not None and self.url.startswith("http://")


def etcd_bucket(context: RenderContext) -> str:
    """The platform's own etcd snapshot bucket, on S3 or MinIO: ``<platform>-etcd-snapshots``."""
    return bucket_name(context, ETCD_SNAPSHOTS_SUFFIX)


def _home_region(context: RenderContext) -> str | None:
    """The region whose bucket keeps the plain name: the platform's, else the first cluster's."""
    platform = context.platform
    if platform.aws is not None and platform.aws.region:
        return platform.aws.region
    own = (p.cluster.aws.region for p in context.plan.clusters if p.cluster.aws is not None)
    return next((region for region in own if region), None)


def s3_etcd_bucket(context: RenderContext, region: str) -> str:
    """The S3 bucket of the snapshot copies of the clusters in ``region`` (module docs)."""
    if region == _home_region(context):
        return etcd_bucket(context)
    return f"{context.platform.name}-etcd-{region}"


def snapshot_copies(context: RenderContext, cluster: ClusterPlan) -> SnapshotCopies | None:
    """Where ``cluster``'s etcd snapshots are copied (module docs); None: nowhere.

    Raises:
        RenderError: on AWS, a cluster with no region (neither its own nor the platform's).
    """
    platform = context.platform
    external = external_store(context)
    if external is not None:
        return SnapshotCopies(
            "external",
            external.url,
            external.url,
            external.region,
            external.path_style,
            external.bucket(ETCD_SNAPSHOTS),
            cluster.name,
            external.credentials_secret,
            False,
        )
    if platform.provider == "aws":
        own = cluster.cluster.aws
        region = (own.region if own is not None else None) or (
            platform.aws.region if platform.aws is not None else None
        )
        if not region:
            raise RenderError(f"cluster {cluster.name}: provider aws needs aws.region")
        return SnapshotCopies(
            "s3",
            None,
            None,
            region,
            False,
            s3_etcd_bucket(context, region),
            cluster.name,
            None,
            False,
        )
    if context.clusters_running(MINIO):
        url = object_store_url(context, cluster, MINIO)
        return SnapshotCopies(
            "minio",
            url,
            f"https://{public_host(context, MINIO)}",
            DEFAULT_REGION,
            True,
            etcd_bucket(context),
            cluster.name,
            MINIO_CREDENTIALS_SECRET,
            url.startswith("https://"),
        )
    return None

"""The external S3-compatible object store of the spec, as every consumer sees it.

Policy: when the spec declares ``objectStorage``, the catalog entries with an
``objectStore`` (Velero, Loki, Tempo, Thanos, Mimir) and RKE2 etcd snapshots write to it,
and only to it; MinIO, where it also runs, then holds
no platform bucket. Without the section, each consumer keeps its own default (the
in-cluster MinIO, S3 on AWS with the nodes' role, or its own volume); disabling MinIO
with nothing in its place is plan error SY701, never a silently invented endpoint.

Addressing: without ``endpoint`` the store is AWS S3 in ``region`` (default the
platform's ``aws.region``) with virtual-hosted buckets; with one, it is that URL with
path-style buckets unless ``pathStyle`` says otherwise, and an ``http://`` endpoint is
reached without TLS. Buckets default to ``<platform>-<bucketSuffix>`` (the entry's).

Credentials: ``credentialsSecret`` names a Secret the operator (or External Secrets)
creates in each consumer's namespace with the keys its entry's ``objectStore.keys`` lists:
``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY`` (read from the environment by the AWS
SDK and minio-go credential chains of Loki, Tempo, Thanos and Mimir) and ``cloud``, an AWS
credentials file, which Velero's BackupStorageLocation reads. Without it, consumers use the AWS
default chain: the node's instance profile or IRSA. Nothing secret is rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from stackyard.plan import ClusterPlan
from stackyard.render.addresses import public_host
from stackyard.render.context import RenderContext

Use = str
"""A field of the spec's ``objectStorage.buckets``: a catalog entry's ``objectStore.use``,
or ``etcdSnapshots``."""

DEFAULT_REGION = "us-east-1"
"""The region S3-compatible stores accept when they have none of their own."""

ENV_ACCESS_KEY = "AWS_ACCESS_KEY_ID"
ENV_SECRET_KEY = "AWS_SECRET_ACCESS_KEY"
VELERO_CREDENTIALS_KEY = "cloud"

ETCD_SNAPSHOTS = "etcdSnapshots"
"""The use of RKE2's etcd snapshot copies, which no catalog entry makes."""
ETCD_SNAPSHOTS_SUFFIX = "etcd-snapshots"
MINIO_PORT = 9000


@dataclass(frozen=True)
class ExternalStore:
    """The resolved ``objectStorage`` section."""

    url: str | None
    """The endpoint URL without a trailing slash; None is AWS S3 in :attr:`region`."""
    region: str
    path_style: bool
    credentials_secret: str | None
    buckets: dict[Use, str]

    @property
    def host(self) -> str:
        """``host[:port]`` of the endpoint, as Loki, Mimir, Tempo, Thanos and RKE2 take it."""
        if self.url is None:
            return f"s3.{self.region}.amazonaws.com"
        return urlsplit(self.url).netloc

    @property
    def insecure(self) -> bool:
        """Whether the endpoint is plain HTTP."""
        return self.url is not None and self.url.startswith("http://")

    @property
    def is_aws(self) -> bool:
        """Whether the store is AWS S3 itself (no endpoint given)."""
        return self.url is None

    def bucket(self, use: Use) -> str:
        """The bucket for ``use``."""
        return self.buckets[use]


def bucket_name(context: RenderContext, suffix: str) -> str:
    """The platform's own bucket for ``suffix``: ``<platform>-<suffix>``, on S3 or MinIO alike.

    Also the default of each ``objectStorage.buckets`` field the spec leaves out.
    """
    return f"{context.platform.name}-{suffix}"


def external_store(context: RenderContext) -> ExternalStore | None:
    """The spec's external object store, or None when the spec declares none."""
    platform = context.platform
    section = platform.objectStorage
    if section is None:
        return None
    url = section.endpoint.rstrip("/") if section.endpoint else None
    aws_region = platform.aws.region if platform.aws else None
    region = section.region or (aws_region if url is None else None) or DEFAULT_REGION
    path_style = section.pathStyle if section.pathStyle is not None else url is not None
    named = section.buckets.model_dump()
    suffixes = {
        c.objectStore.use: c.objectStore.bucketSuffix
        for c in context.catalog.object_store_users()
        if c.objectStore is not None
    }
    suffixes[ETCD_SNAPSHOTS] = ETCD_SNAPSHOTS_SUFFIX
    buckets: dict[Use, str] = {
        use: named[use] or bucket_name(context, suffix) for use, suffix in suffixes.items()
    }
    return ExternalStore(url, region, path_style, section.credentialsSecret, buckets)


def credentials_env_from(store: ExternalStore) -> list[dict[str, dict[str, str]]]:
    """``envFrom`` entries loading the store's credentials Secret, none without one."""
    if store.credentials_secret is None:
        return []
    return [{"secretRef": {"name": store.credentials_secret}}]


def object_store_url(context: RenderContext, cluster: ClusterPlan, provider: str) -> str:
    """The S3 endpoint of ``provider`` (MinIO) as seen from ``cluster``.

    Its in-cluster Service over HTTP on the cluster that runs it; elsewhere the serving
    cluster's gateway, ``https://<provider>.<domain>``, whose certificate the platform CA
    bundle vouches for (``render/manifests/endpoints.py``).
    """
    if cluster.has(provider):
        namespace = context.component(provider).namespace
        return f"http://{provider}.{namespace}.svc:{MINIO_PORT}"
    return f"https://{public_host(context, provider)}"

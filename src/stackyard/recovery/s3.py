"""etcd snapshots in S3-compatible object storage: where a cluster's are, and fetching one.

RKE2 copies every scheduled snapshot off its servers with its ``etcd-s3-*`` options, and
kubeadm's rendered snapshot CronJob uploads each of its snapshots in the same layout; the
drill reads them back through the same settings rather than retyped. For RKE2 they are
the render's own :func:`stackyard.render.bootstrap.rke2.server_config`: endpoint
(``http://`` when ``etcd-s3-insecure``), region, path-style addressing
(``etcd-s3-bucket-lookup-type: path``), bucket and folder ``<cluster>/``. For kubeadm
they are :func:`stackyard.render.etcd_copies.snapshot_copies`, which the CronJob's
upload is rendered from; a MinIO is reached through its gateway (``https://minio.<domain>``,
whose CA boto3 takes from ``AWS_CA_BUNDLE``), not the in-cluster Service the CronJob
uses. An RKE2 cluster whose copies go to MinIO through the ``etcd-s3-secret`` Secret (its
endpoint is in the Secret, not in the spec), and a cluster whose snapshots are copied
nowhere, are refused with what to do instead.

Credentials are never options: boto3's own chain reads ``AWS_ACCESS_KEY_ID`` and
``AWS_SECRET_ACCESS_KEY`` (the keys the spec's ``credentialsSecret`` holds),
``AWS_PROFILE`` or the machine's role. Without a spec, the endpoint and region are
boto3's defaults too (``AWS_ENDPOINT_URL``, ``AWS_REGION``).

Without a key, the newest object under the prefix is the snapshot, by ``LastModified``:
RKE2 names its snapshots ``etcd-snapshot-<node>-<unix time>`` and keeps metadata
objects in a ``.metadata/`` folder beside them, which are skipped, as are folder
markers. The object is downloaded into a folder the caller owns (its temporary folder),
never anywhere else; a failure removes what was written. Every failure (no endpoint
answering, no such bucket or key, access denied, credentials refused) is an
:class:`~stackyard.errors.InputError` naming the object and what to check.
"""

from __future__ import annotations

import dataclasses
import datetime
import shlex
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import boto3
import botocore.config
import botocore.exceptions

from stackyard.errors import COMMAND_LINE, InputError, Location, Problem
from stackyard.plan import ClusterPlan
from stackyard.recovery.etcd import DrillReport, Step
from stackyard.render.bootstrap.rke2 import ETCD_S3_SECRET, server_config
from stackyard.render.context import RenderContext
from stackyard.render.etcd_copies import etcd_bucket, snapshot_copies
from stackyard.render.objectstore import external_store

if TYPE_CHECKING:
    from types_boto3_s3.client import S3Client

SCHEME = "s3://"
METADATA_FOLDER = ".metadata"
"""Where RKE2 keeps a metadata object per snapshot, next to the snapshots."""
CHUNK = 1 << 20
CONNECT_SECONDS = 5
READ_SECONDS = 60


@dataclass(frozen=True)
class S3Url:
    """``s3://bucket/key``, or a prefix (empty or ending in ``/``) to take the newest from."""

    bucket: str
    key: str

    @property
    def is_prefix(self) -> bool:
        """Whether this names a folder, not an object."""
        return self.key == "" or self.key.endswith("/")

    def __str__(self) -> str:
        return f"{SCHEME}{self.bucket}/{self.key}"


def is_s3_url(text: str) -> bool:
    """Whether ``text`` names an object-store location rather than a file."""
    return text.startswith(SCHEME)


def parse_s3_url(text: str, option: str) -> S3Url:
    """``s3://bucket/key`` (or ``s3://bucket/prefix/``) split into bucket and key.

    Raises:
        InputError: not an ``s3://`` URL with a bucket.
    """
    bucket, _, key = text.removeprefix(SCHEME).partition("/")
    if not is_s3_url(text) or not bucket:
        raise InputError(
            [
                Problem(
                    Location(text),
                    option,
                    "is not an s3://BUCKET/KEY URL",
                    "e.g. s3://backups/prod/etcd-snapshot-prod-cp-0-1764806400, or a folder "
                    "ending in / for its newest snapshot",
                )
            ]
        )
    return S3Url(bucket, key)


@dataclass(frozen=True)
class StoreSettings:
    """How to reach the object store: what boto3 is given beyond its own defaults."""

    endpoint_url: str | None = None
    """None: boto3's default (AWS S3, or ``AWS_ENDPOINT_URL``)."""
    region: str | None = None
    path_style: bool = False


@dataclass(frozen=True)
class ClusterSnapshots:
    """Where a cluster's etcd snapshots are copied: the store and the folder."""

    settings: StoreSettings
    folder: S3Url


@dataclass(frozen=True)
class S3Object:
    """The object a drill restored: where it was and which version of it."""

    endpoint: str
    bucket: str
    key: str
    etag: str
    version_id: str | None
    size: int
    last_modified: datetime.datetime | None
    seconds: float
    """How long the download took."""

    @property
    def url(self) -> str:
        """``s3://bucket/key``."""
        return str(S3Url(self.bucket, self.key))

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "endpoint": self.endpoint,
            "bucket": self.bucket,
            "key": self.key,
            "etag": self.etag,
            "versionId": self.version_id,
            "size": self.size,
            "lastModified": None
            if self.last_modified is None
            else self.last_modified.isoformat(timespec="seconds"),
            "downloadSeconds": round(self.seconds, 3),
        }


def cluster_snapshots(
    context: RenderContext, cluster: ClusterPlan, option: str
) -> ClusterSnapshots:
    """The store and folder ``cluster``'s etcd snapshots are copied to, as rendered.

    Raises:
        InputError: the cluster's snapshots are not copied to a store the spec describes.
    """
    if context.platform.kubernetes.distribution == "kubeadm":
        copies = snapshot_copies(context, cluster)
        if copies is None:
            raise _refused(
                option,
                f"cluster {cluster.name}'s etcd snapshots are not copied to object storage "
                "(the spec declares no objectStorage, the platform is not on AWS and runs "
                "no MinIO): its snapshot CronJob keeps them on the control-plane node",
                "copy one off the node and pass --snapshot FILE",
            )
        settings = StoreSettings(copies.outside_url, copies.region, copies.path_style)
        return ClusterSnapshots(settings, S3Url(copies.bucket, f"{copies.folder}/"))
    config = server_config(context, cluster)
    return _from_options(config, cluster.name, etcd_bucket(context), option)


def _from_options(
    config: Mapping[str, Any], cluster: str, minio_bucket: str, option: str
) -> ClusterSnapshots:
    if not config.get("etcd-s3"):
        raise _refused(
            option,
            f"cluster {cluster}'s etcd snapshots are not copied to object storage (the spec "
            "declares no objectStorage, the platform is not on AWS and runs no MinIO)",
            "drill from a snapshot file on a server: --snapshot FILE",
        )
    if "etcd-s3-endpoint" not in config:
        raise _refused(
            option,
            f"cluster {cluster} copies its snapshots to MinIO through the Secret "
            f"{ETCD_S3_SECRET}, whose endpoint the spec does not hold",
            f"pass --snapshot s3://{minio_bucket}/{cluster}/ with MinIO's S3 URL in "
            "AWS_ENDPOINT_URL",
        )
    scheme = "http" if config.get("etcd-s3-insecure") else "https"
    settings = StoreSettings(
        endpoint_url=f"{scheme}://{config['etcd-s3-endpoint']}",
        region=config.get("etcd-s3-region"),
        path_style=config.get("etcd-s3-bucket-lookup-type") == "path",
    )
    return ClusterSnapshots(
        settings, S3Url(config["etcd-s3-bucket"], f"{config['etcd-s3-folder']}/")
    )


def store_settings(context: RenderContext, cluster: ClusterPlan | None) -> StoreSettings:
    """How the spec reaches its object store: its ``objectStorage``, else S3 on AWS.

    The endpoint, region and addressing of ``objectStorage`` (what every consumer and
    RKE2's ``etcd-s3-*`` options use); without it on AWS, S3 in the cluster's region (or
    the platform's); elsewhere boto3's defaults.
    """
    store = external_store(context)
    if store is not None:
        return StoreSettings(store.url, store.region, store.path_style)
    platform = context.platform
    if platform.provider == "aws":
        own = cluster.cluster.aws if cluster is not None else None
        region = own.region if own is not None and own.region else None
        return StoreSettings(None, region or (platform.aws.region if platform.aws else None))
    return StoreSettings()


def attach(report: DrillReport, source: S3Object) -> DrillReport:
    """``report`` of a drill from a downloaded snapshot, naming the object it came from.

    The download becomes the first step, the equivalent ``aws`` command the first command,
    and the snapshot's file its ``s3://`` URL (the downloaded copy is gone with the drill).
    """
    command = ["aws", "s3api", "get-object", "--bucket", source.bucket, "--key", source.key]
    if source.version_id:
        command += ["--version-id", source.version_id]
    if source.endpoint.startswith(("http://", "https://")):
        command += ["--endpoint-url", source.endpoint]
    command.append(PurePosixPath(source.key).name)
    step = Step(
        "download",
        source.seconds,
        True,
        f"{source.url} from {source.endpoint}: {source.size} bytes, ETag {source.etag}",
    )
    snapshot = report.snapshot
    if snapshot is not None:
        snapshot = dataclasses.replace(snapshot, file=source.url)
    return dataclasses.replace(
        report,
        s3=source,
        snapshot=snapshot,
        steps=(step, *report.steps),
        commands=(shlex.join(command), *report.commands),
    )


def fetch_snapshot(
    settings: StoreSettings, where: S3Url, folder: Path, option: str
) -> tuple[Path, S3Object]:
    """Download ``where`` (the newest object under it, for a prefix) into ``folder``.

    Returns the file (named after the object) and what was downloaded.

    Raises:
        InputError: the store does not answer, the bucket or object does not exist, access
            is denied, the credentials are refused, or the file cannot be written.
    """
    client = _client(settings)
    fetch = _Fetch(client, option)
    began = time.monotonic()
    key = fetch.newest(where) if where.is_prefix else where.key
    target = folder / (PurePosixPath(key).name or "snapshot.db")
    try:
        answer = fetch.download(where.bucket, key, target)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target, S3Object(
        endpoint=fetch.endpoint,
        bucket=where.bucket,
        key=key,
        etag=str(answer.get("ETag", "")).strip('"'),
        version_id=answer.get("VersionId"),
        size=target.stat().st_size,
        last_modified=answer.get("LastModified"),
        seconds=time.monotonic() - began,
    )


def _client(settings: StoreSettings) -> S3Client:
    config = botocore.config.Config(
        connect_timeout=CONNECT_SECONDS,
        read_timeout=READ_SECONDS,
        # One retry: a store that is down should say so in seconds, not after a back-off.
        retries={"max_attempts": 2, "mode": "standard"},
        s3={"addressing_style": "path" if settings.path_style else "auto"},
    )
    return boto3.session.Session().client(
        "s3", endpoint_url=settings.endpoint_url, region_name=settings.region, config=config
    )


class _Fetch:
    """The S3 calls, each turning the store's refusal into a sentence about the object."""

    def __init__(self, client: S3Client, option: str) -> None:
        self.client = client
        self.option = option
        # The URL boto3 settled on (the spec's, AWS_ENDPOINT_URL, or AWS S3's own).
        self.endpoint = client.meta.endpoint_url

    def newest(self, where: S3Url) -> str:
        newest: tuple[datetime.datetime, str] | None = None
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=where.bucket, Prefix=where.key
            )
            for page in pages:
                for entry in page.get("Contents", []):
                    key = entry["Key"]
                    if key.endswith("/") or METADATA_FOLDER in PurePosixPath(key).parts:
                        continue
                    candidate = (entry["LastModified"], key)
                    if newest is None or candidate > newest:
                        newest = candidate
        except botocore.exceptions.BotoCoreError as e:
            raise self._failed(where, e, listing=True) from None
        except botocore.exceptions.ClientError as e:
            raise self._failed(where, e, listing=True) from None
        if newest is None:
            raise _problem(
                where,
                self.option,
                f"holds no snapshot at {self.endpoint}",
                "check the bucket and folder, and that snapshots are being copied there",
            )
        return newest[1]

    def download(self, bucket: str, key: str, target: Path) -> Mapping[str, Any]:
        """Stream the object into ``target``; the GET's answer (ETag, version, time)."""
        where = S3Url(bucket, key)
        # One GET, not HEAD then GET: its answer is the object written, and unlike HEAD's
        # bare status codes its error names the cause (NoSuchBucket, InvalidAccessKeyId).
        try:
            answer = self.client.get_object(Bucket=bucket, Key=key)
            with target.open("xb") as out:
                for chunk in answer["Body"].iter_chunks(CHUNK):
                    out.write(chunk)
        except botocore.exceptions.ClientError as e:
            raise self._failed(where, e) from None
        except botocore.exceptions.BotoCoreError as e:
            raise self._failed(where, e) from None
        except OSError as e:
            raise _problem(
                where, self.option, f"cannot be written to {target}: {e.strerror or e}"
            ) from None
        return answer

    def _failed(
        self,
        where: S3Url,
        error: botocore.exceptions.BotoCoreError | botocore.exceptions.ClientError,
        *,
        listing: bool = False,
    ) -> InputError:
        store = self.endpoint
        if isinstance(error, botocore.exceptions.NoCredentialsError):
            return _problem(
                where,
                self.option,
                "no credentials for the object store",
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the keys of the spec's "
                "objectStorage.credentialsSecret) or AWS_PROFILE",
            )
        if isinstance(error, botocore.exceptions.BotoCoreError):
            return _problem(
                where,
                self.option,
                f"the object store {store} does not answer: {error}",
                "check the endpoint and that it is reachable from here",
            )
        code = _code(error)
        if code in ("NoSuchBucket",) or (listing and code in ("404", "NotFound")):
            return _problem(
                where,
                self.option,
                f"bucket {where.bucket} does not exist at {store}",
                "check the bucket name (objectStorage.buckets.etcdSnapshots in the spec)",
            )
        if code in ("404", "NoSuchKey", "NotFound"):
            return _problem(
                where,
                self.option,
                f"no such object in bucket {where.bucket} at {store}",
                "list the folder, or give the folder ending in / for its newest snapshot",
            )
        if code in ("403", "AccessDenied", "Forbidden"):
            needs = "s3:ListBucket" if listing else "s3:GetObject"
            return _problem(
                where,
                self.option,
                f"access denied by {store}",
                f"the credentials in use need {needs} on it",
            )
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken"):
            return _problem(
                where,
                self.option,
                f"{store} refused the credentials ({code})",
                "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or AWS_PROFILE",
            )
        message = error.response.get("Error", {}).get("Message") or str(error)
        return _problem(where, self.option, f"{store} answered {code}: {message}")


def _code(error: botocore.exceptions.ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _problem(where: S3Url, option: str, message: str, hint: str = "") -> InputError:
    return InputError([Problem(Location(str(where)), option, message, hint)])


def _refused(option: str, message: str, hint: str) -> InputError:
    return InputError([Problem(COMMAND_LINE, option, message, hint)])

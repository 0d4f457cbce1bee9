"""Create a bundle: charts, images and the GitOps repository in one signed archive.

A bundle is one uncompressed tar (its blobs are compressed already) whose members are,
in order: ``bundle.json`` (the manifest), ``bundle.json.sig`` (an Ed25519 signature over
the manifest's exact bytes), then a standard OCI image layout (``oci-layout``,
``index.json``, ``blobs/sha256/<hex>``). Untarred, it is a layout that any OCI tool reads.

What goes in, each as a top-level manifest of the layout:

* every chart archive of a chart store (``*.tgz``) as Helm stores a chart in a registry
  (config ``application/vnd.cncf.helm.config.v1+json``, one layer
  ``application/vnd.cncf.helm.chart.content.v1.tar+gzip``), named ``charts/<name>:<version>``;
* every image of the given OCI layouts, copied blob by blob with its digest checked,
  or, for a blob ``images pull`` checked and whose file has not changed since, on the
  word of the layout's verification record (:mod:`stackyard.delivery.verified`);
* the Git repository holding the rendered tree, as ``git bundle create --all``, one layer
  of an artifact whose config records the commit it was made at.

The manifest lists every artifact (reference, source, media type, digest, size,
platforms) and every blob with the artifacts that use it. With a base bundle
(``--since``), blobs already stored in the base are listed but not written, marked as
living in the base, which is named by its manifest's digest.

Policy: every source is read first (manifests and configs checked, charts and the Git
bundle hashed for their digests); the free space is checked against the archive's exact
size before a byte is written; the archive is written to a temporary name beside the
target and renamed into place only when complete, so a failure leaves nothing behind.

Every blob read from a file is hashed as it is copied and refused unless it matches its
digest, except an image blob the layout's verification record vouches for: the file
that was checked, with the same device, inode, size, mtime and ctime. That one is
copied without passing through a hash, and its file must still be in that state once
copied. ``rehash`` ignores the records. The blobs create hashed itself are added to
their layout's record afterwards, when the layout's writer lock is free at once and the
layout writable; otherwise the record is left as it is (:func:`stackyard.delivery.
verified.add_verified_if_free`).
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

from stackyard import __version__
from stackyard.delivery.layout import (
    CHUNK,
    INDEX_FILE,
    INDEX_TYPES,
    LAYOUT_FILE,
    LAYOUT_VERSION,
    MANIFEST_MEDIA_TYPE,
    MANIFEST_TYPES,
    REF_NAME,
    Descriptor,
    HashingReader,
    Layout,
    LayoutError,
    config_platform,
    index_bytes,
    json_bytes,
    narrowed_index,
    platform_matches,
    sha256_digest,
)
from stackyard.delivery.signing import load_private_key, sign
from stackyard.delivery.verified import (
    FileKey,
    VerificationRecord,
    add_verified_if_free,
    file_key,
    filesystem_clock,
)
from stackyard.errors import COMMAND_LINE, InputError, Location, Problem
from stackyard.progress import Progress, no_progress
from stackyard.versioning import schema_id

MANIFEST_FILE = "bundle.json"
SIGNATURE_FILE = "bundle.json.sig"

CHART_CONFIG = "application/vnd.cncf.helm.config.v1+json"
CHART_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
GIT_ARTIFACT = "application/vnd.stackyard.gitops.v1"
GITOPS_REF_PREFIX = "gitops/"
"""The ref-name prefix of the GitOps repository's artifact: it goes to Git, not the registry."""
GIT_CONFIG = "application/vnd.stackyard.gitops.config.v1+json"
GIT_LAYER = "application/vnd.stackyard.gitops.bundle.v1"
"""A ``git bundle`` file: every ref and object of the GitOps repository."""

MAX_CHART_YAML = 1 << 20

IN_BUNDLE = "bundle"
IN_BASE = "base"


class BundleError(InputError):
    """A bundle that cannot be made or trusted: the one problem found, naming the artifact."""

    def __init__(self, where: Path | str, field: str, message: str, hint: str = "") -> None:
        """Keep the problem, located at the bundle (or input) file."""
        super().__init__([Problem(Location(str(where)), field, message, hint)])


@dataclass(frozen=True)
class Artifact:
    """One top-level manifest of the bundle: a chart, an image or the GitOps repository."""

    kind: str
    reference: str
    source: str
    manifest: Descriptor
    platforms: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The artifact's entry in the manifest."""
        return {
            "kind": self.kind,
            "reference": self.reference,
            "source": self.source,
            "mediaType": self.manifest.media_type,
            "digest": self.manifest.digest,
            "size": self.manifest.size,
            "platforms": list(self.platforms),
        }


@dataclass
class _Blob:
    descriptor: Descriptor
    data: bytes | None = None
    path: Path | None = None
    used_by: list[str] = field(default_factory=list)
    record: VerificationRecord | None = None
    """The verification record of the layout the blob is read from (empty when rehashing)."""

    @contextmanager
    def open(self) -> Iterator[tuple[IO[bytes], os.stat_result | None]]:
        """The blob's bytes, and the state of its file (None for bytes made here)."""
        if self.data is not None:
            yield io.BytesIO(self.data), None
            return
        assert self.path is not None
        try:
            stream = self.path.open("rb")
            status = os.fstat(stream.fileno())
        except OSError as e:
            raise BundleError(self.path, self.descriptor.digest, f"cannot be read: {e}") from e
        with stream:
            yield stream, status


@dataclass(frozen=True)
class BundleRequest:
    """What to pack: the rendered tree, where to write, the signing key and the sources."""

    rendered: Path
    target: Path
    key: Path
    charts: Path | None = None
    images: tuple[Path, ...] = ()
    since: Path | None = None
    platforms: tuple[str, ...] = ()
    """``os/arch[/variant]`` of the images to carry; empty: every platform an image has."""
    pinned: frozenset[str] = frozenset()
    """Digests the rendered tree or the node image lists pin: such an index is carried whole."""
    rehash: bool = False
    """Hash every image blob, whatever the layouts' verification records vouch for."""


@dataclass(frozen=True)
class CreatedBundle:
    """What :func:`create_bundle` wrote."""

    path: Path
    manifest_digest: str
    artifacts: tuple[Artifact, ...]
    blobs_written: int
    blobs_in_base: int
    size: int
    base: str | None
    blobs_hashed: int = 0
    """Blobs read from files (layouts, chart store, Git bundle) and hashed as they were copied."""
    blobs_trusted: int = 0
    """Image blobs copied on the word of their layout's verification record, unhashed."""


class _Collector:
    """The blobs and artifacts gathered so far, each blob once."""

    def __init__(self) -> None:
        self.blobs: dict[str, _Blob] = {}
        self.artifacts: list[Artifact] = []

    def add(self, blob: _Blob, reference: str) -> None:
        kept = self.blobs.setdefault(blob.descriptor.digest, blob)
        if kept.descriptor.size != blob.descriptor.size:
            raise BundleError(
                str(blob.path or reference),
                blob.descriptor.digest,
                f"size {blob.descriptor.size} differs from {kept.descriptor.size} elsewhere",
            )
        if reference not in kept.used_by:
            kept.used_by.append(reference)

    def add_json(self, document: Any, media_type: str, reference: str) -> Descriptor:
        data = json_bytes(document)
        descriptor = Descriptor(media_type, sha256_digest(data), len(data))
        self.add(_Blob(descriptor, data=data), reference)
        return descriptor


def create_bundle(request: BundleRequest, progress: Progress = no_progress) -> CreatedBundle:
    """Pack the charts, images and GitOps repository into one signed bundle.

    Raises:
        InputError: a source that is unreadable or inconsistent, a rendered tree outside
            Git, a key that is not Ed25519, too little free space: nothing is written.
    """
    key = load_private_key(request.key)
    collected = _Collector()
    if request.charts is not None:
        _collect_charts(collected, request.charts)
    for layout in request.images:
        record = (
            VerificationRecord(layout, {}) if request.rehash else VerificationRecord.read(layout)
        )
        _collect_images(collected, layout, request.platforms, request.pinned, record)
    with tempfile.TemporaryDirectory(prefix="stackyard-bundle-") as scratch:
        _collect_repository(collected, request.rendered, Path(scratch))
        base = _read_base(request.since) if request.since is not None else None
        index = index_bytes([a.manifest for a in collected.artifacts])
        in_base = set(base[1]) if base is not None else set()
        manifest = json_bytes(_manifest(collected, index, base[0] if base else None, in_base))
        members = [
            (MANIFEST_FILE, _Blob(_plain(manifest), data=manifest)),
            (SIGNATURE_FILE, _Blob(_plain(sig := sign(key, manifest)), data=sig)),
            (LAYOUT_FILE, _Blob(_plain(lf := _layout_marker()), data=lf)),
            (INDEX_FILE, _Blob(_plain(index), data=index)),
        ]
        written = [b for d, b in sorted(collected.blobs.items()) if d not in in_base]
        members += [(f"blobs/sha256/{b.descriptor.hex}", b) for b in written]
        size = _check_space(request.target, members)
        reading = _Reading(_clocks(request.images))
        _write_archive(request.target, members, progress, reading)
    for root, checked in reading.checked.items():
        add_verified_if_free(root, checked, reading.clocks[root])
    return CreatedBundle(
        path=request.target,
        manifest_digest=sha256_digest(manifest),
        artifacts=tuple(collected.artifacts),
        blobs_written=len(written),
        blobs_in_base=len(collected.blobs) - len(written),
        size=size,
        base=base[0] if base else None,
        blobs_hashed=reading.hashed,
        blobs_trusted=reading.trusted,
    )


def _plain(data: bytes) -> Descriptor:
    return Descriptor("", sha256_digest(data), len(data))


def _layout_marker() -> bytes:
    return json_bytes({"imageLayoutVersion": LAYOUT_VERSION})


def _manifest(
    collected: _Collector, index: bytes, base: str | None, in_base: set[str]
) -> dict[str, Any]:
    return {
        "schema": schema_id("bundle"),
        "created": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "generator": f"stackyard {__version__}",
        "index": {"digest": sha256_digest(index), "size": len(index)},
        "base": {"manifestDigest": base} if base else None,
        "artifacts": [a.as_dict() for a in collected.artifacts],
        "blobs": [
            {
                "digest": digest,
                "size": blob.descriptor.size,
                "mediaType": blob.descriptor.media_type,
                "in": IN_BASE if digest in in_base else IN_BUNDLE,
                "artifacts": blob.used_by,
            }
            for digest, blob in sorted(collected.blobs.items())
        ],
    }


def _collect_charts(collected: _Collector, store: Path) -> None:
    if not store.is_dir():
        raise BundleError(store, "--charts", "is not a folder of chart archives")
    archives = sorted(store.glob("*.tgz"))
    if not archives:
        raise BundleError(store, "--charts", "holds no chart archive (*.tgz)")
    for archive in archives:
        metadata = _chart_metadata(archive)
        reference = f"charts/{metadata['name']}:{metadata['version']}"
        layer = _file_descriptor(archive, CHART_LAYER)
        collected.add(_Blob(layer, path=archive), reference)
        config = collected.add_json(metadata, CHART_CONFIG, reference)
        manifest = collected.add_json(
            {
                "schemaVersion": 2,
                "mediaType": MANIFEST_MEDIA_TYPE,
                "config": config.as_dict(),
                "layers": [layer.as_dict()],
            },
            MANIFEST_MEDIA_TYPE,
            reference,
        )
        top = Descriptor(
            manifest.media_type, manifest.digest, manifest.size, annotations={REF_NAME: reference}
        )
        collected.artifacts.append(Artifact("chart", reference, archive.name, top))


def _chart_metadata(archive: Path) -> dict[str, Any]:
    """The chart's ``Chart.yaml`` as the JSON Helm stores as the artifact's config."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                parts = member.name.split("/")
                if len(parts) == 2 and parts[1] == "Chart.yaml" and member.isfile():
                    if member.size > MAX_CHART_YAML:
                        break
                    stream = tar.extractfile(member)
                    assert stream is not None
                    metadata = yaml.safe_load(stream.read())
                    break
            else:
                metadata = None
    except (OSError, tarfile.TarError, EOFError, yaml.YAMLError) as e:
        raise BundleError(archive, "", f"is not a readable chart archive: {e}") from e
    if not isinstance(metadata, dict) or not metadata.get("name") or not metadata.get("version"):
        raise BundleError(archive, "Chart.yaml", "has no chart name and version")
    return {str(k): v for k, v in metadata.items()}


def _file_descriptor(path: Path, media_type: str) -> Descriptor:
    hasher = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(CHUNK):
                hasher.update(chunk)
                size += len(chunk)
    except OSError as e:
        raise BundleError(path, "", f"cannot be read: {e.strerror}") from e
    return Descriptor(media_type, "sha256:" + hasher.hexdigest(), size)


def _collect_images(
    collected: _Collector,
    root: Path,
    platforms: tuple[str, ...],
    pinned: frozenset[str],
    record: VerificationRecord | None,
) -> None:
    layout = Layout.open(root)
    tops = layout.manifests()
    if not tops:
        raise BundleError(root / INDEX_FILE, "manifests", "names no image")
    for top in tops:
        reference = top.reference
        if not reference:
            raise BundleError(
                root / INDEX_FILE,
                top.digest,
                f"names no image: it has no {REF_NAME} annotation",
            )
        kept, roots = _chosen(layout, top, reference, platforms, pinned, collected)
        found: list[str] = []
        for start in roots:
            for descriptor in layout.walk(start):
                path = layout.blob_path(descriptor.digest)
                blob = _Blob(descriptor, path=path, record=record)
                collected.add(blob, reference)
                found.extend(_platforms(layout, descriptor))
        if platforms and not any(platform_matches(name, platforms) for name in found):
            raise BundleError(
                root / INDEX_FILE,
                reference,
                f"is built for {', '.join(sorted(set(found))) or 'no platform'}, "
                f"none of {', '.join(platforms)}",
            )
        source = f"{root.name}@{top.digest}"
        collected.artifacts.append(
            Artifact("image", reference, source, kept, tuple(sorted(set(found))))
        )


def _chosen(
    layout: Layout,
    top: Descriptor,
    reference: str,
    platforms: tuple[str, ...],
    pinned: frozenset[str],
    collected: _Collector,
) -> tuple[Descriptor, list[Descriptor]]:
    """The image's top manifest and where to walk from, keeping only the chosen platforms.

    An index listing other platforms too is rewritten to list only the chosen ones
    (:func:`narrowed_index`); the source keeps the original's digest. An index pinned by
    digest is carried whole, every platform's blobs with it, as ``images pull`` keeps it.
    """
    if not platforms or top.media_type not in INDEX_TYPES:
        return top, [top]
    narrowed = narrowed_index(top, json.loads(layout.read_blob(top)), platforms, pinned)
    if narrowed is None:
        return top, [top]  # nothing to leave out, pinned, or nothing chosen (caller refuses)
    index, data, kept = narrowed
    collected.add(_Blob(index, data=data), reference)
    return index, kept


def _platforms(layout: Layout, descriptor: Descriptor) -> list[str]:
    """The platform an image manifest is for, read from its config."""
    if descriptor.media_type not in MANIFEST_TYPES:
        return []
    config = layout.children(descriptor)[0]
    try:
        name = config_platform(json.loads(layout.read_blob(config)))
    except ValueError:
        return []
    return [name] if name else []


def _collect_repository(collected: _Collector, rendered: Path, scratch: Path) -> None:
    if not rendered.is_dir():
        raise BundleError(rendered, "RENDERED", "is not a folder")
    top = _git(rendered, "rev-parse", "--show-toplevel").decode().strip()
    head = _git(rendered, "rev-parse", "HEAD").decode().strip()
    bundle = scratch / "repository.bundle"
    _git(rendered, "bundle", "create", "--quiet", str(bundle), "--all")
    reference = f"{GITOPS_REF_PREFIX}{Path(top).name}:{head[:12]}"
    layer = _file_descriptor(bundle, GIT_LAYER)
    collected.add(_Blob(layer, path=bundle), reference)
    config = collected.add_json({"head": head}, GIT_CONFIG, reference)
    manifest = collected.add_json(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST_MEDIA_TYPE,
            "artifactType": GIT_ARTIFACT,
            "config": config.as_dict(),
            "layers": [layer.as_dict()],
        },
        MANIFEST_MEDIA_TYPE,
        reference,
    )
    top_descriptor = Descriptor(
        manifest.media_type,
        manifest.digest,
        manifest.size,
        annotations={REF_NAME: reference},
        artifact_type=GIT_ARTIFACT,
    )
    collected.artifacts.append(Artifact("repository", reference, str(rendered), top_descriptor))


def _git(folder: Path, *args: str) -> bytes:
    try:
        result = subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            # One pack thread makes the same repository give the same bundle bytes, so a
            # differential bundle of an unchanged repository leaves its Git bundle in the base.
            env={
                **os.environ,
                "LC_ALL": "C",
                "GIT_CONFIG_COUNT": "1",
                "GIT_CONFIG_KEY_0": "pack.threads",
                "GIT_CONFIG_VALUE_0": "1",
            },
            check=False,
        )
    except OSError as e:
        raise BundleError(folder, "RENDERED", f"cannot run git: {e.strerror or e}") from e
    if result.returncode != 0:
        cause = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise BundleError(
            folder,
            "RENDERED",
            f"git {args[0]} failed: {cause[0] if cause else 'no message'}",
            "the GitOps repository must be a Git repository with a commit; render with --commit",
        )
    return result.stdout


def _read_base(path: Path) -> tuple[str, list[str]]:
    """The base bundle's manifest digest and the blobs stored in it."""
    try:
        with tarfile.open(path, "r|") as tar:
            member = tar.next()
            if member is None or member.name != MANIFEST_FILE:
                raise BundleError(path, "--since", f"does not begin with {MANIFEST_FILE}")
            stream = tar.extractfile(member)
            assert stream is not None
            data = stream.read()
    except (OSError, tarfile.TarError, EOFError) as e:
        raise BundleError(path, "--since", f"is not a readable bundle: {e}") from e
    try:
        document = json.loads(data)
        blobs = [b["digest"] for b in document["blobs"] if b["in"] == IN_BUNDLE]
    except (ValueError, KeyError, TypeError) as e:
        raise BundleError(path, "--since", f"has a malformed {MANIFEST_FILE}") from e
    return sha256_digest(data), blobs


def archive_size(members: list[tuple[str, _Blob]]) -> int:
    """The exact size of the tar :func:`_write_archive` writes for these members."""
    size = sum(512 + -(-blob.descriptor.size // 512) * 512 for _, blob in members)
    size += 1024  # two zero blocks end the archive
    return -(-size // tarfile.RECORDSIZE) * tarfile.RECORDSIZE


def _check_space(target: Path, members: list[tuple[str, _Blob]]) -> int:
    size = archive_size(members)
    folder = target.absolute().parent
    try:
        free = shutil.disk_usage(folder).free
    except OSError as e:
        raise BundleError(folder, "BUNDLE", f"cannot be written: {e.strerror}") from e
    if free < size:
        raise BundleError(
            target,
            "BUNDLE",
            f"needs {size} bytes but {folder} has {free} free; nothing was written",
        )
    return size


@dataclass
class _Reading:
    """What writing the archive learnt of its sources: how each blob was checked."""

    clocks: dict[Path, int]
    """Each writable layout's file-system clock, read before any of its blobs was."""
    hashed: int = 0
    trusted: int = 0
    checked: dict[Path, dict[str, FileKey]] = field(default_factory=dict)
    """Per layout: the blobs hashed here and the unchanged state of their files."""


def _clocks(layouts: tuple[Path, ...]) -> dict[Path, int]:
    clocks = {}
    for root in layouts:
        try:
            clocks[root] = filesystem_clock(root)
        except OSError:
            continue  # a layout this user cannot write: its record stays as it is
    return clocks


def _write_archive(
    target: Path, members: list[tuple[str, _Blob]], progress: Progress, reading: _Reading
) -> None:
    total = sum(blob.descriptor.size for _, blob in members)
    done = 0
    partial = target.with_name(f".{target.name}.partial")
    try:
        with partial.open("wb") as raw:
            # Copy in pieces of CHUNK rather than tarfile's 16 KiB: a tenth of the time.
            with tarfile.TarFile(
                fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT, copybufsize=CHUNK
            ) as tar:
                for name, blob in members:
                    info = tarfile.TarInfo(name)
                    info.size = blob.descriptor.size
                    info.mode = 0o644
                    _add_blob(tar, info, blob, str(blob.path or name), reading)
                    done += info.size
                    progress("writing the bundle", done, total)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, target)
    except LayoutError as e:
        raise BundleError(
            e.problem.location.file,
            e.problem.field,
            e.problem.message + "; nothing was written",
        ) from e
    except OSError as e:
        raise BundleError(target, "BUNDLE", f"cannot be written: {e.strerror or e}") from e
    finally:
        partial.unlink(missing_ok=True)


def _add_blob(
    tar: tarfile.TarFile, info: tarfile.TarInfo, blob: _Blob, where: str, reading: _Reading
) -> None:
    """Copy one blob into the archive: hashed, or unhashed when its record vouches for it."""
    descriptor, record = blob.descriptor, blob.record
    with blob.open() as (source, status):
        if status is None:  # made here, not read from a store
            _add_hashed(tar, info, source, descriptor, where)
        elif record is not None and record.vouches_for(descriptor.digest, status):
            _add_unchanged(tar, info, source, status, descriptor, where)
            reading.trusted += 1
        else:
            _add_hashed(tar, info, source, descriptor, where)
            reading.hashed += 1
            after = file_key(os.fstat(source.fileno()))
            if record is not None and record.root in reading.clocks and after == file_key(status):
                reading.checked.setdefault(record.root, {})[descriptor.digest] = after


def _add_unchanged(
    tar: tarfile.TarFile,
    info: tarfile.TarInfo,
    source: IO[bytes],
    status: os.stat_result,
    descriptor: Descriptor,
    where: str,
) -> None:
    """Copy a blob unhashed, refusing it if its file changed meanwhile.

    Read as plainly as the copy floor: copy_file_range and sendfile into the archive
    were measured against it and took the same wall and CPU time.
    """
    try:
        tar.addfile(info, source)
    except OSError:
        _refuse_changed(source, status, descriptor, where)  # cut short by a change?
        raise
    _refuse_changed(source, status, descriptor, where)


def _refuse_changed(
    source: IO[bytes], status: os.stat_result, descriptor: Descriptor, where: str
) -> None:
    if file_key(os.fstat(source.fileno())) != file_key(status):
        raise BundleError(
            where, descriptor.digest, "changed while it was copied; nothing was written"
        )


def _add_hashed(
    tar: tarfile.TarFile,
    info: tarfile.TarInfo,
    source: IO[bytes],
    descriptor: Descriptor,
    where: str,
) -> None:
    reader = HashingReader(source)
    try:
        tar.addfile(info, reader)
    except OSError:
        reader.check(descriptor, where)
        raise
    reader.check(descriptor, where)


def refuse_same_file(request: BundleRequest) -> None:
    """Refuse a target that is also the base bundle (it would be replaced while read)."""
    if request.since is not None and request.since.absolute() == request.target.absolute():
        raise InputError([Problem(COMMAND_LINE, "--since", "names the bundle being written")])

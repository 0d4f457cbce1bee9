"""OCI image layouts: the directory form of images and artifacts, blobs stored once by digest.

A layout (https://github.com/opencontainers/image-spec/blob/main/image-layout.md) is a
folder with an ``oci-layout`` file, an ``index.json`` naming its top-level manifests, and
``blobs/sha256/<hex>`` holding every blob under its own digest. ``skopeo``, ``oras``,
``crane`` and registries' push tools all read this form, so a bundle keeps it exactly.

Policy: a blob is written to a temporary name beside its final place while its digest is
computed from the bytes as they stream in, and renamed into place only when digest and
size match what was promised; a blob already present is never written twice. The index
is replaced atomically. Nothing half-written is ever under a final name.

Each top-level manifest in ``index.json`` names what it is with the standard annotation
``org.opencontainers.image.ref.name``, holding the full reference (``docker.io/library/
nginx:1.27``, ``charts/podinfo:6.7.1``), which the layout grammar allows.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from stackyard.errors import COMMAND_LINE, InputError, Location, Problem

LAYOUT_FILE = "oci-layout"
INDEX_FILE = "index.json"
LAYOUT_VERSION = "1.0.0"
REF_NAME = "org.opencontainers.image.ref.name"

INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json"
MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
INDEX_TYPES = frozenset({INDEX_MEDIA_TYPE, DOCKER_MANIFEST_LIST})
MANIFEST_TYPES = frozenset({MANIFEST_MEDIA_TYPE, DOCKER_MANIFEST})

PLATFORM = re.compile(r"[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?")
"""``os/arch[/variant]``, as OCI image indexes name platforms (``linux/arm64/v8``)."""

CHUNK = 1 << 20
"""Bytes read at a time while streaming a blob: large enough to run at disk speed."""


class LayoutError(InputError):
    """A layout or blob that is missing, malformed or does not match its digest."""

    def __init__(self, problem: Problem) -> None:
        """Keep the one problem found, naming the blob or file."""
        self.problem = problem
        super().__init__([problem])


@dataclass(frozen=True)
class Descriptor:
    """An OCI content descriptor: what a blob is, its digest and size."""

    media_type: str
    digest: str
    size: int
    annotations: dict[str, str] = field(default_factory=dict, compare=False)
    platform: dict[str, str] | None = field(default=None, compare=False)
    artifact_type: str | None = field(default=None, compare=False)

    @property
    def hex(self) -> str:
        """The digest's hexadecimal part, the blob's file name."""
        return self.digest.split(":", 1)[1]

    @property
    def reference(self) -> str | None:
        """The ``org.opencontainers.image.ref.name`` annotation, when present."""
        return self.annotations.get(REF_NAME)

    def as_dict(self) -> dict[str, Any]:
        """The descriptor as OCI JSON."""
        data: dict[str, Any] = {
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.size,
        }
        if self.artifact_type:
            data["artifactType"] = self.artifact_type
        if self.platform:
            data["platform"] = self.platform
        if self.annotations:
            data["annotations"] = self.annotations
        return data

    @classmethod
    def from_dict(cls, data: Any, where: Location) -> Descriptor:
        """Read a descriptor from OCI JSON, refusing one without a sha256 digest or size."""
        if not isinstance(data, dict):
            raise LayoutError(Problem(where, "descriptor", "is not an object"))
        digest, size = data.get("digest"), data.get("size")
        if not isinstance(digest, str) or not is_sha256(digest):
            raise LayoutError(Problem(where, "digest", f"{digest!r} is not a sha256 digest"))
        if not isinstance(size, int) or size < 0:
            raise LayoutError(Problem(where, "size", f"{size!r} is not a size in bytes"))
        platform = data.get("platform")
        return cls(
            media_type=str(data.get("mediaType", "")),
            digest=digest,
            size=size,
            annotations={str(k): str(v) for k, v in (data.get("annotations") or {}).items()},
            platform=(
                {str(k): str(v) for k, v in platform.items() if isinstance(v, str)}
                if isinstance(platform, dict)
                else None
            ),
            artifact_type=data.get("artifactType"),
        )


def is_sha256(digest: str) -> bool:
    """Whether ``digest`` is ``sha256:`` and 64 lowercase hex digits."""
    algorithm, _, hexpart = digest.partition(":")
    return (
        algorithm == "sha256"
        and len(hexpart) == 64
        and all(c in "0123456789abcdef" for c in hexpart)
    )


def sha256_digest(data: bytes) -> str:
    """The ``sha256:<hex>`` digest of some bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def json_bytes(document: Any) -> bytes:
    """A JSON document as the canonical bytes stored (sorted keys, no spaces)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def copy_checked(
    source: IO[bytes],
    target: IO[bytes],
    expected: Descriptor,
    what: str,
    *,
    reader: HashingReader | None = None,
    copied: Callable[[int], None] | None = None,
) -> None:
    """Copy exactly ``expected.size`` bytes, failing unless they hash to ``expected.digest``.

    ``reader`` is one that already hashed a first part of the blob (a download resumed
    after the bytes a partial file holds): only the rest is read from ``source``.
    ``copied`` is told the size of every chunk as it is written.

    Raises:
        LayoutError: the source is shorter or longer than promised, or its digest differs.
    """
    if reader is None:
        reader = HashingReader(source)
    remaining = expected.size - reader.count
    while remaining > 0:
        chunk = reader.read(min(CHUNK, remaining))
        if not chunk:
            break
        target.write(chunk)
        remaining -= len(chunk)
        if copied is not None:
            copied(len(chunk))
    reader.check(expected, what)


class HashingReader:
    """A reader that hashes and counts what passes through it, to check against a descriptor."""

    def __init__(self, source: IO[bytes]) -> None:
        """Read from ``source``."""
        self._source = source
        self._hasher = hashlib.sha256()
        self.count = 0

    def absorb(self, earlier: IO[bytes], size: int) -> None:
        """Hash and count the first ``size`` bytes of ``earlier``, which came before the source.

        A resumed download hashes what its partial file already holds this way, so the
        digest checked at the end covers the whole blob, not only the bytes fetched now.
        """
        left = size
        while left > 0:
            data = earlier.read(min(CHUNK, left))
            if not data:
                break
            self._hasher.update(data)
            self.count += len(data)
            left -= len(data)

    def read(self, size: int = -1) -> bytes:
        """Read like the source, remembering the bytes' hash."""
        data = self._source.read(size)
        self._hasher.update(data)
        self.count += len(data)
        return data

    def check(self, expected: Descriptor, what: str) -> None:
        """Fail unless exactly ``expected.size`` bytes hashing to its digest passed.

        Raises:
            LayoutError: fewer or more bytes, or another digest.
        """
        where = Location(what)
        if self.count < expected.size:
            message = f"is truncated: {self.count} of {expected.size} bytes"
            raise LayoutError(Problem(where, expected.digest, message))
        if self.count > expected.size or self._source.read(1):
            message = f"is longer than its {expected.size} bytes"
            raise LayoutError(Problem(where, expected.digest, message))
        found = "sha256:" + self._hasher.hexdigest()
        if found != expected.digest:
            message = f"does not match its digest (found {found})"
            raise LayoutError(Problem(where, expected.digest, message))


class Layout:
    """An OCI image layout on disk, read and written with digests checked."""

    def __init__(self, root: Path) -> None:
        """Open the layout at ``root``; :meth:`create` makes a new one."""
        self.root = root

    @classmethod
    def create(cls, root: Path) -> Layout:
        """Make an empty layout at ``root`` (the folder may exist, empty or a layout)."""
        layout = cls(root)
        (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        replace_file(root / LAYOUT_FILE, json_bytes({"imageLayoutVersion": LAYOUT_VERSION}))
        if not (root / INDEX_FILE).exists():
            layout.write_index([])
        return layout

    @classmethod
    def open(cls, root: Path) -> Layout:
        """Open an existing layout, refusing a folder that is not one."""
        marker = root / LAYOUT_FILE
        try:
            version = json.loads(marker.read_bytes()).get("imageLayoutVersion")
        except (OSError, ValueError, AttributeError) as e:
            raise LayoutError(
                Problem(Location(str(marker)), "", "is not an OCI image layout marker")
            ) from e
        if version != LAYOUT_VERSION:
            raise LayoutError(
                Problem(Location(str(marker)), "imageLayoutVersion", f"{version!r} is unknown")
            )
        return cls(root)

    def blob_path(self, digest: str) -> Path:
        """Where the blob with ``digest`` lives."""
        return self.root / "blobs" / "sha256" / digest.split(":", 1)[1]

    def has_blob(self, descriptor: Descriptor) -> bool:
        """Whether the blob is present with the right size (its digest is checked on read)."""
        try:
            return self.blob_path(descriptor.digest).stat().st_size == descriptor.size
        except OSError:
            return False

    def open_blob(self, descriptor: Descriptor) -> IO[bytes]:
        """Open a blob for reading, refusing one that is missing."""
        try:
            return self.blob_path(descriptor.digest).open("rb")
        except OSError as e:
            raise LayoutError(
                Problem(Location(str(self.root)), descriptor.digest, "blob is missing")
            ) from e

    def read_blob(self, descriptor: Descriptor) -> bytes:
        """A small blob's bytes (a manifest, a config), checked against its digest."""
        with self.open_blob(descriptor) as stream:
            data = stream.read(descriptor.size + 1)
        if len(data) != descriptor.size or sha256_digest(data) != descriptor.digest:
            raise LayoutError(
                Problem(
                    Location(str(self.blob_path(descriptor.digest))),
                    descriptor.digest,
                    "does not match its digest or size",
                )
            )
        return data

    def add_blob(self, source: IO[bytes], descriptor: Descriptor) -> bool:
        """Store a blob streamed from ``source``; False when it was already there.

        The bytes go to a temporary file beside the blob, hashed as they come, and are
        renamed into place only when they match ``descriptor``.
        """
        if self.has_blob(descriptor):
            return False
        final = self.blob_path(descriptor.digest)
        final.parent.mkdir(parents=True, exist_ok=True)
        partial = final.with_name(f".{final.name}.partial")
        try:
            with partial.open("wb") as target:
                copy_checked(source, target, descriptor, str(self.root))
            os.replace(partial, final)
        finally:
            partial.unlink(missing_ok=True)
        return True

    def partial_path(self, descriptor: Descriptor) -> Path:
        """Where a blob's bytes gather until they are complete and checked."""
        final = self.blob_path(descriptor.digest)
        return final.with_name(f".{final.name}.partial")

    def resume_blob(
        self,
        descriptor: Descriptor,
        fetch: Callable[[int], tuple[IO[bytes], int]],
        copied: Callable[[int], None] | None = None,
    ) -> int:
        """Complete a blob from where an earlier, interrupted attempt left its partial file.

        ``fetch(offset)`` opens the blob's bytes from ``offset`` (the size of the partial
        file) and returns the stream with the offset it really starts at: ``offset`` when
        the source honoured the range, 0 when it sends the whole blob again. The partial
        file keeps every byte written, flushed chunk by chunk, so a process killed half-way
        leaves them for the next attempt; the blob is renamed into place only when the
        whole of it matches ``descriptor``. Bytes that do not match are removed, so the
        next attempt starts over. Returns how many bytes were fetched (0 when the blob was
        already there).

        Raises:
            LayoutError: the bytes (kept and fetched together) do not match the descriptor.
        """
        if self.has_blob(descriptor):
            return 0
        final = self.blob_path(descriptor.digest)
        final.parent.mkdir(parents=True, exist_ok=True)
        partial = self.partial_path(descriptor)
        try:
            kept = partial.stat().st_size
        except OSError:
            kept = 0
        if kept >= descriptor.size:
            kept = 0  # complete yet not renamed: it was refused or cut oddly; fetch it again
        source, start = fetch(kept)
        start = start if start == kept else 0
        reader = HashingReader(source)
        with partial.open("r+b" if partial.exists() else "w+b") as target:
            target.truncate(start)
            reader.absorb(target, start)
            target.seek(start)

            def flushed(size: int) -> None:
                target.flush()
                if copied is not None:
                    copied(size)

            try:
                copy_checked(
                    source, target, descriptor, str(self.root), reader=reader, copied=flushed
                )
            except LayoutError:
                partial.unlink(missing_ok=True)
                raise
        os.replace(partial, final)
        return reader.count - start

    def add_bytes(self, data: bytes, media_type: str, **extra: Any) -> Descriptor:
        """Store some bytes as a blob and return their descriptor."""
        descriptor = Descriptor(media_type, sha256_digest(data), len(data), **extra)
        if not self.has_blob(descriptor):
            final = self.blob_path(descriptor.digest)
            final.parent.mkdir(parents=True, exist_ok=True)
            replace_file(final, data)
        return descriptor

    def manifests(self) -> list[Descriptor]:
        """The top-level manifests ``index.json`` names."""
        path = self.root / INDEX_FILE
        try:
            index = json.loads(path.read_bytes())
        except (OSError, ValueError) as e:
            raise LayoutError(Problem(Location(str(path)), "", "is not readable JSON")) from e
        entries = index.get("manifests") if isinstance(index, dict) else None
        if not isinstance(entries, list):
            raise LayoutError(Problem(Location(str(path)), "manifests", "is not a list"))
        return [Descriptor.from_dict(entry, Location(str(path))) for entry in entries]

    def write_index(self, manifests: list[Descriptor]) -> None:
        """Replace ``index.json`` with these top-level manifests, atomically."""
        replace_file(self.root / INDEX_FILE, index_bytes(manifests))

    def walk(self, top: Descriptor) -> Iterator[Descriptor]:
        """Every blob ``top`` reaches (itself, child manifests, configs, layers), once each."""
        seen: set[str] = set()
        pending = [top]
        while pending:
            descriptor = pending.pop()
            if descriptor.digest in seen:
                continue
            seen.add(descriptor.digest)
            yield descriptor
            pending.extend(reversed(self.children(descriptor)))

    def children(self, descriptor: Descriptor) -> list[Descriptor]:
        """What an index or manifest points at; nothing for any other blob."""
        if descriptor.media_type not in INDEX_TYPES | MANIFEST_TYPES:
            return []
        where = Location(str(self.blob_path(descriptor.digest)))
        try:
            document = json.loads(self.read_blob(descriptor))
        except ValueError as e:
            raise LayoutError(Problem(where, descriptor.digest, "is not JSON")) from e
        if descriptor.media_type in INDEX_TYPES:
            return [Descriptor.from_dict(m, where) for m in document.get("manifests", [])]
        found = [Descriptor.from_dict(document.get("config"), where)]
        found.extend(Descriptor.from_dict(layer, where) for layer in document.get("layers", []))
        return found


def refuse_bad_platforms(platforms: tuple[str, ...]) -> None:
    """Refuse a ``--platform`` that is not ``os/arch[/variant]``.

    Raises:
        InputError: one problem per malformed platform.
    """
    problems = [
        Problem(COMMAND_LINE, "--platform", f"{platform!r} is not OS/ARCH[/VARIANT]")
        for platform in platforms
        if not PLATFORM.fullmatch(platform)
    ]
    if problems:
        raise InputError(problems)


def platform_name(platform: Any) -> str:
    """``os/arch[/variant]`` of an index entry's ``platform`` object ("" when it has none)."""
    if not isinstance(platform, dict):
        return ""
    name = f"{platform.get('os', '')}/{platform.get('architecture', '')}"
    return f"{name}/{platform['variant']}" if platform.get("variant") else name


def config_platform(config: Any) -> str | None:
    """``os/arch[/variant]`` an image config is built for; None for an artifact's config."""
    if not isinstance(config, dict) or "architecture" not in config:
        return None  # an artifact (a chart, a signature), not an image
    name = f"{config.get('os', 'linux')}/{config['architecture']}"
    return f"{name}/{config['variant']}" if config.get("variant") else name


def platform_matches(name: str, platforms: tuple[str, ...]) -> bool:
    """Whether ``os/arch[/variant]`` is one asked for (``linux/arm64`` takes any variant)."""
    return any(name == chosen or name.startswith(chosen + "/") for chosen in platforms)


def pinned_digest(reference: str) -> str:
    """The digest a reference pins its content to (``…@sha256:<hex>``); "" for a tag alone."""
    _, at, digest = reference.rpartition("@")
    return digest if at and is_sha256(digest) else ""


def narrowed_index(
    top: Descriptor,
    document: Any,
    platforms: tuple[str, ...],
    pinned: Collection[str] = (),
) -> tuple[Descriptor, bytes, list[Descriptor]] | None:
    """An image index listing only the chosen platforms' manifests, when it lists others too.

    Returns the new index's descriptor (the annotations of ``top`` kept), its bytes and
    the manifests it keeps; None when nothing is left out, or nothing is chosen (the
    caller decides whether that is an error). The new index has a digest of its own: a
    registry refuses an index whose manifests it does not hold, so an image carried for
    fewer platforms cannot keep the original.

    That is why an index pinned by digest is never narrowed: one its own reference pins
    (``…@sha256:…``, as ``images pull`` names a pinned image) or one whose digest is in
    ``pinned`` (the digests a rendered tree or a node image list asks for). A node pulls
    that exact digest, which a narrowed index would not have, so it is kept whole.
    """
    if not platforms or top.media_type not in INDEX_TYPES or not isinstance(document, dict):
        return None
    if top.digest in pinned or top.digest == pinned_digest(top.reference or ""):
        return None
    entries = document.get("manifests", [])
    if not isinstance(entries, list):
        return None
    kept = [e for e in entries if platform_matches(platform_name(e.get("platform")), platforms)]
    if len(kept) == len(entries) or not kept:
        return None
    data = json_bytes({**document, "manifests": kept})
    index = Descriptor(
        top.media_type, sha256_digest(data), len(data), annotations=dict(top.annotations)
    )
    where = Location(top.digest)
    return index, data, [Descriptor.from_dict(entry, where) for entry in kept]


def index_bytes(manifests: list[Descriptor]) -> bytes:
    """The bytes of an ``index.json`` naming ``manifests``."""
    return json_bytes(
        {
            "schemaVersion": 2,
            "mediaType": INDEX_MEDIA_TYPE,
            "manifests": [m.as_dict() for m in manifests],
        }
    )


def replace_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)

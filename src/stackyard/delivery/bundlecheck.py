"""Verify a bundle: its signature, then every blob's digest and size, in one pass.

The archive is read as a stream, in the order :mod:`stackyard.delivery.bundle` writes
it: the manifest and its signature first, so nothing else is trusted before the
signature holds; then the layout's marker, its index (whose digest the manifest names)
and every blob, each hashed as it is read. The first mismatch stops the check with the
artifact it belongs to: a tampered manifest or signature, a corrupted, missing,
unexpected or truncated blob, a truncated archive. Blobs a differential bundle leaves in
its base are listed, not checked; the base is verified on its own.

With a target folder, the verified blobs are also unpacked into an OCI image layout
there (each written atomically, its digest checked as it streams in), ready to push.
"""

from __future__ import annotations

import json
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stackyard.delivery.bundle import (
    IN_BUNDLE,
    MANIFEST_FILE,
    SIGNATURE_FILE,
    BundleError,
)
from stackyard.delivery.layout import (
    INDEX_FILE,
    LAYOUT_FILE,
    LAYOUT_VERSION,
    Descriptor,
    HashingReader,
    Layout,
    LayoutError,
    json_bytes,
    replace_file,
    sha256_digest,
)
from stackyard.delivery.signing import fingerprint, load_public_key, verifies
from stackyard.progress import Progress, no_progress

MAX_MANIFEST = 64 << 20
"""The largest manifest read into memory: far beyond any real bundle's."""


@dataclass(frozen=True)
class VerifiedBundle:
    """A bundle whose signature and every stored blob checked out."""

    path: Path
    manifest_digest: str
    key_fingerprint: str
    artifacts: tuple[dict[str, Any], ...]
    blobs_checked: int
    blobs_in_base: int
    size: int
    base: str | None


def verify_bundle(
    path: Path, public_key: Path, *, into: Path | None = None, progress: Progress = no_progress
) -> VerifiedBundle:
    """Check a bundle's signature and every blob; with ``into``, unpack it as a layout.

    Raises:
        BundleError: the first problem found, naming the artifact (exit 2).
    """
    key = load_public_key(public_key)
    layout = Layout.create(into) if into is not None else None
    try:
        with tarfile.open(path, "r|") as tar:
            manifest_bytes = _small_member(tar, path, MANIFEST_FILE)
            signature = _small_member(tar, path, SIGNATURE_FILE)
            if not verifies(key, manifest_bytes, signature):
                raise BundleError(
                    path,
                    MANIFEST_FILE,
                    "the signature does not match the manifest and this key: the bundle "
                    "was altered or signed with another key",
                )
            manifest = _parse(path, manifest_bytes)
            expected = {b["digest"]: b for b in manifest["blobs"] if b["in"] == IN_BUNDLE}
            total = sum(int(b["size"]) for b in expected.values())
            seen: set[str] = set()
            index: bytes | None = None
            marker = False
            done = 0
            while (member := tar.next()) is not None:
                name = member.name
                if name == LAYOUT_FILE and not marker:
                    _check_marker(tar, member, path)
                    marker = True
                elif name == INDEX_FILE and index is None:
                    index = _check_index(tar, member, path, manifest)
                elif name.startswith("blobs/sha256/"):
                    digest = "sha256:" + name.removeprefix("blobs/sha256/")
                    entry = expected.get(digest)
                    if entry is None or digest in seen:
                        raise BundleError(path, name, "is not a blob the manifest lists once")
                    _check_blob(tar, member, path, entry, layout)
                    seen.add(digest)
                    done += member.size
                    progress("verifying the bundle", done, total)
                else:
                    raise BundleError(path, name, "is not part of a bundle")
    except (tarfile.TarError, EOFError) as e:
        raise BundleError(path, "", f"is truncated or not a tar archive: {e}") from e
    except OSError as e:
        raise BundleError(path, "", f"cannot be read: {e.strerror or e}") from e
    for name, present in ((LAYOUT_FILE, marker), (INDEX_FILE, index is not None)):
        if not present:
            raise BundleError(path, name, "is missing: the archive is truncated or was cut")
    missing = sorted(set(expected) - seen)
    if missing:
        entry = expected[missing[0]]
        raise BundleError(
            path,
            _artifacts_of(entry),
            f"blob {missing[0]} is missing: the archive is truncated or was cut",
        )
    if layout is not None and index is not None:
        # Last, so a layout whose index names images holds every blob they need.
        replace_file(layout.root / INDEX_FILE, index)
    base = manifest.get("base")
    return VerifiedBundle(
        path=path,
        manifest_digest=sha256_digest(manifest_bytes),
        key_fingerprint=fingerprint(key),
        artifacts=tuple(manifest["artifacts"]),
        blobs_checked=len(seen),
        blobs_in_base=len(manifest["blobs"]) - len(expected),
        size=path.stat().st_size,
        base=base["manifestDigest"] if isinstance(base, dict) else None,
    )


def _small_member(tar: tarfile.TarFile, path: Path, name: str) -> bytes:
    member = tar.next()
    if member is None or member.name != name or not member.isfile():
        raise BundleError(path, name, "is missing: a bundle begins with its manifest and signature")
    if member.size > MAX_MANIFEST:
        raise BundleError(path, name, f"is larger than {MAX_MANIFEST} bytes")
    stream = tar.extractfile(member)
    assert stream is not None
    data = stream.read()
    if len(data) != member.size:
        raise BundleError(path, name, "is truncated")
    return data


def _parse(path: Path, data: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(data)
        for blob in manifest["blobs"]:
            if not (isinstance(blob["digest"], str) and isinstance(blob["size"], int)):
                raise TypeError(blob)
            blob["in"], blob["artifacts"]
        if not isinstance(manifest["artifacts"], list):
            raise TypeError(manifest["artifacts"])
        manifest["index"]["digest"]
    except (ValueError, KeyError, TypeError) as e:
        raise BundleError(path, MANIFEST_FILE, "is not a bundle manifest") from e
    if not isinstance(manifest, dict):
        raise BundleError(path, MANIFEST_FILE, "is not a bundle manifest")
    return manifest


def _check_marker(tar: tarfile.TarFile, member: tarfile.TarInfo, path: Path) -> None:
    stream = tar.extractfile(member)
    data = stream.read() if stream is not None else b""
    if data != json_bytes({"imageLayoutVersion": LAYOUT_VERSION}):
        raise BundleError(path, LAYOUT_FILE, "is not the OCI image layout marker")


def _check_index(
    tar: tarfile.TarFile,
    member: tarfile.TarInfo,
    path: Path,
    manifest: dict[str, Any],
) -> bytes:
    stream = tar.extractfile(member)
    data = stream.read() if stream is not None else b""
    if sha256_digest(data) != manifest["index"]["digest"]:
        raise BundleError(path, INDEX_FILE, "does not match the digest the manifest gives it")
    return data


def _check_blob(
    tar: tarfile.TarFile,
    member: tarfile.TarInfo,
    path: Path,
    entry: dict[str, Any],
    layout: Layout | None,
) -> None:
    descriptor = Descriptor(str(entry.get("mediaType", "")), entry["digest"], entry["size"])
    what = _artifacts_of(entry)
    if member.size != descriptor.size:
        raise BundleError(
            path,
            what,
            f"blob {descriptor.digest} has {member.size} bytes, the manifest says "
            f"{descriptor.size}",
        )
    stream = tar.extractfile(member)
    assert stream is not None
    try:
        if layout is not None:
            layout.add_blob(stream, descriptor)
        else:
            reader = HashingReader(stream)
            while reader.read(1 << 20):
                pass
            reader.check(descriptor, str(path))
    except LayoutError as e:
        raise BundleError(path, what, f"blob {e.problem.field} {e.problem.message}") from e


def _artifacts_of(entry: dict[str, Any]) -> str:
    return ", ".join(str(a) for a in entry.get("artifacts", [])) or str(entry["digest"])

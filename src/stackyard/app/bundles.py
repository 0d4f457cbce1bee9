"""``bundle create``, ``bundle verify`` and ``bundle keygen``: the air-gap bundle's use cases.

A bundle (:mod:`stackyard.delivery.bundle`) carries the charts, the images and the GitOps
repository across the gap in one signed archive. Creating one needs the rendered tree
(in Git), an Ed25519 private key, and the sources: a chart store (``*.tgz``, as ``charts
pull`` and ``helm pull`` write them) and OCI image layouts (as ``skopeo copy
oci:DIR:REF`` writes them). Verifying needs only the bundle and the public key.

Policy: every problem with a source, a key, the free space or the bundle itself is an
:class:`InputError` (exit 2) naming the file and the artifact, and nothing is left half
written; a bundle that verifies is a result that describes it (never a failure).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from stackyard.app.images import NotInspected, list_images
from stackyard.app.results import Describes
from stackyard.delivery.bundle import Artifact, BundleRequest, create_bundle, refuse_same_file
from stackyard.delivery.bundlecheck import verify_bundle
from stackyard.delivery.imagerefs import normalize
from stackyard.delivery.layout import pinned_digest, refuse_bad_platforms
from stackyard.delivery.signing import generate_keys
from stackyard.errors import COMMAND_LINE, InputError, Problem
from stackyard.progress import Progress, no_progress
from stackyard.versioning import schema_id


@dataclass(frozen=True)
class BundleResult(Describes):
    """A bundle written or verified: what it holds and what vouches for it."""

    action: str
    path: Path
    manifest_digest: str
    artifacts: tuple[dict[str, Any], ...]
    blobs_stored: int
    blobs_in_base: int
    size: int
    base: str | None
    key_fingerprint: str | None = None
    missing_images: tuple[str, ...] = ()
    """Images of the platform's full inventory (``images list``) the bundle does not carry."""
    not_inspected: tuple[NotInspected, ...] = ()
    """What the inventory could not look into: its images may be missing too."""
    blobs_hashed: int = 0
    """Blobs read from files and hashed: at create, as they were copied; at verify, all."""
    blobs_trusted: int = 0
    """Image blobs create copied on the word of their layout's verification record."""

    def as_dict(self) -> dict[str, Any]:
        """The versioned JSON document (``bundle-result``)."""
        return {
            "schema": schema_id("bundle-result"),
            "action": self.action,
            "bundle": str(self.path),
            "manifestDigest": self.manifest_digest,
            "size": self.size,
            "base": self.base,
            "keyFingerprint": self.key_fingerprint,
            "blobsStored": self.blobs_stored,
            "blobsInBase": self.blobs_in_base,
            "blobsHashed": self.blobs_hashed,
            "blobsTrusted": self.blobs_trusted,
            "artifacts": list(self.artifacts),
            "missingImages": list(self.missing_images),
            "notInspected": [gap.as_dict() for gap in self.not_inspected],
        }


@dataclass(frozen=True)
class KeyPair:
    """Where a new key pair was written; the private key's content is never kept."""

    private: Path
    public: Path
    fingerprint: str


def make_bundle(
    rendered: Path,
    target: Path,
    *,
    key: Path,
    charts: Path | None = None,
    images: tuple[Path, ...] = (),
    since: Path | None = None,
    platforms: tuple[str, ...] = (),
    rehash: bool = False,
    progress: Progress = no_progress,
) -> BundleResult:
    """Create a signed bundle of the rendered repository, the charts and the images.

    With ``rehash``, every image blob is hashed, whatever its layout's verification
    record vouches for.
    """
    refuse_bad_platforms(platforms)
    request = BundleRequest(rendered, target, key, charts, images, since, platforms, rehash=rehash)
    refuse_same_file(request)
    # The full inventory first: a tree that cannot be read fails before a byte is written.
    inventory = list_images(rendered, charts=charts, progress=progress)
    pinned = frozenset(filter(None, map(pinned_digest, inventory.references)))
    created = create_bundle(replace(request, pinned=pinned), progress)
    carried = {normalize(a.reference) for a in created.artifacts if a.kind == "image"}
    return BundleResult(
        action="created",
        path=created.path,
        manifest_digest=created.manifest_digest,
        artifacts=tuple(_entry(a) for a in created.artifacts),
        blobs_stored=created.blobs_written,
        blobs_in_base=created.blobs_in_base,
        size=created.size,
        base=created.base,
        missing_images=tuple(i for i in inventory.references if i not in carried),
        not_inspected=inventory.not_inspected,
        blobs_hashed=created.blobs_hashed,
        blobs_trusted=created.blobs_trusted,
    )


def check_bundle(
    bundle: Path,
    *,
    key: Path,
    unpack: Path | None = None,
    progress: Progress = no_progress,
) -> BundleResult:
    """Verify a bundle's signature and every blob; with ``unpack``, write it out as a layout."""
    if unpack is not None and unpack.exists() and any(unpack.iterdir()):
        raise InputError([Problem(COMMAND_LINE, "--unpack", f"{unpack} exists and is not empty")])
    fresh = unpack is not None and not unpack.exists()
    try:
        verified = verify_bundle(bundle, key, into=unpack, progress=progress)
    except InputError:
        if unpack is not None:  # nothing half-unpacked is left to be pushed by mistake
            _remove_unpacked(unpack, fresh)
        raise
    return BundleResult(
        action="verified",
        path=verified.path,
        manifest_digest=verified.manifest_digest,
        artifacts=verified.artifacts,
        blobs_stored=verified.blobs_checked,
        blobs_in_base=verified.blobs_in_base,
        size=verified.size,
        base=verified.base,
        key_fingerprint=verified.key_fingerprint,
        blobs_hashed=verified.blobs_checked,
    )


def make_signing_keys(private: Path) -> KeyPair:
    """Write a new Ed25519 key pair: ``private`` (mode 0600) and ``private`` + ``.pub``."""
    public = private.with_name(private.name + ".pub")
    return KeyPair(private, public, generate_keys(private, public))


def _remove_unpacked(folder: Path, fresh: bool) -> None:
    if fresh:
        shutil.rmtree(folder, ignore_errors=True)
    elif folder.is_dir():  # it was empty before: empty it again
        for child in folder.iterdir():
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)


def _entry(artifact: Artifact) -> dict[str, Any]:
    return artifact.as_dict()

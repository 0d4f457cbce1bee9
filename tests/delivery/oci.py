"""Small real OCI image layouts for the push tests: tar layers, a config, manifests, an index.

Two images share their base layer, as images built from one base do; one of them is a
multi-platform index over two manifests, so a push meets both shapes. Until the bundle
tests' own image builder lands beside these, this one stays minimal.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
REF_NAME = "org.opencontainers.image.ref.name"


@dataclass(frozen=True)
class Layout:
    """An OCI image layout on disk and what is in it."""

    path: Path
    blobs: dict[str, int]
    """Every blob (layers, configs, manifests) by digest → size."""
    images: dict[str, str]
    """Ref name → digest of the top-level manifest or index."""

    def blob_path(self, digest: str) -> Path:
        """The file that holds ``digest``."""
        return self.path / "blobs" / "sha256" / digest.removeprefix("sha256:")


def _tar(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class _Writer:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.blobs: dict[str, int] = {}
        (path / "blobs" / "sha256").mkdir(parents=True)

    def blob(self, data: bytes, media_type: str) -> dict[str, object]:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        (self.path / "blobs" / "sha256" / digest[7:]).write_bytes(data)
        self.blobs[digest] = len(data)
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    def image(self, layers: list[bytes], arch: str) -> dict[str, object]:
        layer_descriptors = [self.blob(layer, OCI_LAYER) for layer in layers]
        config = {
            "architecture": arch,
            "os": "linux",
            "rootfs": {
                "type": "layers",
                "diff_ids": [d["digest"] for d in layer_descriptors],
            },
            "config": {"Cmd": ["/bin/app"]},
        }
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": self.blob(json.dumps(config).encode(), OCI_CONFIG),
            "layers": layer_descriptors,
        }
        descriptor = self.blob(json.dumps(manifest).encode(), OCI_MANIFEST)
        return {**descriptor, "platform": {"architecture": arch, "os": "linux"}}


def build_layout(path: Path, *, big_layer_bytes: int = 0) -> Layout:
    """Two images sharing a base layer (one of them a two-platform index) under ``path``.

    ``big_layer_bytes`` adds a layer of that many random bytes to the first image, for
    tests of chunked uploads.
    """
    writer = _Writer(path)
    base = _tar({"etc/os-release": b"ID=stackyard-test\n", "bin/sh": b"#!/bin/true\n"})
    app = _tar({"bin/app": b"#!/bin/sh\necho app\n"})
    extra = [_tar({"data/blob": os.urandom(big_layer_bytes)})] if big_layer_bytes else []
    first = writer.image([base, app, *extra], "amd64")
    amd64 = writer.image([base, _tar({"bin/web": b"amd64\n"})], "amd64")
    arm64 = writer.image([base, _tar({"bin/web": b"arm64\n"})], "arm64")
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [amd64, arm64]}
    web = writer.blob(json.dumps(index).encode(), OCI_INDEX)
    refs = {
        "ghcr.io/example/app:1.0": {k: v for k, v in first.items() if k != "platform"},
        "docker.io/example/web:2.1": web,
    }
    top = [{**d, "annotations": {REF_NAME: ref}} for ref, d in refs.items()]
    (path / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    (path / "index.json").write_text(
        json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": top})
    )
    return Layout(path, writer.blobs, {ref: str(d["digest"]) for ref, d in refs.items()})

"""Small real OCI images, built as image layouts for the delivery tests.

Each image has a few gzip-compressed tar layers made with ``tarfile``, a config whose
``rootfs.diff_ids`` are the uncompressed layers' digests, and a manifest, as ``docker
build`` or ``buildah`` would write them; a multi-platform image adds an image index. The
layers' contents are chosen by the caller, so two images can share a layer (stored once)
or differ by one. :func:`build_layout` is the fixed pair of images the push tests use:
uncompressed layers, so a layer is large enough to be told from a config by its size.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from stackyard.delivery.layout import (
    INDEX_MEDIA_TYPE,
    MANIFEST_MEDIA_TYPE,
    REF_NAME,
    Descriptor,
    Layout,
    index_bytes,
)

LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
PLAIN_LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar"
CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json"


def layer(files: dict[str, bytes]) -> tuple[bytes, bytes]:
    """A layer holding ``files``: (its gzip bytes, its uncompressed tar bytes)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, content in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(content))
    plain = raw.getvalue()
    return gzip.compress(plain, mtime=0), plain


def add_image(
    layout: Layout,
    layers: list[dict[str, bytes]],
    *,
    architecture: str = "amd64",
    os_name: str = "linux",
    compressed: bool = True,
) -> Descriptor:
    """Store one single-platform image's blobs in ``layout``; return its manifest."""
    descriptors = []
    diff_ids = []
    for files in layers:
        gzipped, plain = layer(files)
        if compressed:
            descriptors.append(layout.add_bytes(gzipped, LAYER_MEDIA_TYPE))
        else:
            descriptors.append(layout.add_bytes(plain, PLAIN_LAYER_MEDIA_TYPE))
        diff_ids.append("sha256:" + hashlib.sha256(plain).hexdigest())
    config = {
        "architecture": architecture,
        "os": os_name,
        "config": {"Entrypoint": ["/bin/app"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    config_descriptor = layout.add_bytes(json.dumps(config).encode(), CONFIG_MEDIA_TYPE)
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": config_descriptor.as_dict(),
        "layers": [d.as_dict() for d in descriptors],
    }
    return layout.add_bytes(json.dumps(manifest).encode(), MANIFEST_MEDIA_TYPE)


def platform_index(
    layout: Layout,
    layers_for: Callable[[str], list[dict[str, bytes]]],
    architectures: tuple[str, ...],
    *,
    compressed: bool = True,
) -> Descriptor:
    """Store an image index of one manifest per architecture, with ``layers_for(arch)``."""
    children = []
    for architecture in architectures:
        layers = layers_for(architecture)
        manifest = add_image(layout, layers, architecture=architecture, compressed=compressed)
        children.append(replace(manifest, platform={"architecture": architecture, "os": "linux"}))
    return layout.add_bytes(index_bytes(children), INDEX_MEDIA_TYPE)


def named(descriptor: Descriptor, reference: str) -> Descriptor:
    """``descriptor`` as a top-level entry of ``index.json``, named ``reference``."""
    return replace(descriptor, annotations={REF_NAME: reference})


def image_layout(
    root: Path,
    reference: str,
    layers: list[dict[str, bytes]],
    *,
    architectures: tuple[str, ...] = ("amd64",),
) -> Layout:
    """An OCI layout at ``root`` holding one image named ``reference``.

    With several architectures the image is an index of one manifest per platform, each
    with the given layers plus a layer naming its architecture.
    """
    layout = Layout.create(root)
    if len(architectures) == 1:
        top = add_image(layout, layers, architecture=architectures[0])
    else:
        top = platform_index(
            layout, lambda arch: [*layers, {"etc/arch": arch.encode()}], architectures
        )
    layout.write_index([*layout.manifests(), named(top, reference)])
    return layout


@dataclass(frozen=True)
class BuiltLayout:
    """A layout :func:`build_layout` wrote and what is in it."""

    layout: Layout
    blobs: dict[str, int]
    """Every blob (layers, configs, manifests, the index) by digest → size."""
    images: dict[str, str]
    """Ref name → digest of the top-level manifest or index."""

    @property
    def path(self) -> Path:
        """The layout's folder."""
        return self.layout.root

    def blob_path(self, digest: str) -> Path:
        """The file that holds ``digest``."""
        return self.layout.blob_path(digest)


def build_layout(path: Path, *, big_layer_bytes: int = 0) -> BuiltLayout:
    """Two images sharing a base layer, one of them a two-platform index, under ``path``.

    ``big_layer_bytes`` adds a layer of that many random bytes to the first image, for
    tests of chunked uploads.
    """
    layout = Layout.create(path)
    base = {"etc/os-release": b"ID=stackyard-test\n", "bin/sh": b"#!/bin/true\n"}
    extra = [{"data/blob": os.urandom(big_layer_bytes)}] if big_layer_bytes else []
    app = [base, {"bin/app": b"#!/bin/sh\necho app\n"}, *extra]
    refs = {
        "ghcr.io/example/app:1.0": add_image(layout, app, compressed=False),
        "docker.io/example/web:2.1": platform_index(
            layout,
            lambda arch: [base, {"bin/web": f"{arch}\n".encode()}],
            ("amd64", "arm64"),
            compressed=False,
        ),
    }
    layout.write_index([named(top, ref) for ref, top in refs.items()])
    blobs = {"sha256:" + p.name: p.stat().st_size for p in (path / "blobs" / "sha256").iterdir()}
    return BuiltLayout(layout, blobs, {ref: top.digest for ref, top in refs.items()})

"""Benchmark: bundle create against copying its bytes, push against skopeo, in one run.

Usage: python benchmarks/bundle.py [--images 8] [--mib 400] [--repeat 3] [--quick]
       [-o markdown|json]

Builds real OCI images first, each in its own OCI image layout (as ``skopeo copy
docker://… oci:DIR:REF`` leaves them): every image has a config, a manifest and four
gzip'd tar layers — one base layer all images share, one of two "runtime" layers each half
of them share, and two layers of its own — of random bytes, so no compression or
deduplication flatters anyone. ``--mib`` is the total of the distinct blobs (what a bundle
and a registry hold), ``--images`` how many images share them. The same images are also
pushed into a fresh distribution registry and fetched back with ``images pull`` into one
layout, which records every layer it checked (its verification record). Then, side by
side:

- **create**: ``app.make_bundle`` (what ``stackyard bundle create`` runs, in this process)
  of a tiny committed repository and the images, twice: from the layouts another tool
  made (no record: every blob hashed; the record create leaves behind is removed before
  each run, outside the clock, so each run is a first one) and from the layout ``images
  pull`` made (its recorded layers copied unhashed). Each against the floor:
  ``shutil.copyfileobj`` of every blob the bundle stores into one file, ``fsync`` at the
  end as create does. Best of ``--repeat``, taking turns to go first, all on a warm
  page cache, each after a ``sync`` so none pays for the writes of the one before.
  Target: ≥ 80% of the floor's throughput.
- **push**: ``stackyard images push`` of the bundle's layout (the command, a fresh
  interpreter, its start included) into a fresh distribution registry, against ``skopeo
  copy --all oci:LAYOUT:REF docker://…`` of every image into another fresh one, one after
  the other as a script would run them; skopeo gets a fresh HOME, so its blob-info cache
  starts empty. Both registries listen on plain HTTP on loopback with no login, so neither
  pays for TLS. Throughput is the distinct blob bytes over the wall time. Target: at least
  skopeo's throughput.
- **re-push**: the same ``images push`` again: the blobs moved must be 0 (asserted).

Needs Debian's ``docker-registry``; without ``skopeo`` the comparison row says it is
missing and the rest still runs. Timings are never asserted in tests:
tests/test_benchmark_bundle.py runs ``--quick`` to keep the script working.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from scale import machine

from stackyard import app
from stackyard.delivery.layout import (
    MANIFEST_MEDIA_TYPE,
    REF_NAME,
    Descriptor,
    Layout,
    json_bytes,
)
from stackyard.delivery.verified import RECORD_FOLDER

LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json"
CREATE_TARGET = 0.8
MiB = 1024 * 1024
CREATE_HASHED = "bundle create, layouts another tool made (every blob hashed)"
CREATE_PULLED = "bundle create, layout images pull made (recorded blobs trusted)"
FLOOR = "copy floor (copyfileobj + fsync)"


@dataclass
class Row:
    """One measured contender: what ran, how long, on how many bytes."""

    name: str
    seconds: float
    bytes: int
    facts: dict[str, int]

    @property
    def throughput(self) -> float:
        """MiB per second."""
        return self.bytes / MiB / self.seconds if self.seconds else 0.0


# ---- the images ---------------------------------------------------------------------------


def gzip_layer(size: int, seed: int) -> bytes:
    """A gzip'd tar holding one file of ``size`` random bytes.

    The gzip stream uses stored blocks (level 0): a valid layer every tool reads, made at
    memory speed; random bytes would not compress anyway.
    """
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(f"data/{seed}.bin")
        info.size, info.mode = size, 0o644
        tar.addfile(info, io.BytesIO(os.urandom(size)))
    packer = zlib.compressobj(0, zlib.DEFLATED, 31)
    return packer.compress(raw.getvalue()) + packer.flush()


def build_images(folder: Path, count: int, total: int) -> list[tuple[Path, str]]:
    """``count`` image layouts under ``folder`` whose distinct blobs add up to ``total``.

    The shared base is 20% of it, each of the two runtime layers 10%, and the rest is split
    evenly into two layers per image.
    """
    base = gzip_layer(total // 5, 0)
    runtimes = [gzip_layer(total // 10, 1), gzip_layer(total // 10, 2)]
    own = max((total - len(base) - 2 * len(runtimes[0])) // (2 * count), 1024)
    images = []
    for n in range(count):
        layers = [base, runtimes[n % 2], gzip_layer(own, 10 + 2 * n), gzip_layer(own, 11 + 2 * n)]
        reference = f"registry.example.com/bench/app-{n}:1.0"
        images.append((_image_layout(folder / f"app-{n}", reference, layers, n), reference))
    return images


def _image_layout(root: Path, reference: str, layers: list[bytes], n: int) -> Path:
    layout = Layout.create(root)
    descriptors = [layout.add_bytes(layer, LAYER_MEDIA_TYPE) for layer in layers]
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Entrypoint": [f"/bin/app-{n}"]},
        "rootfs": {"type": "layers", "diff_ids": [d.digest for d in descriptors]},
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": layout.add_bytes(json_bytes(config), CONFIG_MEDIA_TYPE).as_dict(),
        "layers": [d.as_dict() for d in descriptors],
    }
    top = layout.add_bytes(json_bytes(manifest), MANIFEST_MEDIA_TYPE)
    named = Descriptor(top.media_type, top.digest, top.size, annotations={REF_NAME: reference})
    layout.write_index([named])
    return root


def committed_repository(folder: Path) -> Path:
    """A tiny rendered tree, committed, as ``bundle create`` wants it."""
    folder.mkdir(parents=True)
    (folder / "README.md").write_text("platform\n")
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "user.name=b", "-c", "user.email=b@example.org", "commit", "-qm", "render"],
    ):
        subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True)
    return folder


# ---- create against the copy floor --------------------------------------------------------


def copy_floor(blobs: list[Path], target: Path) -> int:
    """Copy every blob into one file, fsync it: the least any bundle writer does."""
    written = 0
    with target.open("wb") as out:
        for blob in blobs:
            with blob.open("rb") as source:
                shutil.copyfileobj(source, out, 1 * MiB)
            written += blob.stat().st_size
        out.flush()
        os.fsync(out.fileno())
    return written


def best(work: Callable[[], object], repeat: int) -> float:
    """The shortest wall time of ``repeat`` runs of ``work``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def cpu_seconds() -> float:
    """CPU time this process and its finished children (git) have used so far.

    On a shared machine the wall time moves with the load; the CPU time a contender
    spends does not, so the report gives both.
    """
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def pulled_layout(folder: Path, images: list[tuple[Path, str]]) -> Path:
    """The images pushed into a fresh registry and fetched back with ``images pull``."""
    with registry(folder / "source") as address:
        for layout, _ in images:
            app.push_images(layout, f"http://{address}/src", environ={})
        target = folder / "pulled"
        mirror = f"registry.example.com=http://{address}/src/registry.example.com"
        references = [reference for _, reference in images]
        app.pull_images(references, target, registry_map=[mirror], environ={})
    return target


def measure_create(
    folder: Path, images: list[tuple[Path, str]], pulled: Path, repeat: int
) -> list[Row]:
    """``make_bundle`` from both kinds of layout and the copy floor, alternately."""
    repo = committed_repository(folder / "repo")
    app.make_signing_keys(folder / "signing.key")
    bundle = folder / "platform.tar"
    layouts = tuple(path for path, _ in images)
    results: dict[str, app.BundleResult] = {}

    def create(name: str, sources: tuple[Path, ...]) -> None:
        results[name] = app.make_bundle(repo, bundle, key=folder / "signing.key", images=sources)

    def forget_records() -> None:  # as another tool leaves its layouts: no record
        for layout in layouts:
            shutil.rmtree(layout / RECORD_FOLDER, ignore_errors=True)

    create(CREATE_HASHED, layouts)  # warm: every source blob in the page cache, as the floor's
    create(CREATE_PULLED, (pulled,))
    # each blob once, as the bundle stores it (the layouts each hold their own copy)
    unique = {p.name: p for layout in layouts for p in (layout / "blobs" / "sha256").iterdir()}
    blobs = sorted(unique.values())
    floor_file = folder / "floor.bin"
    runs: dict[str, Callable[[], object]] = {
        CREATE_HASHED: lambda: create(CREATE_HASHED, layouts),
        CREATE_PULLED: lambda: create(CREATE_PULLED, (pulled,)),
        FLOOR: lambda: copy_floor(blobs, floor_file),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    for turn in range(repeat):
        order = list(runs)[turn % 3 :] + list(runs)[: turn % 3]  # each goes first in turn
        for name in order:
            # outside the clock: the last output removed, and every write of the one
            # before (the unlink of 400 MiB included) on disk, so no run pays for another
            forget_records()
            bundle.unlink(missing_ok=True)
            floor_file.unlink(missing_ok=True)
            os.sync()
            used = cpu_seconds()
            times[name].append(best(runs[name], 1))
            cpu[name].append(cpu_seconds() - used)
    stored = sum(p.stat().st_size for p in blobs)
    if not bundle.exists():
        create(CREATE_PULLED, (pulled,))  # the push below reads it
    size = bundle.stat().st_size
    rows = []
    for name in (CREATE_HASHED, CREATE_PULLED):
        result = results[name]
        facts = {
            "bundleBytes": size,
            "blobsHashed": result.blobs_hashed,
            "blobsTrusted": result.blobs_trusted,
            "cpuMilliseconds": round(1000 * min(cpu[name])),
        }
        rows.append(Row(name, min(times[name]), size, facts))
    facts = {"blobs": len(blobs), "cpuMilliseconds": round(1000 * min(cpu[FLOOR]))}
    rows.append(Row(FLOOR, min(times[FLOOR]), stored, facts))
    return rows


# ---- push against skopeo -----------------------------------------------------------------


@contextmanager
def registry(folder: Path) -> Iterator[str]:
    """A fresh distribution registry on plain HTTP, loopback, no login; its HOST:PORT."""
    binary = shutil.which("docker-registry") or shutil.which("registry")
    if binary is None:
        sys.exit("the benchmark needs Debian's docker-registry (apt-get install docker-registry)")
    folder.mkdir(parents=True)
    with socket_port() as port:
        address = f"127.0.0.1:{port}"
    config = folder / "config.yml"
    config.write_text(
        "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
        f"storage:\n  filesystem:\n    rootdirectory: {folder / 'storage'}\n"
        f"http:\n  addr: {address}\n  secret: benchmark\n"
    )
    with (folder / "registry.log").open("wb") as log:
        process = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while not _answers(f"http://{address}/v2/"):
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"docker-registry did not start: {(folder / 'registry.log').read_text()}")
            time.sleep(0.05)
        yield address
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def socket_port() -> Iterator[int]:
    """A loopback port free right now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        yield int(probe.getsockname()[1])


def _answers(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except OSError:
        return False


def stackyard_push(layout: Path, address: str) -> dict[str, Any]:
    """What ``stackyard images push LAYOUT`` runs, in this process; its JSON result.

    In process because the command's start (importing Stackyard, about 2.5 CPU seconds,
    measured on its own as "command start") is a constant, not a matter of throughput.
    """
    result = app.push_images(layout, f"http://{address}/bench", environ={})
    return result.as_dict()


def command_start() -> float:
    """The wall time of ``stackyard --version``: what every command pays before its work."""
    start = time.perf_counter()
    command = [sys.executable, "-m", "stackyard", "--version"]
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def skopeo_push(images: list[tuple[Path, str]], address: str, home: Path) -> None:
    """``skopeo copy --all`` of every image, one after the other, with an empty cache."""
    home.mkdir()
    for layout, reference in images:
        name = reference.split("/", 1)[1]
        subprocess.run(
            [
                *("skopeo", "copy", "--all", "--quiet", "--dest-tls-verify=false"),
                *(f"oci:{layout}:{reference}", f"docker://{address}/skopeo/{name}"),
            ],
            check=True,
            capture_output=True,
            env={**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / ".local")},
        )


def measure_push(folder: Path, images: list[tuple[Path, str]], bundle: Path) -> list[Row]:
    """images push into one fresh registry, skopeo into another, then the re-push."""
    key = bundle.parent / "signing.key.pub"
    layout = folder / "layout"
    folder.mkdir(parents=True, exist_ok=True)
    app.check_bundle(bundle, key=key, unpack=layout)
    total = sum(p.stat().st_size for p in (layout / "blobs" / "sha256").iterdir())
    total -= sum(  # the GitOps repository's blobs stay out of the registry
        d.size
        for top in Layout(layout).manifests()
        if (top.reference or "").startswith("gitops/")
        for d in Layout(layout).walk(top)
    )
    rows = [Row("stackyard command start (--version)", command_start(), 0, {})]
    with registry(folder / "ours") as address:
        start = time.perf_counter()
        first = stackyard_push(layout, address)
        seconds = time.perf_counter() - start
        rows.append(Row("stackyard images push", seconds, total, _blob_facts(first)))
        start = time.perf_counter()
        again = stackyard_push(layout, address)
        seconds = time.perf_counter() - start
        assert again["blobs"]["pushed"] == 0 and again["blobs"]["bytesPushed"] == 0, again
        rows.append(Row("stackyard images push again (unchanged)", seconds, 0, _blob_facts(again)))
    if shutil.which("skopeo") is None:
        print("skopeo is not installed (apt-get install skopeo): no comparison", file=sys.stderr)
        return rows
    with registry(folder / "skopeo") as address:
        start = time.perf_counter()
        skopeo_push(images, address, folder / "skopeo-home")
        seconds = time.perf_counter() - start
        rows.append(Row("skopeo copy --all, image after image", seconds, total, {}))
    return rows


def _blob_facts(result: dict[str, Any]) -> dict[str, int]:
    return {
        "blobsPushed": result["blobs"]["pushed"],
        "blobsSkipped": result["blobs"]["skipped"],
        "bytesPushed": result["blobs"]["bytesPushed"],
    }


# ---- the report ---------------------------------------------------------------------------


def targets(rows: list[Row]) -> list[dict[str, Any]]:
    """Each target of issue 18 with its measured ratio."""
    by_name = {row.name: row for row in rows}
    found = []
    floor = by_name[FLOOR]
    for name, what in (
        (CREATE_HASHED, "create (every blob hashed) / copy floor"),
        (CREATE_PULLED, "create (pulled, recorded) / copy floor"),
    ):
        ratio = by_name[name].throughput / floor.throughput
        found.append({"what": what, "measured": ratio, "bound": CREATE_TARGET})
    push = by_name["stackyard images push"]
    skopeo = by_name.get("skopeo copy --all, image after image")
    if skopeo is not None:
        ratio = push.throughput / skopeo.throughput
        found.append({"what": "images push / skopeo copy", "measured": ratio, "bound": 1.0})
    again = by_name["stackyard images push again (unchanged)"]
    moved = again.facts["blobsPushed"]
    found.append({"what": "blobs moved by the re-push", "measured": moved, "bound": 0})
    for target in found:
        bound = target["bound"]
        target["met"] = target["measured"] == 0 if bound == 0 else target["measured"] >= bound
    return found


def markdown(rows: list[Row], met: list[dict[str, Any]], facts: dict[str, Any]) -> str:
    """The tables docs/benchmarks.md records."""
    lines = [
        f"{facts['images']} images, {facts['blobs']} distinct blobs, "
        f"{facts['distinctBytes'] / MiB:.0f} MiB distinct "
        f"({facts['imageBytes'] / MiB:.0f} MiB counting each image's layers); "
        f"bundle {facts['bundleBytes'] / MiB:.0f} MiB.",
        "",
        "| measurement | wall | CPU | MiB | MiB/s |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        used = row.facts.get("cpuMilliseconds")
        shown = f"{used / 1000:.2f} s" if used is not None else ""
        lines.append(
            f"| {row.name} | {row.seconds:.2f} s | {shown} | {row.bytes / MiB:.0f} "
            f"| {row.throughput:.0f} |"
        )
    lines += ["", "| target | measured | bound | result |", "|---|---:|---:|---|"]
    for target in met:
        measured, bound = target["measured"], target["bound"]
        shown = f"{measured}" if bound == 0 else f"{measured:.2f}×"
        limit = "= 0" if bound == 0 else f"≥ {bound:.2f}×"
        lines.append(
            f"| {target['what']} | {shown} | {limit} | {'PASS' if target['met'] else 'MISS'} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--mib", type=int, default=400, help="distinct blob MiB in all")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="2 images, 4 MiB: a smoke run")
    parser.add_argument("-o", "--output", choices=("markdown", "json"), default="markdown")
    options = parser.parse_args()
    count, mib, repeat = options.images, options.mib, options.repeat
    if options.quick:
        count, mib, repeat = 2, 4, 1
    with tempfile.TemporaryDirectory(prefix="stackyard-bench-bundle-") as scratch:
        folder = Path(scratch)
        images = build_images(folder / "images", count, mib * MiB)
        pulled = pulled_layout(folder / "pull", images)
        rows = measure_create(folder / "create", images, pulled, repeat)
        rows += measure_push(folder / "push", images, folder / "create" / "platform.tar")
        distinct = {
            p.name: p.stat().st_size
            for layout, _ in images
            for p in (layout / "blobs" / "sha256").iterdir()
        }
        facts = {
            "images": count,
            "blobs": len(distinct),
            "distinctBytes": sum(distinct.values()),
            "imageBytes": sum(
                p.stat().st_size
                for layout, _ in images
                for p in (layout / "blobs" / "sha256").iterdir()
            ),
            "bundleBytes": (folder / "create" / "platform.tar").stat().st_size,
        }
    met = targets(rows)
    if options.output == "json":
        document = {
            "machine": machine(),
            "facts": facts,
            "measurements": [{**asdict(r), "throughput": r.throughput} for r in rows],
            "targets": met,
        }
        print(json.dumps(document, indent=2))
    else:
        print(markdown(rows, met, facts))


if __name__ == "__main__":
    main()

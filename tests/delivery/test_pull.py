"""``images pull`` against a real registry (docker-registry, TLS, htpasswd) holding small real
images the tests push there: by tag and digest, platforms, faults, and a resume after SIGKILL."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stackyard.cli.main import app
from stackyard.delivery.layout import Descriptor, Layout, LayoutError, sha256_digest
from stackyard.delivery.registry import push_layout
from stackyard.delivery.registry_client import Credentials, parse_target
from tests.app.schemas import assert_matches
from tests.conftest import ROOT
from tests.delivery.gitrepos import commit_tree
from tests.ociimages import LAYER_MEDIA_TYPE, image_layout
from tests.registry import PASSWORD, READER, READER_PASSWORD, USERNAME, Registry
from tests.servers import free_port

PREFIX = "src"
SHARED = {"etc/os-release": b"ID=pull-test\n"}
BIG_BYTES = 12 << 20
"""The layer the resume test cuts: large enough to be caught half-way through a slow link."""
APP = "docker.io/library/app:1"
TOOL = "quay.io/example/tool:2"
BIG = "ghcr.io/example/big:1"


@dataclass(frozen=True)
class Sources:
    """The source images in the test registry: reference → digest of what was pushed."""

    digests: dict[str, str]
    layouts: dict[str, Layout]
    maps: list[str]
    """``--registry-map`` options sending every public registry to the test registry."""


def _maps(host: str) -> list[str]:
    maps = []
    for public in ("docker.io", "quay.io", "ghcr.io"):
        maps += ["--registry-map", f"{public}={host}/{PREFIX}/{public}"]
    return maps


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STACKYARD_REGISTRY_USERNAME", USERNAME)
    monkeypatch.setenv("STACKYARD_REGISTRY_PASSWORD", PASSWORD)


@pytest.fixture(scope="module")
def sources(registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> Sources:
    """Three images pushed under ``src/<public host>/…``, as a mirror holds them."""
    folder = tmp_path_factory.mktemp("sources")
    layouts = {
        APP: image_layout(
            folder / "app",
            APP,
            [SHARED, {"bin/app": b"app v1\n"}],
            architectures=("amd64", "arm64"),
        ),
        TOOL: image_layout(folder / "tool", TOOL, [SHARED, {"bin/tool": b"tool\n"}]),
        BIG: image_layout(folder / "big", BIG, [SHARED, {"data/blob": os.urandom(BIG_BYTES)}]),
    }
    digests = {}
    for reference, layout in layouts.items():
        push_layout(
            layout.root,
            parse_target(f"{registry.host}/{PREFIX}"),
            credentials=Credentials(USERNAME, PASSWORD),
            ca_file=registry.ca_file,
        )
        (top,) = layout.manifests()
        digests[reference] = top.digest
    return Sources(digests, layouts, _maps(registry.host))


def _pull(registry: Registry, *args: str, code: int = 0) -> Any:
    command = ["images", "pull", *args, "--ca-file", str(registry.ca_file)]
    result = CliRunner().invoke(app, command, catch_exceptions=False, env={"COLUMNS": "300"})
    assert result.exit_code == code, result.stdout + result.stderr
    if code == 0 and "json" in args:
        return json.loads(result.stdout)
    return result


def _blobs(root: Path) -> set[str]:
    return {"sha256:" + p.name for p in (root / "blobs" / "sha256").iterdir()}


def _checked_blobs(root: Path) -> set[str]:
    """Every blob of the layout, each file's bytes hashed: they must match their names."""
    found = set()
    for path in (root / "blobs" / "sha256").iterdir():
        assert not path.name.startswith("."), f"a partial blob was left: {path.name}"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name
        found.add("sha256:" + path.name)
    return found


def _reachable(layout: Layout) -> set[str]:
    return {d.digest for top in layout.manifests() for d in layout.walk(top)}


def test_a_tag_pulls_every_platform_into_a_layout_named_by_reference(
    registry: Registry, sources: Sources, tmp_path: Path
) -> None:
    target = tmp_path / "images"
    document = _pull(registry, APP, TOOL, "-d", str(target), *sources.maps, "-o", "json")
    assert_matches("images-pull", document)
    by_reference = {i["reference"]: i for i in document["images"]}
    assert set(by_reference) == {APP, TOOL}
    app_image = by_reference[APP]
    assert app_image["source"] == f"{registry.host}/{PREFIX}/docker.io/library/app"
    assert app_image["digest"] == app_image["sourceDigest"] == sources.digests[APP]
    assert app_image["platforms"] == ["linux/amd64", "linux/arm64"]
    assert app_image["status"] == "pulled"

    layout = Layout.open(target)
    names = {top.reference: top.digest for top in layout.manifests()}
    assert names == {APP: sources.digests[APP], TOOL: sources.digests[TOOL]}
    # Every blob the images reach is there, byte for byte what the source held, and no more.
    expected = _reachable(sources.layouts[APP]) | _reachable(sources.layouts[TOOL])
    assert _checked_blobs(target) == expected == _reachable(layout)
    # Each layer came once, the base layer both images share too (configs and manifests
    # are read with the manifests, not counted as blobs fetched).
    layers = {
        d.digest
        for source in (sources.layouts[APP], sources.layouts[TOOL])
        for top in source.manifests()
        for d in source.walk(top)
        if d.media_type == LAYER_MEDIA_TYPE
    }
    assert document["blobs"]["fetched"] == len(layers) == 5

    again = _pull(registry, APP, TOOL, "-d", str(target), *sources.maps, "-o", "json")
    assert again["blobs"]["fetched"] == again["blobs"]["bytesFetched"] == 0
    assert again["blobs"]["present"] == document["blobs"]["fetched"]
    assert {i["status"] for i in again["images"]} == {"present"}


def test_a_digest_reference_pulls_that_exact_content(
    registry: Registry, sources: Sources, tmp_path: Path
) -> None:
    pinned = f"quay.io/example/tool@{sources.digests[TOOL]}"
    document = _pull(registry, pinned, "-d", str(tmp_path / "l"), *sources.maps, "-o", "json")
    (image,) = document["images"]
    assert image["reference"] == pinned and image["digest"] == sources.digests[TOOL]
    (top,) = Layout.open(tmp_path / "l").manifests()
    assert top.reference == pinned


def test_platform_keeps_only_the_chosen_platform_and_rewrites_the_index(
    registry: Registry, sources: Sources, tmp_path: Path
) -> None:
    target = tmp_path / "arm"
    args = [APP, "-d", str(target), "--platform", "linux/arm64", *sources.maps, "-o", "json"]
    (image,) = _pull(registry, *args)["images"]
    assert image["platforms"] == ["linux/arm64"]
    assert image["sourceDigest"] == sources.digests[APP] != image["digest"]

    layout = Layout.open(target)
    (top,) = layout.manifests()
    assert top.reference == APP and top.digest == image["digest"]
    index = json.loads(layout.read_blob(top))
    assert [m["platform"]["architecture"] for m in index["manifests"]] == ["arm64"]
    # Only arm64's blobs were fetched: the amd64 manifest and its own layer are absent.
    source = sources.layouts[APP]
    (source_top,) = source.manifests()
    amd64 = next(
        child for child in source.children(source_top) if child.platform["architecture"] == "amd64"
    )
    assert amd64.digest not in _blobs(target)
    assert _checked_blobs(target) == _reachable(layout)


def test_an_image_for_none_of_the_platforms_is_refused(
    registry: Registry, sources: Sources, tmp_path: Path
) -> None:
    result = _pull(
        registry, TOOL, "-d", str(tmp_path / "l"), "--platform", "linux/s390x", *sources.maps,
        code=2,
    )  # fmt: skip
    assert f"{TOOL} is built for linux/amd64, none of linux/s390x" in result.stderr


def test_a_file_of_references_as_validate_writes_it(
    registry: Registry, sources: Sources, tmp_path: Path
) -> None:
    listing = tmp_path / "images.txt"
    listing.write_text(
        "# image\tregistry\trepository\ttag\tdigest\tused by\n"
        f"{TOOL}\tquay.io\texample/tool\t2\t-\tplatform/tool\n"
        "\n"
        "  # a comment line, then a bare reference with a trailing comment\n"
        "app:1   # Docker Hub's library image\n",
        encoding="utf-8",
    )
    document = _pull(registry, str(listing), "-d", str(tmp_path / "l"), *sources.maps, "-o", "json")
    assert [i["reference"] for i in document["images"]] == [TOOL, APP]


def test_a_bad_line_is_named_with_its_line_number(tmp_path: Path, registry: Registry) -> None:
    listing = tmp_path / "images.txt"
    listing.write_text(f"{TOOL}\nNot A Reference!\n", encoding="utf-8")
    result = _pull(registry, str(listing), "-d", str(tmp_path / "l"), code=2)
    assert f"{listing}:2: 'Not' is not an image reference" in result.stderr
    assert not (tmp_path / "l").exists()


@pytest.mark.parametrize(
    ("image", "message"),
    [
        ("quay.io/example/tool:9.9", "quay.io/example/tool:9.9: no such image or tag"),
        ("quay.io/example/nothing:1", "quay.io/example/nothing:1: no such image"),
    ],
)
def test_an_unknown_image_or_tag_is_named(
    registry: Registry, sources: Sources, tmp_path: Path, image: str, message: str
) -> None:
    result = _pull(registry, image, "-d", str(tmp_path / "l"), *sources.maps, code=2)
    assert message in result.stderr
    assert Layout.open(tmp_path / "l").manifests() == []


def test_a_wrong_password_or_no_login_is_refused(
    registry: Registry, sources: Sources, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STACKYARD_REGISTRY_PASSWORD", "wrong")
    result = _pull(registry, TOOL, "-d", str(tmp_path / "a"), *sources.maps, code=2)
    assert "refused the credentials of 'pusher'" in result.stderr
    monkeypatch.delenv("STACKYARD_REGISTRY_USERNAME")
    monkeypatch.delenv("STACKYARD_REGISTRY_PASSWORD")
    result = _pull(registry, TOOL, "-d", str(tmp_path / "b"), *sources.maps, code=2)
    assert "asks for a login" in result.stderr and "STACKYARD_REGISTRY_USERNAME" in result.stderr


def test_a_registry_that_logs_in_with_tokens_gives_a_reader_its_images(
    token_registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pushed by the account that may push; pulled by one whose tokens grant pull only.
    reference = "quay.io/example/token:1"
    source = image_layout(tmp_path / "source", reference, [SHARED, {"bin/t": b"token\n"}])
    push_layout(
        source.root,
        parse_target(f"{token_registry.host}/{PREFIX}"),
        credentials=Credentials(USERNAME, PASSWORD),
        ca_file=token_registry.ca_file,
    )
    monkeypatch.setenv("STACKYARD_REGISTRY_USERNAME", READER)
    monkeypatch.setenv("STACKYARD_REGISTRY_PASSWORD", READER_PASSWORD)
    target = tmp_path / "l"
    args = [reference, "-d", str(target), *_maps(token_registry.host), "-o", "json"]
    (image,) = _pull(token_registry, *args)["images"]
    assert image["digest"] == source.manifests()[0].digest
    assert _checked_blobs(target) == _reachable(source)

    monkeypatch.setenv("STACKYARD_REGISTRY_PASSWORD", "wrong")
    result = _pull(
        token_registry, reference, "-d", str(tmp_path / "m"), *_maps(token_registry.host), code=2
    )
    assert f"refused the credentials of '{READER}'" in result.stderr


def test_an_unreachable_or_untrusted_registry_is_refused(
    registry: Registry, sources: Sources, tmp_path: Path
) -> None:
    port = free_port()
    nowhere = ["--registry-map", f"quay.io=127.0.0.1:{port}/{PREFIX}/quay.io"]
    result = _pull(registry, TOOL, "-d", str(tmp_path / "a"), *nowhere, code=2)
    assert f"{TOOL}: cannot reach https://127.0.0.1:{port}" in result.stderr
    command = ["images", "pull", TOOL, "-d", str(tmp_path / "b"), *sources.maps]
    result = CliRunner().invoke(app, [*command, "--ca-file", str(registry.other_ca_file)])
    assert result.exit_code == 2
    assert "not trusted" in result.stderr and "--ca-file" in result.stderr


def test_a_blob_whose_bytes_changed_in_the_registry_is_refused_and_removed(
    registry: Registry, tmp_path: Path
) -> None:
    # An image of its own, so the corrupted blob is no other test's.
    reference = "quay.io/example/corrupt:1"
    source = image_layout(tmp_path / "source", reference, [{"bin/x": os.urandom(4096)}])
    push_layout(
        source.root,
        parse_target(f"{registry.host}/{PREFIX}"),
        credentials=Credentials(USERNAME, PASSWORD),
        ca_file=registry.ca_file,
    )
    (top,) = source.manifests()
    layer = source.children(top)[1]
    stored = (
        registry.storage / "docker/registry/v2/blobs/sha256" / layer.hex[:2] / layer.hex / "data"
    )
    data = bytearray(stored.read_bytes())
    data[100] ^= 0xFF
    stored.write_bytes(bytes(data))

    target = tmp_path / "l"
    result = _pull(registry, reference, "-d", str(target), *_maps(registry.host), code=2)
    assert f"{reference}: the blob {layer.digest}" in result.stderr
    assert "does not match its digest" in result.stderr
    assert layer.digest not in _blobs(target)
    assert not list((target / "blobs" / "sha256").glob(".*"))  # no partial kept
    assert Layout.open(target).manifests() == []


def test_a_partial_blob_starts_over_when_the_source_ignores_the_range(tmp_path: Path) -> None:
    layout = Layout.create(tmp_path / "l")
    data = os.urandom(3 << 20)
    descriptor = Descriptor("application/octet-stream", sha256_digest(data), len(data))
    layout.partial_path(descriptor).write_bytes(b"x" * (1 << 20))  # wrong bytes, kept
    asked = []

    def whole(offset: int) -> tuple[io.BytesIO, int]:
        asked.append(offset)
        return io.BytesIO(data), 0  # a server without Range support sends everything

    assert layout.resume_blob(descriptor, whole) == len(data)
    assert asked == [1 << 20]
    assert layout.read_blob(descriptor) == data
    assert not layout.partial_path(descriptor).exists()


def test_a_partial_blob_is_continued_and_checked_whole(tmp_path: Path) -> None:
    layout = Layout.create(tmp_path / "l")
    data = os.urandom(3 << 20)
    descriptor = Descriptor("application/octet-stream", sha256_digest(data), len(data))
    layout.partial_path(descriptor).write_bytes(data[:1000])
    assert layout.resume_blob(descriptor, lambda offset: (io.BytesIO(data[offset:]), offset)) == (
        len(data) - 1000
    )
    assert layout.read_blob(descriptor) == data
    # A partial whose kept bytes are wrong fails the whole blob's digest and is removed.
    other = os.urandom(1 << 20)
    bad = Descriptor("application/octet-stream", sha256_digest(other), len(other))
    layout.partial_path(bad).write_bytes(b"y" * 100)
    with pytest.raises(LayoutError, match="does not match its digest"):
        layout.resume_blob(bad, lambda offset: (io.BytesIO(other[offset:]), offset))
    assert not layout.partial_path(bad).exists() and not layout.has_blob(bad)


class SlowLink:
    """A TCP relay to the registry that passes ``limit`` bytes back per connection, then stalls.

    TLS runs end to end through it (the registry's certificate names 127.0.0.1), so a pull
    through it is a real pull that stops half-way through a large blob and stays there.
    """

    def __init__(self, upstream: int, limit: int) -> None:
        self.upstream = upstream
        self.limit = limit
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.sockets: list[socket.socket] = [self.server]
        self.closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream))
            self.sockets += [client, upstream]
            threading.Thread(target=self._relay, args=(client, upstream, None), daemon=True).start()
            threading.Thread(
                target=self._relay, args=(upstream, client, self.limit), daemon=True
            ).start()

    def _relay(self, source: socket.socket, target: socket.socket, limit: int | None) -> None:
        passed = 0
        try:
            while data := source.recv(65536):
                if limit is not None and passed + len(data) > limit:
                    target.sendall(data[: limit - passed])
                    self.closed.wait()  # stall: hold the rest until the test ends
                    return
                target.sendall(data)
                passed += len(data)
        except OSError:
            return
        finally:
            with contextlib.suppress(OSError):
                target.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.closed.set()
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.close()


@pytest.fixture
def slow_link(registry: Registry) -> Iterator[SlowLink]:
    link = SlowLink(registry.port, limit=3 << 20)
    yield link
    link.close()


def _access_log_lines(registry: Registry, digest: str) -> list[str]:
    log = (registry.folder / "registry.log").read_text(encoding="utf-8", errors="replace")
    return [
        line
        for line in log.splitlines()
        if line.startswith("127.0.0.1 - ") and '"GET /v2/' in line and f"/blobs/{digest} " in line
    ]


def test_a_pull_killed_mid_blob_resumes_from_where_the_partial_file_ends(
    registry: Registry, sources: Sources, slow_link: SlowLink, tmp_path: Path
) -> None:
    target = tmp_path / "images"
    layer = max(
        sources.layouts[BIG].walk(sources.layouts[BIG].manifests()[0]), key=lambda d: d.size
    )
    assert layer.size > BIG_BYTES
    partial = Layout(target).partial_path(layer)
    through_the_slow_link = [
        "--registry-map",
        f"ghcr.io=127.0.0.1:{slow_link.port}/{PREFIX}/ghcr.io",
    ]
    command = [sys.executable, "-m", "stackyard", "-q", "images", "pull", BIG, "-d", str(target)]
    command += ["--ca-file", str(registry.ca_file), *through_the_slow_link]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    puller = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not (partial.exists() and partial.stat().st_size >= 1 << 20):
            assert puller.poll() is None, puller.communicate()
            assert time.monotonic() < deadline, "the pull never got half-way into the layer"
            time.sleep(0.02)
        os.kill(puller.pid, signal.SIGKILL)
    finally:
        puller.kill()
        puller.communicate()  # reaps it and closes its pipes
    kept = partial.stat().st_size
    assert 0 < kept < layer.size
    assert not Layout(target).has_blob(layer)

    document = _pull(registry, BIG, "-d", str(target), *sources.maps, "-o", "json")
    assert document["blobs"]["resumed"] == 1
    assert document["blobs"]["bytesResumed"] == kept
    (image,) = document["images"]
    fetched_layer = layer.size - kept
    # The small base layer was complete before the kill: only the rest of the big one moved.
    assert image["bytesFetched"] == document["blobs"]["bytesFetched"] == fetched_layer
    # The registry served the layer from where the partial file ended: 206, the rest only.
    (resumed,) = [line for line in _access_log_lines(registry, layer.digest) if '" 206 ' in line]
    assert f'" 206 {fetched_layer} ' in resumed, resumed
    assert _checked_blobs(target) == _reachable(Layout.open(target))
    assert [top.reference for top in Layout.open(target).manifests()] == [BIG]


def test_too_little_room_is_refused_before_a_layer_is_written(
    registry: Registry, sources: Sources, tiny_disk: Path
) -> None:
    result = _pull(registry, BIG, "-d", str(tiny_disk / "l"), *sources.maps, code=2)
    assert "only" in result.stderr and "are free; no layer was downloaded" in result.stderr
    assert _blobs(tiny_disk / "l") == set()


def test_pulled_images_go_into_a_bundle_that_verifies(
    registry: Registry, sources: Sources, tmp_path: Path
) -> None:
    target = tmp_path / "images"
    _pull(registry, APP, TOOL, "-d", str(target), "--platform", "linux/amd64", *sources.maps)
    tree = tmp_path / "repo"
    tree.mkdir()
    (tree / "README.md").write_text("platform\n", encoding="utf-8")
    commit_tree(tree)
    runner = CliRunner()
    key = tmp_path / "signing.key"
    assert runner.invoke(app, ["bundle", "keygen", str(key)]).exit_code == 0
    bundle = tmp_path / "platform.tar"
    created = runner.invoke(
        app,
        ["bundle", "create", str(tree), str(bundle), "--key", str(key), "--images", str(target),
         "-o", "json"],
    )  # fmt: skip
    assert created.exit_code == 0, created.stderr
    carried = {a["reference"]: a for a in json.loads(created.stdout)["artifacts"]}
    assert carried[APP]["platforms"] == ["linux/amd64"]
    assert carried[TOOL]["digest"] == sources.digests[TOOL]
    verified = runner.invoke(app, ["bundle", "verify", str(bundle), "--key", f"{key}.pub"])
    assert verified.exit_code == 0, verified.stderr


def test_the_text_output_names_each_image_and_counts_the_blobs(
    registry: Registry, sources: Sources, tmp_path: Path
) -> None:
    result = _pull(registry, TOOL, "-d", str(tmp_path / "l"), *sources.maps)
    assert f"pulled   {TOOL} {sources.digests[TOOL]} (linux/amd64)" in result.stdout
    assert f"1 image in {tmp_path / 'l'}: 2 blobs fetched" in result.stderr
    again = _pull(registry, TOOL, "-d", str(tmp_path / "l"), *sources.maps)
    assert f"present  {TOOL}" in again.stdout
    assert "0 blobs fetched (0 bytes), 2 already there" in again.stderr


def test_a_second_pull_into_the_same_layout_waits_for_the_first(
    registry: Registry, sources: Sources, slow_link: SlowLink, tmp_path: Path
) -> None:
    """Two real processes: the first holds the layout's lock while it is stuck half-way
    through the big layer; the second says it waits and writes nothing until the first is
    killed, then resumes the first's partial blob and names both images in one index."""
    target = tmp_path / "images"
    big = sources.layouts[BIG]
    layer = max(big.walk(big.manifests()[0]), key=lambda d: d.size)
    partial = Layout(target).partial_path(layer)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    pull = ["images", "pull", "-d", str(target), "--ca-file", str(registry.ca_file)]
    stackyard = [sys.executable, "-m", "stackyard"]
    slow = ["--registry-map", f"ghcr.io=127.0.0.1:{slow_link.port}/{PREFIX}/ghcr.io"]
    first = subprocess.Popen([*stackyard, "-q", *pull, BIG, *slow], env=env, stderr=subprocess.PIPE)
    processes = [first]
    try:
        deadline = time.monotonic() + 120
        while not (partial.exists() and partial.stat().st_size >= 1 << 20):
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the first pull never got into the layer"
            time.sleep(0.02)
        second_err = tmp_path / "second.err"
        with second_err.open("wb") as err:
            second = subprocess.Popen(
                [*stackyard, *pull, BIG, APP, *sources.maps, "-o", "json"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=err,
            )
        processes.append(second)
        while "waiting for another pull" not in second_err.read_text():
            assert second.poll() is None, second_err.read_text()
            assert time.monotonic() < deadline, "the second pull never said it waits"
            time.sleep(0.02)
        time.sleep(1.0)  # the second keeps waiting: nothing of its own lands meanwhile
        assert second.poll() is None
        assert [top.reference for top in Layout.open(target).manifests()] == []
        kept = partial.stat().st_size
        os.kill(first.pid, signal.SIGKILL)  # the kernel releases the lock with the process
        first.wait()
        out, _ = second.communicate(timeout=120)
    finally:
        for process in processes:
            process.kill()
            process.wait()
            for pipe in (process.stdout, process.stderr):
                if pipe is not None:
                    pipe.close()
    assert second.returncode == 0, second_err.read_text()
    assert f"waiting for another pull into {target.absolute()}" in second_err.read_text()
    document = json.loads(out)
    assert document["blobs"]["resumed"] == 1 and document["blobs"]["bytesResumed"] == kept
    layout = Layout.open(target)
    assert {top.reference for top in layout.manifests()} == {BIG, APP}
    assert _checked_blobs(target) == _reachable(layout)
    assert not (target / ".stackyard-pull.lock").exists()

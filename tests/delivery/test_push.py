"""Pushing an OCI layout into a real registry (docker-registry, TLS, htpasswd) and a Git bundle
into a real Git server, then reading back what arrived."""

from __future__ import annotations

import contextlib
import itertools
import json
import shutil
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import urllib3

from stackyard.delivery.layout import MANIFEST_MEDIA_TYPE
from stackyard.delivery.registry import CHUNK_ATTEMPTS, PushReport, push_layout
from stackyard.delivery.registry_client import (
    Credentials,
    RegistryClient,
    RegistryPushError,
    Target,
    parse_target,
)
from tests.ociimages import BuiltLayout, build_layout
from tests.registry import MANIFEST_ACCEPT, PASSWORD, USERNAME, Registry
from tests.servers import free_port

_prefixes = itertools.count()
MIB = 1024 * 1024


def _target(registry: Registry) -> Target:
    return parse_target(f"{registry.host}/test{next(_prefixes)}")


def _push(layout: BuiltLayout, registry: Registry, target: Target, **options: object) -> PushReport:
    return push_layout(
        layout.path,
        target,
        credentials=Credentials(USERNAME, PASSWORD),
        ca_file=registry.ca_file,
        **options,  # type: ignore[arg-type]
    )


def test_a_pushed_layout_pulls_back_byte_for_byte(registry: Registry, tmp_path: Path) -> None:
    layout = build_layout(tmp_path / "layout")
    target = _target(registry)
    report = _push(layout, registry, target)
    pulled = {
        **registry.pull(f"{target.prefix}/ghcr.io/example/app", "1.0"),
        **registry.pull(f"{target.prefix}/docker.io/example/web", "2.1"),
    }
    assert set(pulled) == set(layout.blobs)
    for digest, data in pulled.items():
        assert data == layout.blob_path(digest).read_bytes()
    # app: config, base, app; web: two configs, two layers, and the base, which the registry
    # already holds in app's repository: mounted from there, not sent again
    assert report.blobs_pushed == 3 + 4 and report.blobs_skipped == 1
    assert report.bytes_pushed == _sent_once(pulled)
    assert report.manifests_pushed == 4


def _sent_once(pulled: dict[str, bytes]) -> int:
    """The bytes of every distinct config and layer (manifests are not counted as blobs)."""
    return sum(len(data) for data in pulled.values() if b'"schemaVersion"' not in data)


def test_a_shared_layer_is_mounted_under_a_token_login_too(
    token_registry: Registry, tmp_path: Path
) -> None:
    """Mounting reads the source repository: the token asks for pull there as well, and the
    registry checks it."""
    layout = build_layout(tmp_path / "layout")
    target = _target(token_registry)
    report = _push(layout, token_registry, target)
    pulled = {
        **token_registry.pull(f"{target.prefix}/ghcr.io/example/app", "1.0"),
        **token_registry.pull(f"{target.prefix}/docker.io/example/web", "2.1"),
    }
    assert set(pulled) == set(layout.blobs)
    assert report.blobs_skipped == 1 and report.bytes_pushed == _sent_once(pulled)
    assert token_registry.token_server is not None
    app, web = (
        f"repository:{target.prefix}/{name}"
        for name in ("ghcr.io/example/app", "docker.io/example/web")
    )
    assert f"{web}:pull,push {app}:pull" in token_registry.token_server.issued


def test_a_mount_the_registry_cannot_make_sends_the_blob_into_the_session_it_opened(
    registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The base layer leaves app's repository just before web mounts it from there: the
    registry answers the mount with a new upload session (202), and the layer goes up in
    that one, not in yet another while the first is left open."""
    layout = build_layout(tmp_path / "layout")
    target = _target(registry)
    real_mount = RegistryClient.mount

    def mount_from_a_repository_that_lost_it(
        client: RegistryClient, repository: str, digest: str, source: str
    ) -> str | None:
        shutil.rmtree(registry.repository_folder(source) / "_layers" / digest.replace(":", "/"))
        return real_mount(client, repository, digest, source)

    monkeypatch.setattr(RegistryClient, "mount", mount_from_a_repository_that_lost_it)
    report = _push(layout, registry, target)
    web = f"{target.prefix}/docker.io/example/web"
    assert set(registry.pull(web, "2.1")) <= set(layout.blobs)
    assert report.blobs_pushed == 8 and report.blobs_skipped == 0
    uploads = registry.repository_folder(web) / "_uploads"
    assert not list(uploads.iterdir()), "an upload session was left open"
    started = [line for line in registry.access_log() if f'"POST /v2/{web}/blobs/uploads/' in line]
    assert len(started) == 5, "\n".join(started)  # four sessions, and the mount that became one


def test_a_repush_moves_no_blobs(registry: Registry, tmp_path: Path) -> None:
    layout = build_layout(tmp_path / "layout")
    target = _target(registry)
    first = _push(layout, registry, target)
    again = _push(layout, registry, target)
    assert again.blobs_pushed == 0 and again.bytes_pushed == 0
    assert again.blobs_skipped == first.blobs_pushed + first.blobs_skipped
    assert again.manifests_pushed == 0 and again.manifests_skipped == first.manifests_pushed


def test_a_tag_pushed_over_during_the_push_is_not_reported_as_pushed(
    registry: Registry, tmp_path: Path
) -> None:
    """Another client pushes app:1.0 while web's blobs go up: the push ends with an error
    naming the tag, not a report that app:1.0 is the image it sent."""
    layout = build_layout(tmp_path / "layout")
    target = _target(registry)
    app = f"{target.prefix}/ghcr.io/example/app"
    other = RegistryClient(target, Credentials(USERNAME, PASSWORD), registry.ca_file)
    moved: list[str] = []

    def push_over_app(step: str, done: int, total: int | None) -> None:
        if moved or other.manifest_digest(app, "1.0") is None:
            return
        ours = layout.blob_path(layout.images["ghcr.io/example/app:1.0"]).read_bytes()
        theirs = {**json.loads(ours), "layers": json.loads(ours)["layers"][:1]}
        moved.append(
            other.put_manifest(app, "1.0", MANIFEST_MEDIA_TYPE, json.dumps(theirs).encode())
        )

    try:
        with pytest.raises(RegistryPushError) as caught:
            _push(layout, registry, target, progress=push_over_app)
    finally:
        other.close()
    assert moved, "app:1.0 was never pushed over: the test did not test the final check"
    pushed = layout.images["ghcr.io/example/app:1.0"]
    assert f"{app}:1.0 is {moved[0]} after the push, not {pushed}" in str(caught.value)
    assert registry.pull(f"{target.prefix}/docker.io/example/web", "2.1")  # the check came last


def test_an_interrupted_push_resumes_with_only_the_rest(registry: Registry, tmp_path: Path) -> None:
    layout = build_layout(tmp_path / "layout")
    target = _target(registry)

    class PushKilledError(Exception):
        pass

    def stop_after_four(step: str, done: int, total: int | None) -> None:
        if done == 4:
            raise PushKilledError

    with pytest.raises(PushKilledError):
        _push(layout, registry, target, progress=stop_after_four)
    resumed = _push(layout, registry, target)
    # at least the four that arrived (blobs under way when it stopped finished too), and
    # the base, mounted into web's repository from app's
    assert resumed.blobs_skipped >= 4 + 1
    assert resumed.blobs_pushed == 8 - resumed.blobs_skipped
    assert registry.pull(f"{target.prefix}/docker.io/example/web", "2.1")


def test_large_blobs_go_up_in_chunks(registry: Registry, tmp_path: Path) -> None:
    layout = build_layout(tmp_path / "layout", big_layer_bytes=3 * 1024 * 1024 + 17)
    target = _target(registry)
    report = _push(layout, registry, target, chunk_bytes=1024 * 1024)
    pulled = registry.pull(f"{target.prefix}/ghcr.io/example/app", "1.0")
    big = max(layout.blobs, key=layout.blobs.__getitem__)
    assert pulled[big] == layout.blob_path(big).read_bytes()
    assert report.bytes_pushed > 3 * 1024 * 1024


def test_a_corrupt_blob_is_refused_before_anything_is_sent(
    registry: Registry, tmp_path: Path
) -> None:
    layout = build_layout(tmp_path / "layout")
    target = _target(registry)
    victim = next(d for d, size in layout.blobs.items() if size > 1000)
    data = bytearray(layout.blob_path(victim).read_bytes())
    data[-600] ^= 0xFF
    layout.blob_path(victim).write_bytes(bytes(data))
    with pytest.raises(
        RegistryPushError, match=f"{victim}: does not match its digest.*nothing pushed"
    ):
        _push(layout, registry, target)
    assert not [name for name in registry.catalog() if name.startswith(target.prefix + "/")]


def test_wrong_credentials_are_refused_by_name(registry: Registry, tmp_path: Path) -> None:
    layout = build_layout(tmp_path / "layout")
    with pytest.raises(RegistryPushError, match="refused the credentials of 'pusher'"):
        push_layout(
            layout.path,
            _target(registry),
            credentials=Credentials(USERNAME, "wrong"),
            ca_file=registry.ca_file,
        )


def test_missing_credentials_name_the_variables(registry: Registry, tmp_path: Path) -> None:
    layout = build_layout(tmp_path / "layout")
    with pytest.raises(RegistryPushError, match="STACKYARD_REGISTRY_USERNAME"):
        push_layout(layout.path, _target(registry), ca_file=registry.ca_file)


@pytest.mark.parametrize("trusted", ["system", "other"])
def test_an_untrusted_certificate_asks_for_the_ca(
    registry: Registry, tmp_path: Path, trusted: str
) -> None:
    layout = build_layout(tmp_path / "layout")
    ca_file = registry.other_ca_file if trusted == "other" else None
    with pytest.raises(RegistryPushError, match=r"not trusted.*--ca-file"):
        push_layout(
            layout.path,
            _target(registry),
            credentials=Credentials(USERNAME, PASSWORD),
            ca_file=ca_file,
        )


@pytest.mark.parametrize(
    ("text", "base", "prefix"),
    [
        ("registry.corp:5000", "https://registry.corp:5000", ""),
        ("registry.corp/mirror/team/", "https://registry.corp", "mirror/team"),
        ("http://127.0.0.1:5000/x", "http://127.0.0.1:5000", "x"),
    ],
)
def test_registry_targets_parse(text: str, base: str, prefix: str) -> None:
    assert parse_target(text) == Target(base, prefix)


class _CuttingProxy:
    """A loopback TCP proxy to the registry that cuts the line once, mid-upload.

    TLS passes through untouched; after ``cut_after`` bytes from the client it closes the
    connection in the middle of a request body, as a dropped link would.
    """

    def __init__(self, upstream_port: int, cut_after: int) -> None:
        self.upstream_port = upstream_port
        self.cut_after = cut_after
        self.sent = 0
        self.cut = False
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            pair = (client, upstream)
            threading.Thread(target=self._pump, args=(client, upstream, True, pair)).start()
            threading.Thread(target=self._pump, args=(upstream, client, False, pair)).start()

    def _pump(
        self,
        source: socket.socket,
        sink: socket.socket,
        counted: bool,
        pair: tuple[socket.socket, ...],
    ) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if counted:
                    with self.lock:
                        self.sent += len(data)
                        cut = not self.cut and self.sent > self.cut_after
                        self.cut = self.cut or cut
                    if cut:
                        for end in pair:
                            end.close()
                        return
                sink.sendall(data)
        for end in pair:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def close(self) -> None:
        self.listener.close()


def test_a_chunk_cut_on_the_wire_resumes_or_starts_only_that_blob_over(
    registry: Registry, tmp_path: Path
) -> None:
    """A PATCH cut mid-body: the push asks the upload how far it got and goes on from there,
    or starts that blob over when the distribution registry has dropped the session (GET
    answers 404), or drops it only after answering (the next PATCH gets 404). Which of the
    three happens depends on when the registry notices the cut, so the test accepts each:
    the blob arrives whole, nothing else is sent again, and never the whole blob twice."""
    layout = build_layout(tmp_path / "layout", big_layer_bytes=4 * 1024 * 1024)
    proxy = _CuttingProxy(registry.port, cut_after=2 * 1024 * 1024 + 300_000)
    try:
        prefix = f"cut{next(_prefixes)}"
        report = _push(
            layout,
            registry,
            parse_target(f"127.0.0.1:{proxy.port}/{prefix}"),
            chunk_bytes=1024 * 1024,
        )
    finally:
        proxy.close()
    assert proxy.cut, "the line was never cut: the test did not test a resume"
    big = max(layout.blobs, key=layout.blobs.__getitem__)
    pulled = registry.pull(f"{prefix}/ghcr.io/example/app", "1.0")
    assert pulled[big] == layout.blob_path(big).read_bytes()
    assert report.blobs_pushed == 8  # app now has the big layer too; web mounts the base
    # only what had gone of the big blob before the cut went twice (plus TLS and headers)
    resent = proxy.sent - report.bytes_pushed
    assert resent < layout.blobs[big], resent


def test_a_registry_that_does_not_answer_is_a_clear_error(tmp_path: Path) -> None:
    layout = build_layout(tmp_path / "layout")
    with pytest.raises(RegistryPushError, match=r"the connection failed.*run the same push again"):
        push_layout(layout.path, parse_target(f"127.0.0.1:{free_port()}"))


def _session(location: str) -> str:
    """The upload session an upload URL names (its last path segment)."""
    return urlsplit(location).path.rsplit("/", 1)[1]


def _watch_chunks(
    monkeypatch: pytest.MonkeyPatch, before: Callable[[str, int], None]
) -> list[tuple[str, int]]:
    """Every chunk the push sends, as (session, offset); ``before(location, offset)`` runs
    just before each PATCH leaves, to change what the registry holds at that moment."""
    sent: list[tuple[str, int]] = []
    real_patch = RegistryClient.patch

    def patch(client: RegistryClient, location: str, offset: int, piece: bytes) -> str:
        sent.append((_session(location), offset))
        before(location, offset)
        return real_patch(client, location, offset, piece)

    monkeypatch.setattr(RegistryClient, "patch", patch)
    return sent


def test_an_upload_session_the_registry_loses_starts_that_blob_over(
    registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The session vanishes from the registry's storage between two chunks: the registry
    answers the next PATCH 404 (BLOB_UPLOAD_UNKNOWN) and the blob goes up again, whole, in
    a session of its own."""
    layout = build_layout(tmp_path / "layout", big_layer_bytes=3 * MIB + 17)
    target = _target(registry)
    lost: list[str] = []

    def lose_the_first_session(location: str, offset: int) -> None:
        if offset == MIB and not lost:
            lost.append(_session(location))
            shutil.rmtree(registry.upload_folder(location))

    sent = _watch_chunks(monkeypatch, lose_the_first_session)
    report = _push(layout, registry, target, chunk_bytes=MIB)
    first, second = dict.fromkeys(session for session, _ in sent)
    assert lost == [first]
    assert [offset for session, offset in sent if session == first] == [0, MIB]
    assert [offset for session, offset in sent if session == second] == [0, MIB, 2 * MIB, 3 * MIB]
    refused = [line for line in registry.access_log() if f"/blobs/uploads/{first}?" in line]
    assert '"PATCH ' in refused[-1] and '" 404 ' in refused[-1], refused[-1]
    big = max(layout.blobs, key=layout.blobs.__getitem__)
    pulled = registry.pull(f"{target.prefix}/ghcr.io/example/app", "1.0")  # by sha256 of bytes
    assert pulled[big] == layout.blob_path(big).read_bytes()
    assert report.blobs_pushed == 8 and report.manifests_pushed == 4


def test_an_upload_session_lost_every_time_stops_the_push_before_its_image(
    registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = build_layout(tmp_path / "layout", big_layer_bytes=3 * MIB)
    target = _target(registry)

    def lose_every_session(location: str, offset: int) -> None:
        if offset == MIB:
            shutil.rmtree(registry.upload_folder(location))

    sent = _watch_chunks(monkeypatch, lose_every_session)
    big = max(layout.blobs, key=layout.blobs.__getitem__)
    app = f"{target.prefix}/ghcr.io/example/app"
    with pytest.raises(RegistryPushError, match=f"the upload of {big} to {app} kept breaking"):
        _push(layout, registry, target, chunk_bytes=MIB)
    assert len(dict.fromkeys(session for session, _ in sent)) == CHUNK_ATTEMPTS
    scope = f"repository:{app}:pull"
    assert registry.get(f"{app}/blobs/{big}", scope).status == 404
    assert registry.get(f"{app}/manifests/1.0", scope, MANIFEST_ACCEPT).status == 404
    web = f"{target.prefix}/docker.io/example/web"
    assert web not in registry.catalog()  # the push stopped before the next image


def _line_breaks() -> urllib3.exceptions.ProtocolError:
    """What urllib3 raises for a request whose connection was reset under it."""
    return urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError())


def test_a_line_that_keeps_breaking_stops_the_push_though_the_session_lives(
    registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every chunk after the first breaks before it reaches the registry, which keeps the
    session and says it holds the first chunk: the push goes on from there each time, and
    gives up after CHUNK_ATTEMPTS tries instead of asking and breaking for ever."""
    layout = build_layout(tmp_path / "layout", big_layer_bytes=3 * MIB)
    target = _target(registry)

    def break_after_the_first_chunk(location: str, offset: int) -> None:
        if len(sent) > 50:
            raise AssertionError("the push never gave up")
        if offset > 0:
            raise _line_breaks()

    sent = _watch_chunks(monkeypatch, break_after_the_first_chunk)
    big = max(layout.blobs, key=layout.blobs.__getitem__)
    with pytest.raises(RegistryPushError, match=f"the upload of {big} to .* kept breaking"):
        _push(layout, registry, target, chunk_bytes=MIB)
    assert [offset for _, offset in sent] == [0] + [MIB] * CHUNK_ATTEMPTS
    assert len({session for session, _ in sent}) == 1  # resumed each time, never started over


def test_a_first_chunk_that_never_arrived_starts_the_blob_over(
    registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The distribution registry says ``Range: 0-0`` for an empty session and for one holding
    a byte alike, and appends a chunk wherever its Content-Range says it starts: going on
    "after byte 0" would store the blob shifted by one. The push starts it over instead."""
    layout = build_layout(tmp_path / "layout", big_layer_bytes=2 * MIB)
    target = _target(registry)

    def break_the_very_first_chunk(location: str, offset: int) -> None:
        if len(sent) == 1:
            raise _line_breaks()

    sent = _watch_chunks(monkeypatch, break_the_very_first_chunk)
    _push(layout, registry, target, chunk_bytes=MIB)
    first, second = dict.fromkeys(session for session, _ in sent)
    assert [offset for session, offset in sent if session == first] == [0]
    assert [offset for session, offset in sent if session == second] == [0, MIB, 2 * MIB]
    big = max(layout.blobs, key=layout.blobs.__getitem__)
    pulled = registry.pull(f"{target.prefix}/ghcr.io/example/app", "1.0")
    assert pulled[big] == layout.blob_path(big).read_bytes()

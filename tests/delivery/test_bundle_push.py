"""``stackyard bundle push``: a verified bundle into a real registry and a real Git server."""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import json
import os
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from stackyard.app import make_bundle, make_signing_keys
from stackyard.cli.main import app
from stackyard.delivery.layout import REF_NAME, Descriptor
from tests.app.schemas import assert_matches, printed
from tests.delivery.gitrepos import commit_tree
from tests.fleet_repos import git
from tests.gitserver import PASSWORD as GIT_PASSWORD
from tests.gitserver import USERNAME as GIT_USERNAME
from tests.gitserver import GitServer
from tests.ociimages import image_layout
from tests.registry import (
    MANIFEST_ACCEPT,
    PASSWORD,
    READER,
    READER_PASSWORD,
    USERNAME,
    Registry,
)
from tests.servers import free_port

CHART_YAML = b"apiVersion: v2\nname: demo\nversion: 1.2.3\ndescription: a test chart\n"
LARGE_LAYER_BYTES = 48 * 1024 * 1024
"""Random bytes: the pushed layer is as large (gzip cannot shrink them), six 8 MiB chunks."""
_runs = itertools.count()


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STACKYARD_REGISTRY_USERNAME", USERNAME)
    monkeypatch.setenv("STACKYARD_REGISTRY_PASSWORD", PASSWORD)
    monkeypatch.setenv("STACKYARD_GIT_USERNAME", GIT_USERNAME)
    monkeypatch.setenv("STACKYARD_GIT_PASSWORD", GIT_PASSWORD)


def _signed_bundle(root: Path, layers: list[dict[str, bytes]]) -> tuple[Path, Path, str]:
    """A bundle of a committed repository, a chart and one image; its public key; the commit."""
    repo = root / "repo"
    repo.mkdir()
    (repo / "README.md").write_text("platform\n")
    commit_tree(repo)
    charts = root / "charts"
    charts.mkdir()
    with tarfile.open(charts / "demo-1.2.3.tgz", "w:gz") as tar:
        info = tarfile.TarInfo("demo/Chart.yaml")
        info.size = len(CHART_YAML)
        tar.addfile(info, io.BytesIO(CHART_YAML))
    image_layout(root / "app", "docker.io/library/app:1", layers)
    make_signing_keys(root / "signing.key")
    bundle = root / "platform.tar"
    make_bundle(repo, bundle, key=root / "signing.key", charts=charts, images=(root / "app",))
    return bundle, root / "signing.key.pub", git(repo, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """A small bundle: the image is one tiny layer."""
    return _signed_bundle(tmp_path_factory.mktemp("push-sources"), [{"bin/app": b"app v1\n"}])


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """A bundle whose image has a small layer, then a large one, both of random bytes (no
    other test pushes these blobs), so a push can be caught half-way."""
    layers = [{"bin/app": os.urandom(64)}, {"data/blob": os.urandom(LARGE_LAYER_BYTES)}]
    return _signed_bundle(tmp_path_factory.mktemp("push-large"), layers)


def _args(bundle: Path, key: Path, registry: Registry, prefix: str, url: str) -> list[str]:
    return [
        "bundle", "push", str(bundle), "--key", str(key),
        "--registry", f"{registry.host}/{prefix}", "--git", url,
        "--ca-file", str(registry.ca_file), "-o", "json",
    ]  # fmt: skip


@pytest.fixture(params=["htpasswd", "token"])
def any_registry(request: pytest.FixtureRequest) -> Registry:
    """The test registry with a password login, then the one logging in with bearer tokens."""
    name = "registry" if request.param == "htpasswd" else "token_registry"
    found: Registry = request.getfixturevalue(name)
    return found


def _invoke(args: list[str], **env: str) -> Result:
    result = CliRunner().invoke(app, args, env={"COLUMNS": "300", **env})
    assert "Traceback" not in result.stderr + result.stdout
    return result


def _fresh(git_server: GitServer, kind: str) -> tuple[str, str]:
    """A registry prefix no other push used, and an empty Git repository of the same name."""
    prefix = f"{kind}-{next(_runs)}"
    return prefix, git_server.create(f"{prefix}.git")


def _nothing_pushed(registry: Registry, prefix: str, git_server: GitServer, repo: str) -> None:
    assert not [name for name in registry.catalog() if name.startswith(f"{prefix}/")]
    assert git(git_server.root / repo, "for-each-ref") == ""


def _image_blobs(result: dict[str, Any], registry: Registry, image: str) -> dict[str, bytes]:
    (pushed,) = [i for i in result["registry"]["images"] if i["repository"].endswith(image)]
    for entry in result["registry"]["images"]:  # every manifest resolves by its digest
        answer = registry.get(
            f"{entry['repository']}/manifests/{entry['digest']}",
            f"repository:{entry['repository']}:pull",
            MANIFEST_ACCEPT,
        )
        assert answer.status == 200, (entry, answer.data)
    return registry.pull(pushed["repository"], pushed["reference"])


def _bundle_blobs(bundle: Path, artifact: str) -> set[str]:
    with tarfile.open(bundle) as tar:
        member = tar.extractfile("bundle.json")
        assert member is not None
        manifest = json.loads(member.read())
    return {b["digest"] for b in manifest["blobs"] if artifact in b["artifacts"]}


def test_bundle_push_moves_images_charts_and_the_repository_then_nothing_again(
    signed: tuple[Path, Path, str], any_registry: Registry, git_server: GitServer
) -> None:
    bundle, key, commit = signed
    prefix, url = _fresh(git_server, "corp")
    first = printed(*_args(bundle, key, any_registry, prefix, url))
    assert_matches("bundle-push", first)
    tags = {(i["repository"], i["reference"]) for i in first["registry"]["images"]}
    assert (f"{prefix}/charts/demo", "1.2.3") in tags
    assert (f"{prefix}/docker.io/library/app", "1") in tags
    assert not any("gitops" in repository for repository, _ in tags)  # Git's, not the registry's
    assert first["registry"]["blobs"]["pushed"] > 0
    assert first["git"]["refs"] == [{"ref": "refs/heads/main", "commit": commit}]
    assert first["git"]["updated"] == ["refs/heads/main"]
    pulled = _image_blobs(first, any_registry, "docker.io/library/app")
    assert set(pulled) == _bundle_blobs(bundle, "docker.io/library/app:1")
    again = printed(*_args(bundle, key, any_registry, prefix, url))
    assert again["registry"]["blobs"]["pushed"] == 0
    blobs = first["registry"]["blobs"]  # another test may have sent a shared blob before
    assert again["registry"]["blobs"]["skipped"] == blobs["pushed"] + blobs["skipped"]
    assert again["git"]["updated"] == []
    if any_registry.token_server is not None:  # the registry checked a token for each repository
        assert f"repository:{prefix}/docker.io/library/app:pull,push" in (
            any_registry.token_server.issued
        )


def _tamper_manifest(name: str, data: bytes) -> bytes:
    return data.replace(b"1.2.3", b"1.2.4") if name == "bundle.json" else data


def _tamper_signature(name: str, data: bytes) -> bytes:
    if name != "bundle.json.sig":
        return data
    signature = bytearray(base64.b64decode(data))
    signature[5] ^= 1
    return base64.b64encode(bytes(signature)) + b"\n"


def _rewrite(bundle: Path, target: Path, change: Callable[[str, bytes], bytes]) -> Path:
    """A copy of ``bundle`` with each member's bytes passed through ``change``, in order."""
    with tarfile.open(bundle) as source, tarfile.open(target, "w") as out:
        for member in source:
            extracted = source.extractfile(member) if member.isfile() else None
            data = change(member.name, extracted.read() if extracted else b"")
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    return target


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_tamper_manifest, "bundle.json: the signature does not match the manifest"),
        (_tamper_signature, "the signature does not match"),
    ],
)
def test_a_tampered_bundle_pushes_nothing_and_leaves_no_scratch(
    signed: tuple[Path, Path, str],
    registry: Registry,
    git_server: GitServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    change: Callable[[str, bytes], bytes],
    message: str,
) -> None:
    bundle, key, _ = signed
    tampered = _rewrite(bundle, tmp_path / "tampered.tar", change)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    prefix, url = _fresh(git_server, "forged")
    result = _invoke(_args(tampered, key, registry, prefix, url))
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr
    assert list(scratch.iterdir()) == []
    _nothing_pushed(registry, prefix, git_server, f"{prefix}.git")


def test_a_corrupted_blob_in_the_bundle_is_named_and_nothing_is_pushed(
    signed: tuple[Path, Path, str], registry: Registry, git_server: GitServer, tmp_path: Path
) -> None:
    bundle, key, _ = signed
    with tarfile.open(bundle) as tar:
        member = tar.extractfile("bundle.json")
        assert member is not None
        manifest = json.loads(member.read())
    (layer,) = [
        b
        for b in manifest["blobs"]
        if b["artifacts"] == ["docker.io/library/app:1"] and "layer" in b["mediaType"]
    ]
    victim = "blobs/sha256/" + layer["digest"].removeprefix("sha256:")

    def flip_a_byte(name: str, data: bytes) -> bytes:
        return data[:10] + bytes([data[10] ^ 1]) + data[11:] if name == victim else data

    corrupted = _rewrite(bundle, tmp_path / "corrupted.tar", flip_a_byte)
    before = registry.catalog()
    prefix, url = _fresh(git_server, "corrupt")
    result = _invoke(_args(corrupted, key, registry, prefix, url))
    assert result.exit_code == 2, result.stdout
    assert f"blob {layer['digest']} does not match its digest" in result.stderr
    assert registry.catalog() == before
    _nothing_pushed(registry, prefix, git_server, f"{prefix}.git")


def test_wrong_credentials_exit_2_and_push_no_manifest(
    signed: tuple[Path, Path, str], any_registry: Registry, git_server: GitServer
) -> None:
    bundle, key, _ = signed
    prefix, url = _fresh(git_server, "refused")
    result = _invoke(
        _args(bundle, key, any_registry, prefix, url), STACKYARD_REGISTRY_PASSWORD="wrong"
    )
    assert result.exit_code == 2, result.stdout
    assert "refused the credentials of 'pusher'" in result.stderr
    assert "STACKYARD_REGISTRY_PASSWORD" in result.stderr and "wrong" not in result.stderr
    _nothing_pushed(any_registry, prefix, git_server, f"{prefix}.git")


def test_a_login_without_push_rights_is_told_so(
    signed: tuple[Path, Path, str], token_registry: Registry, git_server: GitServer
) -> None:
    """Harbor logs in a member without push rights and grants its token pull only: the
    registry then refuses the upload for the scope, not the password."""
    bundle, key, _ = signed
    prefix, url = _fresh(git_server, "readonly")
    result = _invoke(
        _args(bundle, key, token_registry, prefix, url),
        STACKYARD_REGISTRY_USERNAME=READER,
        STACKYARD_REGISTRY_PASSWORD=READER_PASSWORD,
    )
    assert result.exit_code == 2, result.stdout
    assert "accepted the login of 'reader' but does not let it push to" in result.stderr
    _nothing_pushed(token_registry, prefix, git_server, f"{prefix}.git")


def test_an_unreachable_registry_exits_2(
    signed: tuple[Path, Path, str], registry: Registry, git_server: GitServer
) -> None:
    bundle, key, _ = signed
    url = git_server.create(f"unreachable-{next(_runs)}.git")
    args = _args(bundle, key, registry, "x", url)
    args[args.index("--registry") + 1] = f"127.0.0.1:{free_port()}/x"
    result = _invoke(args)
    assert result.exit_code == 2, result.stdout
    assert "the connection failed" in result.stderr and "run the same push again" in result.stderr
    assert git(git_server.root / url.rsplit("/", 1)[1], "for-each-ref") == ""


def test_a_push_killed_mid_way_completes_when_run_again(
    large: tuple[Path, Path, str], registry: Registry, git_server: GitServer, tmp_path: Path
) -> None:
    """SIGKILL once the image's first blob is in the registry, while the large layer is on
    its way; the same command run again sends only what is missing, and what arrived pulls
    back byte for byte."""
    bundle, key, commit = large
    prefix, url = _fresh(git_server, "killed")
    image = _bundle_blobs(bundle, "docker.io/library/app:1")
    stored = registry.storage / "docker" / "registry" / "v2" / "blobs" / "sha256"

    def landed() -> set[str]:
        return {d for d in image if (stored / d[7:9] / d[7:] / "data").is_file()}

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    args = _args(bundle, key, registry, prefix, url)
    with (tmp_path / "killed.log").open("wb") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "stackyard", *args],
            env={**os.environ, "TMPDIR": str(scratch)},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while not landed() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
    finally:
        child.kill()
        child.wait()
    log_text = (tmp_path / "killed.log").read_text(errors="replace")
    assert child.returncode == -signal.SIGKILL, log_text
    before = landed()
    assert before and before != image, "the kill did not land half-way through the push"
    assert git(git_server.root / f"{prefix}.git", "for-each-ref") == ""  # Git goes last

    again = printed(*args)
    blobs = again["registry"]["blobs"]
    assert blobs["skipped"] >= len(before)
    assert blobs["pushed"] > 0 and blobs["bytesPushed"] >= LARGE_LAYER_BYTES
    pulled = _image_blobs(again, registry, "docker.io/library/app")
    assert set(pulled) == image
    assert landed() == image
    assert again["git"]["refs"] == [{"ref": "refs/heads/main", "commit": commit}]


@pytest.mark.parametrize("pinned_by", ["rendered tree", "layout name"])
def test_an_index_pinned_by_digest_is_carried_whole_and_pulls_by_that_digest(
    pinned_by: str, registry: Registry, git_server: GitServer, tmp_path: Path
) -> None:
    """``--platform linux/amd64`` narrows a tag-named index, but one a node pulls by digest
    (named so in the rendered tree, or by ``images pull``'s pinned reference) keeps its
    digest: after the push, the registry serves that exact index."""
    layout = image_layout(
        tmp_path / "web",
        "docker.io/library/web:2",
        [{"bin/web": os.urandom(32)}],
        architectures=("amd64", "arm64"),
    )
    (top,) = layout.manifests()
    pinned = f"docker.io/library/web:2@{top.digest}"
    repo = tmp_path / "repo"
    (repo / "manifests").mkdir(parents=True)
    image = pinned if pinned_by == "rendered tree" else "docker.io/library/web:2"
    (repo / "manifests" / "web.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: default}\n"
        f"spec:\n  containers:\n    - name: web\n      image: {image}\n"
    )
    if pinned_by == "layout name":
        layout.write_index([Descriptor(top.media_type, top.digest, top.size, {REF_NAME: pinned})])
    commit_tree(repo)
    make_signing_keys(tmp_path / "signing.key")
    bundle = tmp_path / "amd64.tar"
    result = make_bundle(
        repo,
        bundle,
        key=tmp_path / "signing.key",
        images=(tmp_path / "web",),
        platforms=("linux/amd64",),
    )
    (web,) = [a for a in result.artifacts if a["kind"] == "image"]
    assert web["digest"] == top.digest
    assert web["platforms"] == ["linux/amd64", "linux/arm64"]  # every child, or no push
    assert {c.digest for c in layout.children(top)} <= _bundle_blobs(bundle, web["reference"])

    prefix, url = _fresh(git_server, "pinned")
    pushed = printed(*_args(bundle, tmp_path / "signing.key.pub", registry, prefix, url))
    repository = f"{prefix}/docker.io/library/web"
    answer = registry.get(
        f"{repository}/manifests/{top.digest}", f"repository:{repository}:pull", MANIFEST_ACCEPT
    )
    assert answer.status == 200, answer.data
    assert hashlib.sha256(answer.data).hexdigest() == top.hex
    assert set(registry.pull(repository, top.digest)) == _bundle_blobs(bundle, web["reference"])
    assert pushed["registry"]["blobs"]["pushed"] > 0

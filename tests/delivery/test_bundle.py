"""Bundles: created from a rendered tree, a chart and small real images, then verified.

Each fault a bundle can meet on its way across the gap is made for real on the archive
(a manifest edited, a signature replaced, a blob's byte flipped, the file cut short, a
disk too small) and must be caught with a message naming what is wrong.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
import urllib3
from click.testing import Result
from typer.testing import CliRunner

from stackyard.app import check_bundle, make_bundle, make_signing_keys
from stackyard.cli.main import app
from stackyard.delivery.bundle import CHART_CONFIG, CHART_LAYER, GIT_LAYER
from stackyard.delivery.layout import REF_NAME, Layout
from stackyard.delivery.registry import push_layout
from stackyard.delivery.registry_client import Credentials, parse_target
from stackyard.delivery.signing import load_private_key
from stackyard.errors import InputError
from tests.conftest import ROOT
from tests.delivery.gitrepos import commit_tree
from tests.fleet_repos import git
from tests.ociimages import image_layout
from tests.registry import PASSWORD, USERNAME, Registry

SHARED = {"usr/lib/base.txt": b"a base layer every image shares\n" * 64}
CHART_YAML = b"apiVersion: v2\nname: demo\nversion: 1.2.3\ndescription: a test chart\n"
Cli = Callable[..., Result]


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory, rendered_poc: Path) -> Path:
    """A committed GitOps repository, a chart store, two image layouts and a key pair."""
    root = tmp_path_factory.mktemp("sources")
    repo = root / "repo"
    shutil.copytree(rendered_poc, repo)
    commit_tree(repo)
    charts = root / "charts"
    charts.mkdir()
    with tarfile.open(charts / "demo-1.2.3.tgz", "w:gz") as tar:
        for name, data in {
            "demo/Chart.yaml": CHART_YAML,
            "demo/values.yaml": b"image: docker.io/library/app:1\n",
        }.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    image_layout(
        root / "app",
        "docker.io/library/app:1",
        [SHARED, {"bin/app": b"app v1\n"}],
        architectures=("amd64", "arm64"),
    )
    image_layout(root / "tool", "quay.io/example/tool:2", [SHARED, {"bin/tool": b"tool\n"}])
    make_signing_keys(root / "signing.key")
    return root


def _create(sources: Path, target: Path, *images: str, **options: Path) -> None:
    make_bundle(
        sources / "repo",
        target,
        key=sources / "signing.key",
        charts=sources / "charts",
        images=tuple(sources / name for name in images or ("app", "tool")),
        **options,
    )


@pytest.fixture(scope="module")
def bundle(sources: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("bundle") / "platform.tar"
    _create(sources, target)
    return target


def _members(bundle: Path) -> dict[str, bytes]:
    with tarfile.open(bundle) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]


def _rewrite(bundle: Path, target: Path, change: Callable[[str, bytes], bytes]) -> Path:
    """A copy of ``bundle`` with each member's bytes passed through ``change``, in order."""
    with tarfile.open(target, "w", format=tarfile.USTAR_FORMAT) as out:
        for name, data in _members(bundle).items():
            data = change(name, data)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    return target


def _refusal(bundle: Path, key: Path) -> str:
    with pytest.raises(InputError) as caught:
        check_bundle(bundle, key=key)
    return str(caught.value)


def test_a_bundle_verifies_and_untars_to_an_oci_layout_of_every_artifact(
    sources: Path, bundle: Path, tmp_path: Path
) -> None:
    result = check_bundle(bundle, key=sources / "signing.key.pub", unpack=tmp_path / "layout")
    references = {a["reference"]: a for a in result.artifacts}
    head = git(sources / "repo", "rev-parse", "HEAD")
    assert set(references) == {
        "charts/demo:1.2.3",
        "docker.io/library/app:1",
        "quay.io/example/tool:2",
        f"gitops/repo:{head[:12]}",
    }
    assert references["docker.io/library/app:1"]["platforms"] == ["linux/amd64", "linux/arm64"]
    layout = Layout.open(tmp_path / "layout")
    tops = {m.annotations[REF_NAME]: m for m in layout.manifests()}
    assert set(tops) == set(references)
    for top in tops.values():  # every blob reachable from the index is there, digest checked
        for descriptor in layout.walk(top):
            assert layout.has_blob(descriptor)
    chart = layout.children(tops["charts/demo:1.2.3"])
    assert [c.media_type for c in chart] == [CHART_CONFIG, CHART_LAYER]
    assert json.loads(layout.read_blob(chart[0]))["name"] == "demo"
    assert layout.read_blob(chart[1]) == (sources / "charts" / "demo-1.2.3.tgz").read_bytes()


def test_the_git_bundle_clones_to_the_rendered_commit(
    sources: Path, bundle: Path, tmp_path: Path
) -> None:
    check_bundle(bundle, key=sources / "signing.key.pub", unpack=tmp_path / "layout")
    layout = Layout.open(tmp_path / "layout")
    top = next(m for m in layout.manifests() if m.annotations[REF_NAME].startswith("gitops/"))
    (git_layer,) = [d for d in layout.children(top) if d.media_type == GIT_LAYER]
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", str(layout.blob_path(git_layer.digest)), str(clone)], check=True
    )
    assert git(clone, "rev-parse", "HEAD") == git(sources / "repo", "rev-parse", "HEAD")
    assert (clone / "README.md").read_bytes() == (sources / "repo" / "README.md").read_bytes()


def test_the_manifest_matches_its_schema_and_a_shared_layer_is_stored_once(
    bundle: Path,
) -> None:
    members = _members(bundle)
    manifest = json.loads(members["bundle.json"])
    schema = json.loads((ROOT / "docs" / "schemas" / "bundle.v1.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(manifest)
    blobs = [name for name in members if name.startswith("blobs/")]
    assert len(blobs) == len(set(blobs)) == len(manifest["blobs"])
    shared = [b for b in manifest["blobs"] if len(b["artifacts"]) > 1]
    # the shared base layer: in both images (and both platforms of one) yet stored once
    assert any(
        set(b["artifacts"]) == {"docker.io/library/app:1", "quay.io/example/tool:2"} for b in shared
    )
    for blob in manifest["blobs"]:
        assert len(members["blobs/sha256/" + blob["digest"].split(":")[1]]) == blob["size"]


def test_a_tampered_manifest_is_refused(sources: Path, bundle: Path, tmp_path: Path) -> None:
    def grow_the_chart(name: str, data: bytes) -> bytes:
        return data.replace(b'"charts/demo:1.2.3"', b'"charts/demo:9.9.9"')

    tampered = _rewrite(bundle, tmp_path / "b.tar", grow_the_chart)
    assert _members(tampered)["bundle.json"] != _members(bundle)["bundle.json"]
    message = _refusal(tampered, sources / "signing.key.pub")
    assert "bundle.json: the signature does not match the manifest" in message


def test_a_tampered_signature_or_another_key_is_refused(
    sources: Path, bundle: Path, tmp_path: Path
) -> None:
    other = make_signing_keys(tmp_path / "other.key")
    message = _refusal(bundle, other.public)
    assert "signed with another key" in message
    forged = load_private_key(other.private)  # signs the very same manifest

    def replace_signature(name: str, data: bytes) -> bytes:
        if name != "bundle.json.sig":
            return data
        return base64.b64encode(forged.sign(_members(bundle)["bundle.json"])) + b"\n"

    tampered = _rewrite(bundle, tmp_path / "b.tar", replace_signature)
    assert "the signature does not match" in _refusal(tampered, sources / "signing.key.pub")


def test_a_corrupted_blob_is_refused_naming_its_artifact(
    sources: Path, bundle: Path, tmp_path: Path
) -> None:
    manifest = json.loads(_members(bundle)["bundle.json"])
    (target,) = [
        b
        for b in manifest["blobs"]
        if b["artifacts"] == ["quay.io/example/tool:2"] and "layer" in b["mediaType"]
    ]
    member = "blobs/sha256/" + target["digest"].split(":")[1]

    def flip_a_byte(name: str, data: bytes) -> bytes:
        if name != member:
            return data
        return data[:10] + bytes([data[10] ^ 1]) + data[11:]

    corrupted = _rewrite(bundle, tmp_path / "b.tar", flip_a_byte)
    message = _refusal(corrupted, sources / "signing.key.pub")
    assert "quay.io/example/tool:2" in message
    assert f"blob {target['digest']} does not match its digest" in message


def test_a_truncated_archive_is_refused(sources: Path, bundle: Path, tmp_path: Path) -> None:
    data = bundle.read_bytes()
    for cut in (len(data) // 2, len(data) - 4096, 700):
        truncated = tmp_path / f"cut-{cut}.tar"
        truncated.write_bytes(data[:cut])
        message = _refusal(truncated, sources / "signing.key.pub")
        assert "truncated" in message, message


def test_a_differential_bundle_holds_only_the_new_blobs(sources: Path, tmp_path: Path) -> None:
    base = tmp_path / "base.tar"
    _create(sources, base, "tool")
    newer = tmp_path / "newer.tar"
    _create(sources, newer, "tool", "app", since=base)
    base_manifest = _members(base)["bundle.json"]
    members = _members(newer)
    manifest = json.loads(members["bundle.json"])
    in_base = {b["digest"] for b in json.loads(base_manifest)["blobs"]}
    stored = {"sha256:" + n.split("/")[-1] for n in members if n.startswith("blobs/")}
    assert stored == {b["digest"] for b in manifest["blobs"]} - in_base
    assert {b["digest"] for b in manifest["blobs"] if b["in"] == "base"} == in_base
    assert all(
        "docker.io/library/app:1" in manifest_blob["artifacts"]
        for manifest_blob in manifest["blobs"]
        if manifest_blob["in"] == "bundle"
    )
    result = check_bundle(newer, key=sources / "signing.key.pub")
    assert result.base == "sha256:" + hashlib.sha256(base_manifest).hexdigest()
    assert result.blobs_stored == len(stored)
    assert result.blobs_in_base == len(in_base)


def test_a_source_blob_changed_on_disk_is_refused_and_nothing_is_left(
    sources: Path, tmp_path: Path
) -> None:
    """Same size, one byte flipped: only the hash of the bytes in the archive catches it."""
    shutil.copytree(sources / "app", tmp_path / "app")
    layout = Layout.open(tmp_path / "app")
    layers = [d for d in layout.walk(layout.manifests()[0]) if "layer" in d.media_type]
    layer = max(layers, key=lambda d: d.size)  # a layer is only read when it is copied
    path = layout.blob_path(layer.digest)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(InputError) as caught:
        make_bundle(
            sources / "repo", tmp_path / "b.tar", key=sources / "signing.key",
            images=(tmp_path / "app",),
        )  # fmt: skip
    assert f"{path}: {layer.digest}: does not match its digest" in str(caught.value)
    assert "nothing was written" in str(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app"]  # no bundle, no partial


def test_a_bundle_too_large_for_the_disk_is_refused_before_writing(
    sources: Path, tmp_path: Path, tiny_disk: Path
) -> None:
    image_layout(tmp_path / "big", "docker.io/library/big:1", [{"blob": os.urandom(2 << 20)}])
    with pytest.raises(InputError) as caught:
        make_bundle(
            sources / "repo",
            tiny_disk / "platform.tar",
            key=sources / "signing.key",
            images=(tmp_path / "big",),
        )
    assert "nothing was written" in str(caught.value)
    assert "free" in str(caught.value)
    assert list(tiny_disk.iterdir()) == []


@pytest.fixture
def cli() -> Cli:
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args), catch_exceptions=False)


def test_cli_creates_and_verifies_with_json_results(
    cli: Cli, sources: Path, tmp_path: Path
) -> None:
    target = tmp_path / "p.tar"
    created = cli(
        "bundle", "create", str(sources / "repo"), str(target),
        "--key", str(sources / "signing.key"), "--charts", str(sources / "charts"),
        "--images", str(sources / "app"), "--images", str(sources / "tool"), "-o", "json",
    )  # fmt: skip
    assert created.exit_code == 0, created.stderr
    schema = json.loads((ROOT / "docs" / "schemas" / "bundle-result.v1.json").read_text())
    document = json.loads(created.stdout)
    jsonschema.Draft202012Validator(schema).validate(document)
    assert document["action"] == "created" and len(document["artifacts"]) == 4
    verified = cli("bundle", "verify", str(target), "--key", str(sources / "signing.key.pub"))
    assert verified.exit_code == 0, verified.stderr
    assert "docker.io/library/app:1 (linux/amd64, linux/arm64)" in verified.stdout
    as_json = cli(
        "bundle", "verify", str(target), "--key", str(sources / "signing.key.pub"), "-o", "json"
    )
    verified_document = json.loads(as_json.stdout)
    jsonschema.Draft202012Validator(schema).validate(verified_document)
    assert verified_document["manifestDigest"] == document["manifestDigest"]


def test_cli_exits_2_for_a_corrupt_bundle(
    cli: Cli, sources: Path, bundle: Path, tmp_path: Path
) -> None:
    cut = tmp_path / "cut.tar"
    cut.write_bytes(bundle.read_bytes()[:-8192])
    result = cli("bundle", "verify", str(cut), "--key", str(sources / "signing.key.pub"))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {cut}: ")
    assert "Traceback" not in result.stderr


def test_keygen_never_prints_or_overwrites_a_private_key(cli: Cli, tmp_path: Path) -> None:
    key = tmp_path / "k"
    made = cli("bundle", "keygen", str(key))
    assert made.exit_code == 0, made.stderr
    assert "PRIVATE KEY" in key.read_text() and (key.stat().st_mode & 0o777) == 0o600
    secret = "".join(key.read_text().splitlines()[1:-1])
    assert secret not in made.stdout + made.stderr
    assert "fingerprint: sha256:" in made.stdout
    before = key.read_bytes()
    again = cli("bundle", "keygen", str(key))
    assert again.exit_code == 2 and "never overwritten" in again.stderr
    assert key.read_bytes() == before


def test_a_rendered_tree_outside_git_is_refused(
    cli: Cli, sources: Path, rendered_poc: Path, tmp_path: Path
) -> None:
    plain = tmp_path / "plain"
    shutil.copytree(rendered_poc, plain)
    result = cli(
        "bundle", "create", str(plain), str(tmp_path / "b.tar"),
        "--key", str(sources / "signing.key"),
    )  # fmt: skip
    assert result.exit_code == 2
    assert "render with --commit" in result.stderr
    assert not (tmp_path / "b.tar").exists()


def test_an_unpacked_bundle_pushes_into_a_real_registry(
    sources: Path, bundle: Path, registry: Registry, tmp_path: Path
) -> None:
    """The verified bundle is the layout the registry push reads: charts keep Helm's types."""
    layout = tmp_path / "layout"
    verified = check_bundle(bundle, key=sources / "signing.key.pub", unpack=layout)
    target = parse_target(f"{registry.host}/airgap")
    report = push_layout(
        layout, target, credentials=Credentials(USERNAME, PASSWORD), ca_file=registry.ca_file
    )
    assert report.manifests_pushed == 4 + 2  # four artifacts, and the app's two platforms
    pool = urllib3.PoolManager(ca_certs=str(registry.ca_file))
    auth = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    for artifact in verified.artifacts:
        repository, _, tag = artifact["reference"].rpartition(":")
        path = repository
        response = pool.request(
            "GET",
            f"https://{registry.host}/v2/airgap/{path}/manifests/{tag}",
            headers={"Authorization": f"Basic {auth}", "Accept": artifact["mediaType"]},
        )
        assert response.status == 200, (artifact["reference"], response.data)
        assert "sha256:" + hashlib.sha256(response.data).hexdigest() == artifact["digest"]
        if artifact["kind"] == "chart":
            document = json.loads(response.data)
            assert document["config"]["mediaType"] == CHART_CONFIG
            assert [layer["mediaType"] for layer in document["layers"]] == [CHART_LAYER]


def test_create_names_the_images_the_platform_runs_that_the_bundle_lacks(
    cli: Cli, sources: Path, tmp_path: Path
) -> None:
    # the community-poc render runs kubectl in its restore-check CronJobs, busybox in its
    # canary writer and verifier, Velero's AWS plugin as an init container in its values,
    # and RKE2's own images on its nodes; carry kubectl, under its short name
    image_layout(tmp_path / "kubectl", "registry.k8s.io/kubectl:v1.35.0", [SHARED])
    result = make_bundle(
        sources / "repo",
        tmp_path / "b.tar",
        key=sources / "signing.key",
        images=(tmp_path / "kubectl",),
    )
    missing = set(result.missing_images)
    assert {
        "docker.io/library/busybox:1.37.0",
        "docker.io/velero/velero-plugin-for-aws:v1.13.1",
        "docker.io/rancher/rke2-runtime:v1.35.7-rke2r1",
        "docker.io/rancher/hardened-calico:v3.32.1-build20260722",
    } <= missing
    assert "registry.k8s.io/kubectl:v1.35.0" not in missing
    # no chart store: no chart was looked into, and the result says so rather than
    # passing their images over in silence
    assert {gap.kind for gap in result.not_inspected} == {"chart"}
    assert "velero 12.1.0" in {gap.name for gap in result.not_inspected}
    created = cli(
        "bundle", "create", str(sources / "repo"), str(tmp_path / "c.tar"),
        "--key", str(sources / "signing.key"), "--images", str(sources / "tool"),
    )  # fmt: skip
    assert created.exit_code == 0, created.stderr
    assert (
        "warning: the platform runs registry.k8s.io/kubectl:v1.35.0, which the bundle "
        "does not carry" in created.stderr
    )
    assert "chart velero 12.1.0 not inspected, no chart store given" in created.stderr


def test_a_bundle_without_its_index_is_refused(sources: Path, bundle: Path, tmp_path: Path) -> None:
    target = tmp_path / "no-index.tar"
    with tarfile.open(target, "w", format=tarfile.USTAR_FORMAT) as out:
        for name, data in _members(bundle).items():
            if name != "index.json":
                info = tarfile.TarInfo(name)
                info.size = len(data)
                out.addfile(info, io.BytesIO(data))
    assert "index.json: is missing" in _refusal(target, sources / "signing.key.pub")


def test_a_failed_unpack_leaves_no_layout_behind(
    sources: Path, bundle: Path, tmp_path: Path
) -> None:
    data = bundle.read_bytes()
    cut = tmp_path / "cut.tar"
    cut.write_bytes(data[: len(data) - 4096])
    with pytest.raises(InputError):
        check_bundle(cut, key=sources / "signing.key.pub", unpack=tmp_path / "layout")
    assert not (tmp_path / "layout").exists()
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError):
        check_bundle(cut, key=sources / "signing.key.pub", unpack=tmp_path / "empty")
    assert list((tmp_path / "empty").iterdir()) == []


def test_platform_keeps_only_the_chosen_platforms_of_an_index(
    sources: Path, tmp_path: Path
) -> None:
    result = make_bundle(
        sources / "repo",
        tmp_path / "arm.tar",
        key=sources / "signing.key",
        images=(sources / "app",),
        platforms=("linux/arm64",),
    )
    (app_image,) = [a for a in result.artifacts if a["kind"] == "image"]
    assert app_image["platforms"] == ["linux/arm64"]
    source_index = Layout.open(sources / "app").manifests()[0]
    assert app_image["source"] == f"app@{source_index.digest}"
    assert app_image["digest"] != source_index.digest  # a new index, listing arm64 only
    check_bundle(tmp_path / "arm.tar", key=sources / "signing.key.pub", unpack=tmp_path / "l")
    layout = Layout.open(tmp_path / "l")
    (top,) = [m for m in layout.manifests() if m.reference == "docker.io/library/app:1"]
    (child,) = layout.children(top)
    assert child.platform == {"architecture": "arm64", "os": "linux"}
    stored = {p.name for p in (tmp_path / "l" / "blobs" / "sha256").iterdir()}
    amd64 = [c for c in Layout.open(sources / "app").children(source_index) if c != child]
    assert amd64 and all(c.hex not in stored for c in amd64)


def test_an_image_with_none_of_the_chosen_platforms_is_refused(
    cli: Cli, sources: Path, tmp_path: Path
) -> None:
    result = cli(
        "bundle", "create", str(sources / "repo"), str(tmp_path / "b.tar"),
        "--key", str(sources / "signing.key"), "--images", str(sources / "tool"),
        "--platform", "linux/arm64",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "quay.io/example/tool:2: is built for linux/amd64, none of linux/arm64" in result.stderr
    assert not (tmp_path / "b.tar").exists()
    bad = cli(
        "bundle", "create", str(sources / "repo"), str(tmp_path / "b.tar"),
        "--key", str(sources / "signing.key"), "--platform", "arm64",
    )  # fmt: skip
    assert bad.exit_code == 2 and "--platform: 'arm64' is not OS/ARCH[/VARIANT]" in bad.stderr

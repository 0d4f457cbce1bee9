"""``bundle create`` trusts a blob ``images pull`` checked only while its file is unchanged.

Images are pushed into the real test registry and pulled from it, as a user does; each
way a file can change after the pull (in place with its mtime put back, replaced, the
layout copied) is made for real, and must send the blob back through the hash, where a
corruption is caught naming the blob. The counts ``bundle create`` returns show which
blobs were hashed and which were copied on the record's word.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stackyard.app import BundleResult, check_bundle, make_bundle, make_signing_keys
from stackyard.cli.main import app
from stackyard.delivery.imagepull import parse_image, pull_images
from stackyard.delivery.layout import Layout
from stackyard.delivery.registry import push_layout
from stackyard.delivery.registry_client import Credentials, parse_target
from stackyard.delivery.verified import (
    RECORD_FOLDER,
    WRITER_LOCK,
    VerificationRecord,
    add_verified,
    file_key,
    filesystem_clock,
    record_path,
)
from stackyard.errors import InputError
from stackyard.fsio import exclusive_lock
from stackyard.fsio.write import is_temporary
from tests.conftest import ROOT
from tests.delivery.gitrepos import commit_tree
from tests.ociimages import LAYER_MEDIA_TYPE, image_layout
from tests.registry import PASSWORD, USERNAME, Registry

APP = "docker.io/library/app:1"
TOOL = "quay.io/example/tool:2"
PREFIX = "trust"
"""Where the images live in the registry the session shares with the pull tests."""
SHARED = {"etc/os-release": b"ID=trust-test\n" * 1000}


@dataclass(frozen=True)
class Setting:
    """A committed tree, a key pair and the two images, pushed to the test registry."""

    tree: Path
    key: Path
    built: Path
    registry: Registry

    def pull(self, into: Path) -> Layout:
        """``images pull`` both images from the test registry into the layout ``into``."""
        mapping = {
            public: f"{self.registry.host}/{PREFIX}/{public}" for public in ("docker.io", "quay.io")
        }
        pull_images(
            [parse_image(APP), parse_image(TOOL)],
            into,
            registry_map=mapping,
            credentials=Credentials(USERNAME, PASSWORD),
            ca_file=self.registry.ca_file,
        )
        return Layout.open(into)

    def create(self, layout: Path, target: Path, *, rehash: bool = False) -> BundleResult:
        """``bundle create`` of the tree and the images of ``layout``."""
        return make_bundle(self.tree, target, key=self.key, images=(layout,), rehash=rehash)


@pytest.fixture(scope="module")
def setting(registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> Setting:
    folder = tmp_path_factory.mktemp("trust")
    tree = folder / "repo"
    tree.mkdir()
    (tree / "README.md").write_text("platform\n", encoding="utf-8")
    commit_tree(tree)
    make_signing_keys(folder / "signing.key")
    built = folder / "built"
    image_layout(built / "app", APP, [SHARED, {"bin/app": os.urandom(50_000)}])
    image_layout(built / "tool", TOOL, [SHARED, {"bin/tool": os.urandom(50_000)}])
    for name in ("app", "tool"):
        push_layout(
            built / name,
            parse_target(f"{registry.host}/{PREFIX}"),
            credentials=Credentials(USERNAME, PASSWORD),
            ca_file=registry.ca_file,
        )
    return Setting(tree, folder / "signing.key", built, registry)


def _layers(layout: Layout) -> list[Path]:
    """The files of the layout's layers (what a pull fetches and records), largest first."""
    found = {
        d.digest: d
        for top in layout.manifests()
        for d in layout.walk(top)
        if d.media_type == LAYER_MEDIA_TYPE
    }
    ordered = sorted(found.values(), key=lambda d: -d.size)
    return [layout.blob_path(d.digest) for d in ordered]


def _blob_count(layout: Layout) -> int:
    return len({d.digest for top in layout.manifests() for d in layout.walk(top)})


def _flip_in_place(path: Path) -> None:
    """Change one byte in the middle of ``path`` through the same inode, then put its
    mtime back as a careless tool (or ``touch -r``) would: only ctime tells."""
    before = path.stat()
    with path.open("r+b") as stream:
        stream.seek(before.st_size // 2)
        byte = stream.read(1)
        stream.seek(before.st_size // 2)
        stream.write(bytes([byte[0] ^ 0xFF]))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (
        before.st_ino,
        before.st_size,
        before.st_mtime_ns,
    )


def _refusal(setting: Setting, layout: Path, target: Path) -> str:
    with pytest.raises(InputError) as caught:
        setting.create(layout, target)
    assert not target.exists()
    return str(caught.value)


def test_blobs_the_pull_checked_are_copied_unhashed_and_the_bundle_verifies(
    setting: Setting, tmp_path: Path
) -> None:
    layout = setting.pull(tmp_path / "images")
    layers = _layers(layout)
    record = VerificationRecord.read(layout.root)
    assert set(record.entries) == {"sha256:" + p.name for p in layers}
    for path in layers:
        assert record.vouches_for("sha256:" + path.name, path.stat())

    created = setting.create(layout.root, tmp_path / "platform.tar")
    assert created.blobs_trusted == len(layers)
    # the rest: manifests and configs, and the Git bundle, all hashed
    assert created.blobs_hashed == _blob_count(layout) - len(layers) + 1
    verified = check_bundle(created.path, key=setting.key.with_name("signing.key.pub"))
    assert verified.blobs_stored == created.blobs_stored


def test_a_blob_changed_in_place_with_its_mtime_restored_is_hashed_and_refused(
    setting: Setting, tmp_path: Path
) -> None:
    layout = setting.pull(tmp_path / "images")
    changed = _layers(layout)[0]
    _flip_in_place(changed)
    message = _refusal(setting, layout.root, tmp_path / "platform.tar")
    assert str(changed) in message and f"sha256:{changed.name}" in message
    assert "does not match its digest" in message and "nothing was written" in message


def test_a_replaced_blob_is_hashed(setting: Setting, tmp_path: Path) -> None:
    layout = setting.pull(tmp_path / "images")
    replaced = _layers(layout)[0]
    before = replaced.stat()
    data = bytearray(replaced.read_bytes())
    data[len(data) // 2] ^= 0xFF
    stand_in = replaced.with_name("stand-in")
    stand_in.write_bytes(bytes(data))
    os.utime(stand_in, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(stand_in, replaced)
    message = _refusal(setting, layout.root, tmp_path / "platform.tar")
    assert str(replaced) in message and "does not match its digest" in message

    # the same bytes put back as a new file: hashed (not trusted), and found right
    data[len(data) // 2] ^= 0xFF
    stand_in.write_bytes(bytes(data))
    os.replace(stand_in, replaced)
    created = setting.create(layout.root, tmp_path / "platform.tar")
    assert created.blobs_trusted == len(_layers(layout)) - 1


def test_a_layout_copied_with_cp_a_is_hashed_then_recorded_by_create(
    setting: Setting, tmp_path: Path
) -> None:
    pulled = setting.pull(tmp_path / "images")
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-a", str(pulled.root), str(copy)], check=True)
    assert record_path(copy).exists()  # the record came along, but vouches for other files

    first = setting.create(copy, tmp_path / "first.tar")
    assert first.blobs_trusted == 0
    assert first.blobs_hashed == _blob_count(pulled) + 1
    # create hashed every blob and had the lock free: the copy's record now holds them
    second = setting.create(copy, tmp_path / "second.tar")
    assert second.blobs_trusted == _blob_count(pulled)
    assert second.blobs_hashed == 1  # the Git bundle


def test_a_layout_another_tool_made_is_hashed_recorded_when_free_and_a_bad_record_ignored(
    setting: Setting, tmp_path: Path
) -> None:
    made = tmp_path / "skopeo-like"
    shutil.copytree(setting.built / "app", made)  # as skopeo copy oci:… leaves it: no record
    assert not (made / RECORD_FOLDER).exists()
    layout = Layout.open(made)
    with exclusive_lock(made / WRITER_LOCK, timeout=1, busy="busy"):  # a pull under way
        created = setting.create(made, tmp_path / "first.tar")
    assert (created.blobs_trusted, created.blobs_hashed) == (0, _blob_count(layout) + 1)
    assert not record_path(made).exists()  # create did not wait for the lock: no record
    created = setting.create(made, tmp_path / "first.tar")
    assert (created.blobs_trusted, created.blobs_hashed) == (0, _blob_count(layout) + 1)
    assert len(VerificationRecord.read(made).entries) == _blob_count(layout)

    record_path(made).write_text("{not json", encoding="utf-8")  # a hint, never an input
    _flip_in_place(_layers(layout)[0])
    message = _refusal(setting, made, tmp_path / "second.tar")
    assert "does not match its digest" in message


def test_rehash_hashes_what_the_record_vouches_for(setting: Setting, tmp_path: Path) -> None:
    """Bit rot below the file system changes no time stamp: the record cannot see it, so
    it is made here by corrupting a blob and re-recording its new state. Only --rehash
    (and bundle verify on the other side) catches it."""
    layout = setting.pull(tmp_path / "images")
    rotten = _layers(layout)[0]
    _flip_in_place(rotten)
    time.sleep(0.01)  # past the file system clock's tick, so the new state is recordable
    add_verified(
        layout.root,
        {"sha256:" + rotten.name: file_key(rotten.stat())},
        filesystem_clock(layout.root),
    )

    key = setting.key
    runner = CliRunner()
    command = ["bundle", "create", str(setting.tree), str(tmp_path / "trusting.tar")]
    command += ["--key", str(key), "--images", str(layout.root)]
    trusting = runner.invoke(app, command)
    assert trusting.exit_code == 0, trusting.stderr
    trusted = len(_layers(layout))
    hashed = _blob_count(layout) - trusted + 1
    assert f"({hashed} hashed, {trusted} unchanged since verified)" in trusting.stderr
    verify = runner.invoke(
        app, ["bundle", "verify", str(tmp_path / "trusting.tar"), "--key", f"{key}.pub"]
    )
    assert verify.exit_code == 2 and f"sha256:{rotten.name}" in verify.stderr

    command[3] = str(tmp_path / "rehashed.tar")
    rehashed = runner.invoke(app, [*command, "--rehash", "-o", "json"])
    assert rehashed.exit_code == 2
    assert str(rotten) in rehashed.stderr and "does not match its digest" in rehashed.stderr
    assert not (tmp_path / "rehashed.tar").exists()


def test_skopeo_reads_a_pulled_layout_with_its_record(setting: Setting, tmp_path: Path) -> None:
    if shutil.which("skopeo") is None:
        pytest.skip("skopeo is not installed")
    layout = setting.pull(tmp_path / "images")
    assert record_path(layout.root).exists()
    copied = subprocess.run(
        ["skopeo", "copy", "--quiet", f"oci:{layout.root}:{TOOL}", f"oci:{tmp_path / 'out'}:tool"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert copied.returncode == 0, copied.stderr
    assert Layout.open(tmp_path / "out").manifests()[0].digest in {
        top.digest for top in layout.manifests()
    }


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from stackyard.delivery.verified import VerificationRecord, add_verified, filesystem_clock
    root = Path(sys.argv[1])
    entries = dict(VerificationRecord.read(root).entries)
    clock = filesystem_clock(root)
    add_verified(root, entries, clock)
    print("ready", flush=True)
    while True:
        add_verified(root, entries, clock)
    """
)


def test_the_record_survives_a_writer_killed_mid_write(tmp_path: Path) -> None:
    """A writer rewriting a large record is killed with SIGKILL again and again: the record
    read afterwards is always whole, and the next writer removes what the killed one left."""
    root = tmp_path / "layout"
    layout = Layout.create(root)
    for n in range(1500):
        layout.add_bytes(f"blob {n}\n".encode(), LAYER_MEDIA_TYPE)
    time.sleep(0.01)
    blobs = {"sha256:" + p.name: file_key(p.stat()) for p in (root / "blobs" / "sha256").iterdir()}
    add_verified(root, blobs, filesystem_clock(root))
    assert VerificationRecord.read(root).entries == blobs

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    folder = root / RECORD_FOLDER
    cut_mid_write = 0
    for _ in range(10):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(root)], env=env, stdout=subprocess.PIPE
        )
        assert writer.stdout is not None and writer.stdout.readline() == b"ready\n"
        deadline = time.monotonic() + 10
        while not any(is_temporary(p.name) for p in folder.iterdir()):  # a write under way
            assert time.monotonic() < deadline, "the writer never wrote"
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        assert VerificationRecord.read(root).entries == blobs
        json.loads(record_path(root).read_bytes())
        cut_mid_write += any(is_temporary(p.name) for p in folder.iterdir())
        if cut_mid_write >= 3:
            break
    assert cut_mid_write, "no kill landed inside a write: the drill proved nothing"
    add_verified(root, {}, filesystem_clock(root))
    assert not [p for p in (root / RECORD_FOLDER).iterdir() if is_temporary(p.name)]
    assert VerificationRecord.read(root).entries == blobs

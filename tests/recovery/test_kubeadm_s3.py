"""kubeadm's etcd snapshots off the node: the rendered CronJob's upload script, run for real
with the AWS CLI against an S3-compatible server on loopback, and ``dr drill etcd --from-s3``
restoring what it put there, through the settings the render made the CronJob from."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stackyard.plan import make_plan
from stackyard.render.context import RenderContext
from stackyard.render.manifests.etcd_backup import etcd_snapshot_cronjob, upload_container
from stackyard.spec import load_spec
from tests.app.schemas import assert_matches, printed
from tests.etcd import Etcd
from tests.objectstore import ObjectStore

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "local-multicluster.yaml"
BUCKET = "local-multicluster-etcd-snapshots"
"""The example's default etcdSnapshots bucket: ``<platform>-etcd-snapshots``."""
CLUSTER = "app1"
NODE = "app1-cp-0"


def spec_at(folder: Path, endpoint: str) -> Path:
    """The kubeadm example with its object store on ``endpoint``."""
    path = folder / "platform.yaml"
    store = f"objectStorage:\n  endpoint: {endpoint}\n  credentialsSecret: object-storage\n"
    path.write_text(EXAMPLE.read_text(encoding="utf-8") + store, encoding="utf-8")
    return path


def rendered_upload(spec: Path) -> dict[str, Any]:
    """The upload container of the rendered CronJob of :data:`CLUSTER`."""
    plan = make_plan(load_spec(spec))
    cronjob = etcd_snapshot_cronjob(RenderContext(plan), plan.cluster(CLUSTER))
    container = upload_container(cronjob)
    assert container is not None
    return container


@pytest.fixture
def temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The folder temporary files go to; empty again after each test."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    assert list(folder.iterdir()) == [], "the drill left files behind"


@pytest.fixture
def bucket(object_store: ObjectStore) -> Iterator[str]:
    """An empty bucket named as the render names it, removed afterwards."""
    s3 = object_store.client()
    s3.create_bucket(Bucket=BUCKET)
    yield BUCKET
    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=item["Key"])
    s3.delete_bucket(Bucket=BUCKET)


def keys(object_store: ObjectStore, prefix: str) -> list[str]:
    answer = object_store.client().list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(item["Key"] for item in answer.get("Contents", []))


@pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")
@pytest.mark.usefixtures("aws_env")
def test_the_upload_script_copies_the_newest_snapshot_and_keeps_the_retention(
    etcd: Etcd, object_store: ObjectStore, bucket: str, tmp_path: Path
) -> None:
    spec = spec_at(tmp_path, object_store.url)
    upload = rendered_upload(spec)
    env = {e["name"]: e["value"] for e in upload["env"] if "value" in e}
    retention = int(env["SNAPSHOT_RETENTION"])
    # The node's ring: the snapshot init container's newest file is the one to upload.
    ring = tmp_path / "etcd-backup"
    ring.mkdir()
    etcd.ctl("snapshot", "save", str(ring / "etcd-snapshot-3.db"))
    old = ring / "etcd-snapshot-2.db"
    old.write_bytes(b"an older snapshot")
    os.utime(old, (1_700_000_000, 1_700_000_000))
    (ring / "etcd-snapshot-4.db.part").write_bytes(b"an unfinished snapshot")
    # Older copies of this node, and of another node and another cluster, already there.
    s3 = object_store.client()
    mine = [f"{CLUSTER}/etcd-snapshot-{NODE}-{1_764_000_000 + i}" for i in range(retention + 1)]
    others = [
        f"{CLUSTER}/etcd-snapshot-{NODE}-1-1764000000",
        f"{CLUSTER}/etcd-snapshot-app1-cp-1-1764000000",
        "app2/etcd-snapshot-app2-cp-0-1764000000",
    ]
    for key in mine + others:
        s3.put_object(Bucket=bucket, Key=key, Body=b"old")
    environment = {
        **os.environ,
        **env,
        "SNAPSHOT_DIR": str(ring),
        "HOME": str(tmp_path),
        "NODE_NAME": NODE,
        # The credentials Secret's keys (envFrom), as the aws_env fixture set them.
        "AWS_ACCESS_KEY_ID": os.environ["AWS_ACCESS_KEY_ID"],
    }
    assert environment["AWS_ENDPOINT_URL"] == object_store.url
    script = upload["command"][2]
    ran = subprocess.run(
        ["bash", "-c", script], env=environment, capture_output=True, text=True, timeout=120
    )
    assert ran.returncode == 0, ran.stderr
    after = keys(object_store, f"{CLUSTER}/etcd-snapshot-{NODE}-")
    new = [k for k in after if k not in mine + others]
    assert len(new) == 1, after
    assert f"uploaded etcd-snapshot-3.db to s3://{bucket}/{new[0]}" in ran.stdout
    body = s3.get_object(Bucket=bucket, Key=new[0])["Body"].read()
    assert body == (ring / "etcd-snapshot-3.db").read_bytes()
    # This node keeps its newest `retention` copies (the new one included); others stay.
    assert [k for k in after if k not in others] == sorted(mine[-(retention - 1) :] + new)
    for key in others:
        assert key in keys(object_store, "")
    assert ran.stdout.count("deleted ") == 2


@pytest.mark.usefixtures("aws_env", "temp")
def test_from_s3_restores_the_newest_copy_of_a_kubeadm_cluster(
    etcd: Etcd, object_store: ObjectStore, bucket: str, tmp_path: Path
) -> None:
    snapshot = tmp_path / "snapshot.db"
    etcd.ctl("snapshot", "save", str(snapshot))
    good = snapshot.read_bytes()
    # Where the CronJob's upload puts it: bucket and folder from the rendered container.
    spec = spec_at(tmp_path, object_store.url)
    env = {e["name"]: e["value"] for e in rendered_upload(spec)["env"] if "value" in e}
    assert (env["SNAPSHOT_BUCKET"], env["SNAPSHOT_FOLDER"]) == (bucket, CLUSTER)
    key = f"{env['SNAPSHOT_FOLDER']}/etcd-snapshot-{NODE}-1764806400"
    object_store.client().put_object(Bucket=bucket, Key=key, Body=good)
    data = printed("dr", "drill", "etcd", "--spec", str(spec), "--from-s3", "--cluster", CLUSTER)
    assert_matches("etcd-drill", data)
    assert data["verdict"] == "passed", data["failure"]
    source = data["s3"]
    assert (source["endpoint"], source["bucket"], source["key"]) == (object_store.url, bucket, key)
    assert source["etag"] == hashlib.md5(good).hexdigest()
    assert data["snapshot"]["sha256"] == hashlib.sha256(good).hexdigest()
    assert [s["name"] for s in data["steps"]][:3] == ["download", "verify", "restore"]
    assert data["comparison"]["ok"] is True

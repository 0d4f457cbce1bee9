"""The etcd drill from object storage: a real etcd's snapshot uploaded to an S3-compatible
server on loopback, found and downloaded through the spec's object-store settings, restored
and compared; each failure to fetch it is bad input (exit 2) that leaves nothing behind."""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stackyard.app import drill_etcd
from stackyard.cli.main import app
from stackyard.errors import InputError
from tests.app.schemas import assert_matches, printed
from tests.etcd import Etcd
from tests.objectstore import ObjectStore
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
POC = ROOT / "examples" / "community-poc.yaml"
BUCKET = "community-poc-etcd-snapshots"
"""The default etcdSnapshots bucket of the community PoC: ``<platform>-etcd-snapshots``."""
OLDER = "poc/etcd-snapshot-poc-server-0-1764800000"
NEWEST = "poc/etcd-snapshot-poc-server-0-1764806400"


class Uploaded:
    """What the module's bucket holds."""

    def __init__(self, snapshot: bytes, version: str) -> None:
        self.snapshot = snapshot
        self.version = version


@pytest.fixture(scope="module")
def uploaded(
    etcd: Etcd, object_store: ObjectStore, tmp_path_factory: pytest.TempPathFactory
) -> Uploaded:
    """RKE2's layout in a versioned bucket: snapshots under ``<cluster>/``, newest last.

    The older snapshot is corrupted and sorts after the newest by name, the metadata
    object and another cluster's snapshot are newer still: only the newest snapshot of
    the cluster's own folder restores.
    """
    path = tmp_path_factory.mktemp("s3-snapshot") / "snapshot.db"
    etcd.ctl("snapshot", "save", str(path))
    good = path.read_bytes()
    broken = bytearray(good)
    broken[len(broken) // 2] ^= 0xFF
    s3 = object_store.client()
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=BUCKET, Key=OLDER.replace("1764800000", "zz-older"), Body=bytes(broken))
    time.sleep(1.1)  # LastModified has whole seconds
    version = s3.put_object(Bucket=BUCKET, Key=NEWEST, Body=good)["VersionId"]
    time.sleep(1.1)
    s3.put_object(Bucket=BUCKET, Key=f"poc/.metadata/{NEWEST.split('/')[1]}", Body=b"{}")
    s3.put_object(Bucket=BUCKET, Key="poc2/etcd-snapshot-poc2-server-0-1764809999", Body=b"x")
    return Uploaded(good, version)


@pytest.fixture
def temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The folder temporary files go to; empty again after each test."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    assert list(folder.iterdir()) == [], "the drill left files behind"


def spec_at(tmp_path: Path, endpoint: str) -> Path:
    path = tmp_path / "platform.yaml"
    text = POC.read_text(encoding="utf-8").replace("rto: 4h", "rto: 30m")
    store = f"objectStorage:\n  endpoint: {endpoint}\n  credentialsSecret: object-storage\n"
    path.write_text(text + store, encoding="utf-8")
    return path


def drill(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["dr", "drill", "etcd", *args], env={"COLUMNS": "300"})
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.usefixtures("aws_env", "temp")
def test_from_s3_restores_the_newest_snapshot_of_the_cluster(
    object_store: ObjectStore, uploaded: Uploaded, tmp_path: Path
) -> None:
    spec = spec_at(tmp_path, object_store.url)
    evidence = tmp_path / "drill.md"
    data = printed(
        "dr", "drill", "etcd", "--spec", str(spec), "--from-s3", "--evidence", str(evidence)
    )
    assert_matches("etcd-drill", data)
    assert data["verdict"] == "passed", data["failure"]
    source = data["s3"]
    assert source["endpoint"] == object_store.url
    assert (source["bucket"], source["key"]) == (BUCKET, NEWEST)
    # A single-part upload's ETag is the MD5 of its bytes: the object read is the one named.
    assert source["etag"] == hashlib.md5(uploaded.snapshot).hexdigest()
    assert source["versionId"] == uploaded.version
    assert source["size"] == len(uploaded.snapshot) == data["snapshot"]["size"]
    assert data["snapshot"]["file"] == f"s3://{BUCKET}/{NEWEST}"
    assert data["snapshot"]["sha256"] == hashlib.sha256(uploaded.snapshot).hexdigest()
    assert [s["name"] for s in data["steps"]][:3] == ["download", "verify", "restore"]
    assert data["commands"][0] == (
        f"aws s3api get-object --bucket {BUCKET} --key {NEWEST} --version-id {uploaded.version} "
        f"--endpoint-url {object_store.url} {NEWEST.split('/')[1]}"
    )
    assert data["recovery"]["withinRto"] is True
    record = evidence.read_text(encoding="utf-8")
    assert f"object `{NEWEST}` in bucket `{BUCKET}` at `{object_store.url}`" in record
    assert f"ETag `{source['etag']}`, version `{uploaded.version}`" in record
    assert f"| File | `s3://{BUCKET}/{NEWEST}` (downloaded for the drill" in record


@pytest.mark.usefixtures("aws_env", "temp")
def test_an_s3_url_names_one_object_reached_with_the_specs_settings(
    object_store: ObjectStore, uploaded: Uploaded, tmp_path: Path
) -> None:
    spec = spec_at(tmp_path, object_store.url)
    result = drill_etcd(spec=spec, snapshot=f"s3://{BUCKET}/{NEWEST}", sample=5)
    assert not result.failed, result.reasons
    assert result.report.s3 is not None and result.report.s3.key == NEWEST
    # The corrupted older copy, named: downloaded, then refused by the integrity check.
    older = OLDER.replace("1764800000", "zz-older")
    result = drill_etcd(spec=spec, snapshot=f"s3://{BUCKET}/{older}")
    assert result.report.failed_step == "verify"
    assert "integrity hash mismatch" in (result.report.error or "")
    assert result.report.s3 is not None and result.report.s3.key == older


@pytest.mark.usefixtures("aws_env", "temp")
def test_a_folder_url_without_a_spec_uses_the_environments_endpoint(
    object_store: ObjectStore, uploaded: Uploaded, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", object_store.url)
    code, out, err = drill("--snapshot", f"s3://{BUCKET}/poc/", "--sample", "3")
    assert code == 0, err
    assert f"object: s3://{BUCKET}/{NEWEST} at {object_store.url} (" in out
    assert "download: ok" in out and "verdict: passed" in out


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("s3://no-such-bucket/poc/x", "bucket no-such-bucket does not exist at http://"),
        (f"s3://{BUCKET}/poc/missing", f"no such object in bucket {BUCKET} at http://"),
        (f"s3://{BUCKET}/empty/", "holds no snapshot at http://"),
        ("s3://", "is not an s3://BUCKET/KEY URL"),
    ],
)
@pytest.mark.usefixtures("aws_env", "temp")
def test_a_missing_bucket_key_or_folder_is_bad_input(
    object_store: ObjectStore, uploaded: Uploaded, tmp_path: Path, url: str, message: str
) -> None:
    spec = spec_at(tmp_path, object_store.url)
    restored = tmp_path / "restored"
    evidence = tmp_path / "drill.md"
    args = ["--spec", str(spec), "--snapshot", url]
    code, out, err = drill(*args, "--restore-dir", str(restored), "--evidence", str(evidence))
    assert code == 2 and message in err, err
    assert out == "" and not restored.exists() and not evidence.exists()


@pytest.mark.usefixtures("aws_env", "temp")
def test_access_denied_and_unknown_credentials_are_bad_input(
    object_store: ObjectStore,
    uploaded: Uploaded,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = spec_at(tmp_path, object_store.url)
    key, secret = object_store.user_keys("no-rights")
    with object_store.enforce_access():
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
        code, _, err = drill("--spec", str(spec), "--from-s3")
        assert code == 2
        assert f"s3://{BUCKET}/poc/: --from-s3: access denied by {object_store.url}" in err
        assert "need s3:ListBucket" in err
        code, _, err = drill("--spec", str(spec), "--snapshot", f"s3://{BUCKET}/{NEWEST}")
        assert code == 2 and "access denied" in err and "need s3:GetObject" in err
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUNKNOWNKEY000000")
        code, _, err = drill("--spec", str(spec), "--from-s3")
        assert code == 2 and "refused the credentials (InvalidAccessKeyId)" in err


@pytest.mark.usefixtures("aws_env", "temp")
def test_no_credentials_at_all_is_bad_input(
    uploaded: Uploaded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    code, _, err = drill("--spec", str(spec_at(tmp_path, "http://127.0.0.1:9")), "--from-s3")
    assert code == 2 and "no credentials for the object store" in err
    assert "AWS_ACCESS_KEY_ID" in err


@pytest.mark.usefixtures("aws_env", "temp")
def test_an_endpoint_that_is_down_is_bad_input(tmp_path: Path) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    began = time.monotonic()
    code, _, err = drill("--spec", str(spec_at(tmp_path, down)), "--from-s3")
    assert code == 2 and f"the object store {down} does not answer" in err
    assert time.monotonic() - began < 30


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from-s3"], "--from-s3: needs --spec"),
        (
            ["--from-s3", "--snapshot", f"s3://{BUCKET}/x"],
            "give --from-s3 (the cluster's newest copy) or --snapshot s3://…, not both",
        ),
        (["--from-s3", "--endpoint", "http://127.0.0.1:2379"], "give exactly one of"),
        (["--snapshot", f"s3://{BUCKET}/x", "--cacert", "ca.crt"], "TLS files are for"),
    ],
)
def test_s3_options_are_checked_before_anything_is_fetched(args: list[str], message: str) -> None:
    code, _, err = drill(*args)
    assert code == 2 and message in err, err


@pytest.mark.usefixtures("aws_env")
def test_clusters_whose_snapshots_are_not_copied_are_refused_with_what_to_do(
    tmp_path: Path,
) -> None:
    kubeadm = ROOT / "examples" / "local-multicluster.yaml"
    code, _, err = drill("--spec", str(kubeadm), "--from-s3")
    assert code == 2 and "several clusters: name one with --cluster" in err
    code, _, err = drill("--spec", str(kubeadm), "--from-s3", "--cluster", "nope")
    assert code == 2 and "'nope' is not a cluster of the spec" in err
    code, _, err = drill("--spec", str(POC), "--from-s3")
    assert code == 2 and "copies its snapshots to MinIO through the Secret etcd-s3-secret" in err
    assert f"pass --snapshot s3://{BUCKET}/poc/ with MinIO's S3 URL in AWS_ENDPOINT_URL" in err


def test_s3_errors_are_input_errors_in_the_library(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="needs --spec"):
        drill_etcd(from_s3=True)

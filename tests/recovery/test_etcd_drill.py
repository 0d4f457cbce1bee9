"""The etcd restore drill against a real etcd: it passes, and each fault is a clear failure.

Every drill that contacts the source is followed by a check that the source's revision
and etcd's hash of its whole key-value store did not change.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from stackyard.app import drill_etcd
from stackyard.errors import InputError
from tests.etcd import KEYS, Etcd


@pytest.fixture
def unchanged(etcd: Etcd) -> Iterator[None]:
    """Fail the test when the source changed during it."""
    before = etcd.fingerprint()
    yield
    assert etcd.fingerprint() == before, "the drill changed the source"


@pytest.fixture(scope="module")
def snapshot(etcd: Etcd, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A snapshot of the source, as an operator's etcdctl snapshot save writes it."""
    path = tmp_path_factory.mktemp("snapshot") / "etcd-snapshot.db"
    etcd.ctl("snapshot", "save", str(path))
    return path


def tls(etcd: Etcd) -> dict[str, Path]:
    return {"cacert": etcd.cacert, "cert": etcd.cert, "key": etcd.key}


def test_a_drill_against_the_source_passes_and_matches_it(etcd: Etcd, unchanged: None) -> None:
    result = drill_etcd(endpoint=etcd.endpoint, sample=50, **tls(etcd))
    report = result.report
    assert not result.failed, result.reasons
    assert report.snapshot is not None and report.snapshot.integrity == "verified"
    revision, hash_kv = etcd.fingerprint()
    assert report.snapshot.revision == revision
    assert report.comparison is not None and report.comparison.against == "source"
    checks = {c.name: (c.expected, c.found) for c in report.comparison.checks}
    assert checks == {
        "revision": (str(revision), str(revision)),
        "keys": (str(KEYS), str(KEYS)),
        "hashKV": (str(hash_kv), str(hash_kv)),
    }
    assert len(report.comparison.sampled) == 50 and not report.comparison.mismatched
    assert [s.name for s in report.steps] == [
        "source", "snapshot", "verify", "source", "restore", "start", "compare", "stop",
    ]  # fmt: skip
    assert report.recovery_seconds is not None and report.recovery_seconds > 0
    assert not Path(report.restore_dir).exists()


def test_a_snapshot_file_restores_without_a_source(snapshot: Path, tmp_path: Path) -> None:
    restored = tmp_path / "restored"
    result = drill_etcd(snapshot=snapshot, restore_dir=restored, sample=10)
    assert not result.failed, result.reasons
    assert result.report.source is None
    assert result.report.comparison is not None
    assert result.report.comparison.against == "snapshot"
    assert (restored / "member" / "snap" / "db").is_file()  # kept where asked
    assert result.report.kept


def test_the_recovery_time_is_held_to_the_spec_rto(snapshot: Path, tmp_path: Path) -> None:
    minimal = Path(__file__).resolve().parent.parent / "spec" / "data" / "minimal.yaml"
    for rto, missed in (("1ms", True), ("1h", False)):
        spec = tmp_path / f"platform-{rto}.yaml"
        spec.write_text(minimal.read_text() + f"slo:\n  rto: {rto}\n", encoding="utf-8")
        result = drill_etcd(snapshot=snapshot, spec=spec, sample=0)
        assert result.rto == rto and result.within_rto is (not missed)
        assert result.failed is missed
        if missed:
            assert "over the recovery time objective 1ms" in result.reasons[0]


def test_a_corrupted_snapshot_fails_its_integrity_check(snapshot: Path, tmp_path: Path) -> None:
    data = bytearray(snapshot.read_bytes())
    data[len(data) // 2] ^= 0xFF
    corrupted = tmp_path / "corrupted.db"
    corrupted.write_bytes(bytes(data))
    result = drill_etcd(snapshot=corrupted)
    assert result.failed and result.report.failed_step == "verify"
    assert "integrity hash mismatch" in (result.report.error or "")
    assert result.report.recovery_seconds is None


def test_a_truncated_snapshot_is_named_so(snapshot: Path, tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.db"
    truncated.write_bytes(snapshot.read_bytes()[:100_000])  # neither pages nor blocks + hash
    result = drill_etcd(snapshot=truncated)
    assert result.report.failed_step == "verify"
    assert "truncated or not an etcd snapshot" in (result.report.error or "")


def test_a_database_copied_from_a_data_directory_restores(etcd: Etcd, tmp_path: Path) -> None:
    snapshot = tmp_path / "full.db"
    etcd.ctl("snapshot", "save", str(snapshot))
    copied = tmp_path / "db"
    copied.write_bytes(snapshot.read_bytes()[:-32])  # the bare database, no hash
    result = drill_etcd(snapshot=copied, sample=5)
    assert result.report.snapshot is not None and result.report.snapshot.integrity == "none"
    # etcdctl refuses a database without its hash unless told to skip the check
    assert result.failed and result.report.failed_step == "restore"


def test_a_client_certificate_of_another_ca_is_refused(etcd: Etcd, unchanged: None) -> None:
    result = drill_etcd(
        endpoint=etcd.endpoint, cacert=etcd.cacert, cert=etcd.other_cert, key=etcd.other_key
    )
    assert result.report.failed_step == "source"
    assert "the server refused the client certificate" in (result.report.error or "")


def test_a_server_the_cacert_does_not_trust_is_refused(etcd: Etcd, unchanged: None) -> None:
    result = drill_etcd(
        endpoint=etcd.endpoint, cacert=etcd.other_cacert, cert=etcd.cert, key=etcd.key
    )
    assert result.report.failed_step == "source"
    assert "not trusted by --cacert" in (result.report.error or "")


def test_an_endpoint_that_is_down(etcd: Etcd) -> None:
    from tests.servers import free_port

    result = drill_etcd(endpoint=f"https://127.0.0.1:{free_port()}", **tls(etcd))
    assert result.report.failed_step == "source"
    assert "does not answer" in (result.report.error or "")


def test_a_full_disk_fails_the_restore(snapshot: Path, tmp_path: Path) -> None:
    disk = tmp_path / "small-disk"
    disk.mkdir()
    # a real file system that fills up: a 256 KiB tmpfs (the snapshot is over 1 MiB)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)], check=True)
    try:
        result = drill_etcd(snapshot=snapshot, restore_dir=disk / "restored")
    finally:
        subprocess.run(["umount", str(disk)], check=True)
    assert result.report.failed_step == "restore"
    assert "the disk is full" in (result.report.error or "")


def test_an_existing_restore_directory_is_never_overwritten(snapshot: Path, tmp_path: Path) -> None:
    existing = tmp_path / "data"
    existing.mkdir()
    (existing / "keep").write_text("mine", encoding="utf-8")
    with pytest.raises(InputError, match="already exists"):
        drill_etcd(snapshot=snapshot, restore_dir=existing)
    assert (existing / "keep").read_text(encoding="utf-8") == "mine"


def _fake_etcd(folder: Path, body: str) -> str:
    """A folder with the real etcdctl and an etcd that runs ``body`` instead of serving."""
    folder.mkdir()
    etcdctl = subprocess.run(["which", "etcdctl"], capture_output=True, text=True).stdout.strip()
    (folder / "etcdctl").symlink_to(etcdctl)
    script = folder / "etcd"
    script.write_text(
        '#!/bin/sh\nif [ "$1" = --version ]; then echo "etcd Version: 3.4.23"; exit 0; fi\n'
        + body
        + "\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return str(folder)


def test_a_throwaway_etcd_that_never_gets_healthy_times_out(snapshot: Path, tmp_path: Path) -> None:
    tools = _fake_etcd(tmp_path / "bin", "exec sleep 600")
    result = drill_etcd(snapshot=snapshot, timeout=2, tools_path=tools)
    assert result.report.failed_step == "start"
    assert "not healthy within 2s" in (result.report.error or "")
    assert result.report.steps[-1].name == "stop"  # stopped, not left running


def test_a_throwaway_etcd_that_dies_says_why(snapshot: Path, tmp_path: Path) -> None:
    tools = _fake_etcd(tmp_path / "bin", 'echo "member directory is broken" >&2; exit 7')
    result = drill_etcd(snapshot=snapshot, tools_path=tools)
    assert result.report.failed_step == "start"
    assert "exited with status 7: member directory is broken" in (result.report.error or "")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "exactly one of --endpoint"),
        ({"endpoint": "10.0.0.1:2379"}, "not an http:// or https:// URL"),
        ({"snapshot": Path("/nonexistent/snap.db")}, "no such file"),
        ({"endpoint": "https://127.0.0.1:2379", "cert": Path("/etc/hostname")}, "together"),
        ({"snapshot": Path("/etc/hostname"), "sample": -1}, "not between 0"),
    ],
)
def test_bad_options_are_input_errors(options: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        drill_etcd(**options)  # type: ignore[arg-type]


def test_a_throwaway_etcd_killed_while_starting(snapshot: Path, tmp_path: Path) -> None:
    etcd = subprocess.run(["which", "etcd"], capture_output=True, text=True).stdout.strip()
    # the process the drill starts as etcd is sent SIGKILL before it can be healthy; the kill
    # is synchronous, so a loaded machine cannot let the real etcd come up first (a delayed
    # background kill once did)
    tools = _fake_etcd(tmp_path / "bin", f'kill -9 $$; exec {etcd} "$@"')
    result = drill_etcd(snapshot=snapshot, tools_path=tools)
    assert result.report.failed_step == "start"
    assert "the restored etcd was killed by signal 9" in (result.report.error or "")


def test_etcdutl_runs_the_offline_commands_when_it_is_installed(
    snapshot: Path, tmp_path: Path
) -> None:
    # etcd 3.4 has no etcdutl: a stand-in that logs its calls and hands them to etcdctl
    # (which 3.4 gives the same commands, flags and output) shows which tool the drill used
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in ("etcd", "etcdctl"):
        real = subprocess.run(["which", tool], capture_output=True, text=True).stdout.strip()
        (folder / tool).symlink_to(real)
    calls = tmp_path / "etcdutl-calls"
    etcdutl = folder / "etcdutl"
    etcdutl.write_text(
        f'#!/bin/sh\necho "$1 $2" >> {calls}\nexec {folder / "etcdctl"} "$@"\n',
        encoding="utf-8",
    )
    etcdutl.chmod(0o755)
    result = drill_etcd(snapshot=snapshot, tools_path=str(folder), sample=0)
    assert not result.failed, result.reasons
    assert calls.read_text(encoding="utf-8").split("\n")[:2] == [
        "snapshot status",
        "snapshot restore",
    ]
    assert any(c.startswith("etcdutl snapshot restore") for c in result.report.commands)

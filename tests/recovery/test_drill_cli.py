"""``stackyard dr drill etcd`` as a user runs it: JSON matching its schema, text, Markdown
evidence, exit codes."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stackyard.cli.main import app
from stackyard.recovery.records import read_records
from tests.app.schemas import assert_matches, printed
from tests.etcd import KEYS, Etcd

MINIMAL = Path(__file__).resolve().parent.parent / "spec" / "data" / "minimal.yaml"


def tls_options(etcd: Etcd) -> list[str]:
    return ["--cacert", str(etcd.cacert), "--cert", str(etcd.cert), "--key", str(etcd.key)]


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "platform.yaml"
    path.write_text(MINIMAL.read_text(encoding="utf-8") + "slo:\n  rto: 30m\n", encoding="utf-8")
    return path


def test_json_of_a_drill_that_passes(etcd: Etcd, spec: Path, tmp_path: Path) -> None:
    evidence = tmp_path / "drill.md"
    args = ["dr", "drill", "etcd", "--endpoint", etcd.endpoint, *tls_options(etcd)]
    data = printed(*args, "--spec", str(spec), "--evidence", str(evidence))
    assert_matches("etcd-drill", data)
    assert data["verdict"] == "passed" and data["failure"] is None
    assert data["recovery"]["rto"] == "30m" and data["recovery"]["withinRto"] is True
    assert {c["name"]: c["found"] for c in data["comparison"]["checks"]}["keys"] == str(KEYS)
    record = evidence.read_text(encoding="utf-8")
    assert record.startswith("# etcd restore drill")
    for expected in (
        "**Verdict:** passed",
        f"`{etcd.endpoint}`",
        f"| Revision | {data['snapshot']['revision']} |",
        f"| SHA-256 of the file | `{data['snapshot']['sha256']}` |",
        "against a recovery time objective of 30m (1800 s)",
        "etcdctl snapshot restore snapshot.db",
        f"| keys | {KEYS} | {KEYS} | ok |",
    ):
        assert expected in record


def test_json_of_a_failed_drill_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"\0" * 1000)
    data = printed("dr", "drill", "etcd", "--snapshot", str(bad), code=1)
    assert_matches("etcd-drill", data)
    assert data["verdict"] == "failed" and data["failure"]["step"] == "verify"
    assert data["recovery"]["seconds"] is None


def test_text_and_markdown(etcd: Etcd, tmp_path: Path) -> None:
    snapshot = tmp_path / "snap.db"
    etcd.ctl("snapshot", "save", str(snapshot))
    runner = CliRunner()
    result = runner.invoke(
        app, ["dr", "drill", "etcd", "--snapshot", str(snapshot)], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 0, result.stderr
    assert "integrity verified" in result.stdout
    assert "verdict: passed" in result.stdout and "recovery time: " in result.stdout
    result = runner.invoke(
        app, ["dr", "drill", "etcd", "--snapshot", str(snapshot), "-o", "markdown"]
    )
    assert result.exit_code == 0, result.stderr
    assert "a snapshot file already taken; no endpoint contacted" in result.stdout
    assert "## Comparison with the snapshot" in result.stdout


def test_bad_input_exits_2(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["dr", "drill", "etcd"])
    assert result.exit_code == 2
    assert "exactly one of --endpoint" in result.stderr
    existing = tmp_path / "data"
    existing.mkdir()
    snapshot = tmp_path / "snap.db"
    snapshot.write_bytes(b"x")
    result = runner.invoke(
        app, ["dr", "drill", "etcd", "--snapshot", str(snapshot), "--restore-dir", str(existing)]
    )
    assert result.exit_code == 2
    assert "never overwrites" in result.stderr


def test_record_keeps_json_and_evidence_where_runbooks_and_simulate_read_them(
    etcd: Etcd, tmp_path: Path
) -> None:
    snapshot = tmp_path / "snap.db"
    etcd.ctl("snapshot", "save", str(snapshot))
    drills = tmp_path / "repo" / "dr" / "drills"
    args = ["dr", "drill", "etcd", "--snapshot", str(snapshot), "--record", str(drills)]
    data = printed(*args, "--cluster", "app1")
    (kept,) = (drills / "app1").glob("*-etcd.json")
    (evidence,) = (drills / "app1").glob("*-etcd.md")
    assert kept.stem == evidence.stem
    assert json.loads(kept.read_text(encoding="utf-8")) == data
    assert_matches("etcd-drill", data)
    assert evidence.read_text(encoding="utf-8").startswith("# etcd restore drill")
    started = datetime.datetime.fromisoformat(data["started"]).astimezone(datetime.UTC)
    assert kept.name == f"{started:%Y-%m-%dT%H%M%SZ}-etcd.json"
    (record,) = read_records(drills)["app1"]
    assert record.measured and record.recovery_seconds == data["recovery"]["seconds"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--record", "drills"], "give --record DIR and --cluster NAME together"),
        (["--cluster", "app1"], "give --record DIR and --cluster NAME together"),
        (["--record", "drills", "--cluster", "../x"], "is not a cluster name"),
    ],
)
def test_record_options_are_checked_before_the_drill(
    extra: list[str], message: str, tmp_path: Path
) -> None:
    missing = tmp_path / "missing.db"  # never read: the options are refused first
    result = CliRunner().invoke(app, ["dr", "drill", "etcd", "--snapshot", str(missing), *extra])
    assert result.exit_code == 2 and message in result.stderr
    assert not (tmp_path / "drills").exists()

"""Drill records as evidence: a real drill kept with ``--record`` in a repository's
``dr/drills`` counts for assess's restore-drill control while it is fresher than the drill
interval (and is reported as stale after), and replaces simulate's documented estimate of
the etcd restore with the time it measured, saying so."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stackyard.assess import assess_directory
from stackyard.assess.detectors.recovery import DRILL_INTERVAL
from stackyard.assess.model import ControlResult
from stackyard.cli.main import app
from stackyard.simulate.backups import recovery_scenarios
from stackyard.spec.units import format_duration
from tests.app.schemas import assert_matches, printed
from tests.conftest import EXAMPLES
from tests.etcd import Etcd

SPEC = EXAMPLES / "aws-standard.yaml"  # one cluster, prod (RTO 4h)
MULTI = EXAMPLES / "local-multicluster.yaml"  # mgmt, app1, app2


@pytest.fixture(scope="module")
def snapshot(etcd: Etcd, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("snapshot") / "snap.db"
    etcd.ctl("snapshot", "save", str(path))
    return path


def record(snapshot: Path, repo: Path, cluster: str) -> Path:
    """Run a real drill of ``snapshot`` and keep it in ``repo/dr/drills/<cluster>/``."""
    drills = repo / "dr" / "drills"
    args = ["dr", "drill", "etcd", "--snapshot", str(snapshot), "--record", str(drills)]
    printed(*args, "--cluster", cluster)
    (kept,) = (drills / cluster).glob("*-etcd.json")
    return kept


def edit(path: Path, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return data


def days_ago(days: int) -> str:
    when = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days)
    return when.isoformat(timespec="seconds")


def restore_drill(repo: Path) -> ControlResult:
    assessment = assess_directory(repo, workers=0)
    return next(
        c for area in assessment.areas for c in area.controls if c.control == "DR-RESTORE-DRILL"
    )


def line_of(path: Path, key: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.lstrip().startswith(f'"{key}"'))


def test_the_drill_interval_is_monthly() -> None:
    assert datetime.timedelta(days=31) == DRILL_INTERVAL


def test_a_fresh_passing_record_is_evidence_with_its_file_and_line(
    snapshot: Path, tmp_path: Path
) -> None:
    assert restore_drill(tmp_path).status == "missing"
    kept = record(snapshot, tmp_path, "app1")
    control = restore_drill(tmp_path)
    assert control.status == "achieved"
    (evidence,) = control.evidence
    assert evidence.file == f"dr/drills/app1/{kept.name}"
    assert evidence.line == line_of(kept, "started")
    assert evidence.text.endswith("etcd drill app1: passed, 0 days old")
    assert "app1" in control.detail and not control.gaps


def test_a_stale_record_is_reported_not_counted(snapshot: Path, tmp_path: Path) -> None:
    kept = record(snapshot, tmp_path, "app1")
    edit(kept, started=days_ago(DRILL_INTERVAL.days + 9))
    control = restore_drill(tmp_path)
    assert control.status == "missing" and not control.evidence
    (gap,) = control.gaps
    assert gap.file == f"dr/drills/app1/{kept.name}" and gap.line == line_of(kept, "started")
    assert gap.text.endswith("etcd drill app1: passed, 40 days old; stale (interval 31 days)")
    assert "no passing etcd restore drill within 31 days on app1 (40 days)" in control.detail


def test_one_day_inside_the_interval_still_counts(snapshot: Path, tmp_path: Path) -> None:
    kept = record(snapshot, tmp_path, "app1")
    edit(kept, started=days_ago(DRILL_INTERVAL.days - 1))
    assert restore_drill(tmp_path).status == "achieved"


def test_a_fresh_failed_drill_is_a_gap_and_other_clusters_still_count(
    snapshot: Path, tmp_path: Path
) -> None:
    failed = record(snapshot, tmp_path, "app2")
    edit(failed, verdict="failed", failure={"step": "compare", "message": "keys differ"})
    assert restore_drill(tmp_path).status == "missing"
    passed = record(snapshot, tmp_path, "app1")
    control = restore_drill(tmp_path)
    assert control.status == "achieved"
    assert [e.file for e in control.evidence] == [f"dr/drills/app1/{passed.name}"]
    assert [g.file for g in control.gaps] == [f"dr/drills/app2/{failed.name}"]
    assert "verdict: failed" in control.gaps[0].text


def test_only_the_newest_record_of_a_cluster_counts(snapshot: Path, tmp_path: Path) -> None:
    old = record(snapshot, tmp_path, "app1")
    edit(old, started=days_ago(3))
    new = old.with_name("2099-01-01T000000Z-etcd.json")
    new.write_text(old.read_text(encoding="utf-8"), encoding="utf-8")
    edit(new, started=days_ago(1), verdict="failed")
    control = restore_drill(tmp_path)
    assert control.status == "missing" and [g.file for g in control.gaps] == [
        f"dr/drills/app1/{new.name}"
    ]


def etcd_scenario(data: dict[str, Any]) -> dict[str, Any]:
    scenarios: list[dict[str, Any]] = data["disasterRecovery"]["scenarios"]
    return next(s for s in scenarios if s["id"] == "etcd-corruption")


def test_simulate_without_drills_keeps_the_documented_estimate(tmp_path: Path) -> None:
    data = printed("simulate", str(SPEC))
    documented = {s.id: s.estimate for s in recovery_scenarios()}
    for scenario in data["disasterRecovery"]["scenarios"]:
        assert "estimateSource" not in scenario and "clusters" not in scenario
        assert scenario["estimate"] == documented[scenario["id"]]
        assert scenario["source"] == "estimate for a small platform, not measured"


def test_simulate_takes_the_measured_time_and_says_so(snapshot: Path, tmp_path: Path) -> None:
    kept = record(snapshot, tmp_path, "prod")
    measured = json.loads(kept.read_text(encoding="utf-8"))
    drills = tmp_path / "dr" / "drills"
    data = printed("simulate", str(SPEC), "--drills", str(drills))
    assert_matches("simulation-model", data)
    scenario = etcd_scenario(data)
    seconds = measured["recovery"]["seconds"]
    assert scenario["estimate"] == format_duration(seconds)
    assert scenario["estimateSource"] == "measured"
    assert scenario["source"] == f"measured on prod by the drill of {measured['started']}"
    assert scenario["clusters"] == [
        {
            "cluster": "prod",
            "estimate": format_duration(seconds),
            "estimateSeconds": round(seconds, 3),
            "source": "measured",
            "record": str(kept),
            "date": measured["started"],
        }
    ]
    others = [s for s in data["disasterRecovery"]["scenarios"] if s["id"] != "etcd-corruption"]
    assert all("estimateSource" not in s for s in others)
    text = CliRunner().invoke(
        app, ["simulate", str(SPEC), "--drills", str(drills)], env={"COLUMNS": "400"}
    )
    assert text.exit_code == 0, text.stderr
    assert f"prod: {format_duration(seconds)} measured by the drill of" in text.stdout


def test_a_measured_time_over_the_rto_exceeds(snapshot: Path, tmp_path: Path) -> None:
    kept = record(snapshot, tmp_path, "prod")
    edit(kept, recovery={"seconds": 5 * 3600.0, "rto": None, "rtoSeconds": None, "withinRto": None})
    data = printed("simulate", str(SPEC), "--drills", str(tmp_path / "dr" / "drills"))
    scenario = etcd_scenario(data)
    assert (scenario["estimate"], scenario["verdict"]) == ("5h", "exceeds")


def test_the_slowest_cluster_decides_and_each_says_where_its_time_comes_from(
    snapshot: Path, tmp_path: Path
) -> None:
    record(snapshot, tmp_path, "app1")
    data = printed("simulate", str(MULTI), "--drills", str(tmp_path / "dr" / "drills"))
    scenario = etcd_scenario(data)
    sources = {c["cluster"]: c["source"] for c in scenario["clusters"]}
    assert sources == {"mgmt": "documented", "app1": "measured", "app2": "documented"}
    # app1 measured seconds; the others keep the 30m estimate, which is slower.
    assert (scenario["estimate"], scenario["estimateSource"]) == ("30m", "documented")


def test_drills_with_a_failure_mode_is_bad_usage(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["simulate", str(SPEC), "--fail", "prod", "--for", "5m", "--drills", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "--drills applies to the disaster-recovery check" in result.stderr

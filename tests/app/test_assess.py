"""``stackyard.app.assess`` and ``compare_reports`` without the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stackyard.app import (
    AssessRequest,
    AssessResult,
    ReportFormat,
    assess,
    compare_reports,
    format_report,
    write_report,
)
from stackyard.assess.inputs.reading import spare_cores
from stackyard.errors import InputError
from tests.conftest import ROOT

SEED001 = ROOT / "tests" / "assess" / "repos" / "seed001"  # level Scale, weakest area 1


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seed 001's assessment written as JSON, as an earlier run would have left it."""
    path = tmp_path_factory.mktemp("reports") / "seed001.json"
    path.write_text(assess(SEED001).report(ReportFormat.json), encoding="utf-8")
    return path


def better(report: Path, tmp_path: Path) -> Path:
    """``report`` with disaster recovery rated 5 and every control of it achieved."""
    data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    for area in data["areas"]:
        if area["id"] == "disaster-recovery":
            area["rating"] = 5
            for control in area["controls"]:
                control["status"] = "achieved"
    path = tmp_path / "better.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_below_the_threshold_the_gate_fails_and_says_why(report: Path, tmp_path: Path) -> None:
    result = assess(SEED001, AssessRequest(fail_under="Improve", compare=report))
    assert result.below_threshold and result.failed and not result.regressed
    assert result.reasons == ("assessment is below --fail-under Improve",)
    # the document is the assessment, and with --compare the comparison rides along
    document = result.as_dict()
    assert document.pop("comparison") == result.comparison.as_dict()  # type: ignore[union-attr]
    assert document == json.loads(report.read_text(encoding="utf-8"))


def test_an_area_rating_threshold_is_met_by_every_area_or_fails() -> None:
    passing = assess(SEED001, AssessRequest(fail_under="1"))
    assert not passing.below_threshold and not passing.failed and passing.reasons == ()
    assert assess(SEED001, AssessRequest(fail_under="2")).below_threshold


def test_a_regression_since_the_earlier_report_fails_the_gate(report: Path, tmp_path: Path) -> None:
    result = assess(SEED001, AssessRequest(compare=better(report, tmp_path), fail_under="Build"))
    assert result.regressed and result.failed and not result.below_threshold
    assert result.reasons == ("assessment regressed since the --compare report",)
    assert result.comparison is not None
    regressed = {c["id"] for c in result.comparison.as_dict()["controls"]["regressed"]}
    assert regressed and all(c.startswith("DR-") for c in regressed)
    assert "Regressed controls" in result.comparison.markdown()


def test_the_comparison_is_an_aside_only_where_the_report_has_no_place_for_it(
    report: Path, tmp_path: Path
) -> None:
    result = assess(SEED001, AssessRequest(compare=better(report, tmp_path)))
    assert result.comparison is not None
    markdown = result.comparison.markdown()
    for carried in (ReportFormat.json, ReportFormat.markdown):
        assert result.comparison_aside(carried) == ""
    assert markdown in result.report(ReportFormat.markdown)
    for aside in (ReportFormat.html, ReportFormat.sarif):
        assert result.comparison_aside(aside) == markdown.rstrip("\n")
        assert "Regressed controls" not in result.report(aside)
    assert assess(SEED001).comparison_aside(ReportFormat.html) == ""


def test_compare_reports_reads_two_reports(report: Path, tmp_path: Path) -> None:
    worse = compare_reports(better(report, tmp_path), report)
    assert worse.regressed
    data = worse.as_dict()
    assert next(iter(data)) == "schema" and data["schema"] == "stackyard.dev/comparison/v1"
    assert {a["id"]: a["delta"] for a in data["areas"]}["disaster-recovery"] < 0
    same = compare_reports(report, report)
    assert not same.regressed and "No change." in same.markdown()
    improved = compare_reports(report, better(report, tmp_path))
    assert not improved.regressed and improved.comparison.improved


def test_bad_input_is_refused_before_the_repository_is_read(tmp_path: Path) -> None:
    missing = tmp_path / "not-read"
    with pytest.raises(InputError) as threshold:
        assess(missing, AssessRequest(fail_under="Brilliant"))
    assert threshold.value.problems[0].location.file == "--fail-under"
    (tmp_path / "old.json").write_text('{"schema": "stackyard.dev/plan/v1"}', encoding="utf-8")
    with pytest.raises(InputError) as previous:
        assess(missing, AssessRequest(compare=tmp_path / "old.json"))
    assert "not a stackyard.dev/assessment/v1 assessment" in str(previous.value)


def test_more_jobs_than_spare_cores_is_a_notice_in_the_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    result = assess(tmp_path, AssessRequest(jobs=100_000))
    (notice,) = result.notices  # data for the shell to print, never printed here
    assert notice.startswith(f"notice: --jobs 100000 lowered to {spare_cores()}")
    assert capsys.readouterr().err == ""
    assert assess(tmp_path, AssessRequest(jobs=0)).notices == ()


def test_every_report_format_is_text_from_the_application(report: Path) -> None:
    assessment = assess(SEED001).assessment
    data = json.loads(format_report(assessment, ReportFormat.json))
    assert data == json.loads(report.read_text(encoding="utf-8"))
    assert format_report(assessment, ReportFormat.markdown).startswith("#")
    assert "<svg" in format_report(assessment, ReportFormat.html)
    sarif = json.loads(format_report(assessment, ReportFormat.sarif))
    assert sarif["version"] == "2.1.0" and "schema" not in sarif


def test_excepted_workload_findings_are_counted_apart_from_open_ones() -> None:
    import datetime as dt

    from stackyard.assess.exceptions import apply_exceptions, load_exceptions
    from tests.assess.conftest import RESOURCES, findings_for, make_assessment

    path = RESOURCES / "workloads-bad.yaml"
    findings = findings_for(path.read_text(encoding="utf-8"), str(path))
    before = make_assessment(ratings={"gitops": 2}, findings=tuple(findings))
    after = apply_exceptions(
        before, load_exceptions(RESOURCES / "exceptions.yaml"), today=dt.date(2026, 6, 1)
    )
    counts = AssessResult(after).finding_counts()
    open_ones = [f.severity for f in after.workload_findings if not f.excepted]
    assert counts["excepted"] == sum(f.excepted for f in after.workload_findings) > 0
    assert counts["error"] == open_ones.count("error")
    assert counts["warning"] == open_ones.count("warning")
    assert counts["error"] + counts["warning"] + counts["excepted"] <= len(findings)
    unexcepted = AssessResult(before).finding_counts()
    assert unexcepted["excepted"] == 0
    assert unexcepted["error"] + unexcepted["warning"] > counts["error"] + counts["warning"]


def test_write_report_replaces_the_file_and_refuses_a_missing_folder(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("old report\n", encoding="utf-8")
    write_report(target, "new report\n")
    assert target.read_text(encoding="utf-8") == "new report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]
    with pytest.raises(InputError, match="--report"):
        write_report(tmp_path / "missing" / "report.md", "text\n")

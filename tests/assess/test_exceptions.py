"""Exceptions accept findings and control gaps until they expire; bad files are refused."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from stackyard.assess.exceptions import apply_exceptions, load_exceptions
from stackyard.assess.model import Assessment
from stackyard.errors import InputError
from tests.assess.conftest import RESOURCES, findings_for, make_assessment

TODAY = dt.date(2026, 6, 1)


def apply(today: dt.date = TODAY) -> tuple[Assessment, Assessment]:
    """The bad workload's findings and a missing gitops control, before and after."""
    path = RESOURCES / "workloads-bad.yaml"
    findings = findings_for(path.read_text(encoding="utf-8"), str(path))
    before = make_assessment(ratings={"gitops": 2, "secrets": 4}, findings=tuple(findings))
    entries = load_exceptions(RESOURCES / "exceptions.yaml")
    return before, apply_exceptions(before, entries, today=today)


def test_exceptions_mark_matching_workload_findings() -> None:
    before, after = apply()
    excepted = {f.check for f in after.workload_findings if f.excepted}
    assert excepted == {"WL007", "WL004"}  # WL004 through its Polaris name
    assert len(after.workload_findings) == len(before.workload_findings)


def test_object_pattern_must_match() -> None:
    entries = load_exceptions(RESOURCES / "exceptions.yaml")
    before, _ = apply()
    moved = tuple(replace(f, object_ref="Deployment/ops/web") for f in before.workload_findings)
    after = apply_exceptions(replace(before, workload_findings=moved), entries, today=TODAY)
    assert {f.check for f in after.workload_findings if f.excepted} == {"WL004"}


def test_control_exception_keeps_the_verdict_and_rating_but_leaves_the_roadmap() -> None:
    before, after = apply()
    control = after.area("gitops").controls[0]
    assert control.excepted and control.status == "missing"
    assert after.area("gitops").rating == before.area("gitops").rating
    assert after.level == before.level
    assert "gitops.main" in {r.control for r in before.roadmap}
    assert "gitops.main" not in {r.control for r in after.roadmap}


def test_expired_exceptions_stop_applying_and_are_reported() -> None:
    _, after = apply()
    assert not any(f.excepted for f in after.workload_findings if f.check == "WL015")
    expired = [u for u in after.exceptions if u.expired]
    assert [u.check for u in expired] == ["WL015"]
    assert any("expired on 2020-01-01" in n.message for n in after.notices)
    assert expired[0].source.line == 13  # its check: line


def test_exceptions_apply_through_their_expiry_day() -> None:
    _, on_the_day = apply(dt.date(2030, 1, 31))
    _, day_after = apply(dt.date(2030, 2, 1))
    assert any(f.excepted for f in on_the_day.workload_findings)
    assert not any(f.excepted for f in day_after.workload_findings)
    assert all(u.expired for u in day_after.exceptions)


def test_uses_count_what_they_matched() -> None:
    _, after = apply()
    matched = {u.check: u.matched for u in after.exceptions}
    assert matched == {"WL007": 1, "memoryLimitsMissing": 1, "gitops.main": 1, "WL015": 0}
    assert after.as_dict()["exceptions"][0]["reason"] == "the agent reads the node's devices"


def test_malformed_entries_are_rejected_with_their_lines() -> None:
    path = RESOURCES / "exceptions-malformed.yaml"
    with pytest.raises(InputError) as caught:
        load_exceptions(path)
    found = {(p.location.line, p.field) for p in caught.value.problems}
    assert found == {
        (2, "exceptions[0].reason"),  # missing: reported at the entry
        (7, "exceptions[1].expires"),  # "next year" is not a date
        (9, "exceptions[2].object"),  # a control takes no pattern
        (15, "exceptions[3].owner"),  # unknown key
    }
    assert all(p.location.file == str(path) for p in caught.value.problems)


def test_a_file_without_the_exceptions_list_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("- check: WL001\n", encoding="utf-8")
    with pytest.raises(
        InputError, match=r"x.yaml:1:1: expected a mapping, found a list \(keys: exceptions\)"
    ):
        load_exceptions(path)


def test_invalid_yaml_is_an_input_error_with_a_line(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("exceptions:\n  - check: [WL001\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_exceptions(path)
    assert caught.value.problems[0].location.line >= 2


def test_an_empty_file_accepts_nothing(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("", encoding="utf-8")
    assert load_exceptions(path) == []

"""--compare: what improved and what regressed since an earlier JSON report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackyard.assess.report import compare, load_previous, render_comparison_markdown
from stackyard.errors import InputError
from tests.assess.conftest import finding, make_assessment


def write_report(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_compare_detects_an_improved_area_and_a_regressed_control(tmp_path: Path) -> None:
    old = make_assessment(
        ratings={"gitops": 2, "secrets": 4},
        statuses={"gitops.main": "missing", "secrets.main": "achieved"},
        findings=(finding("WL007"), finding("WL016", container="sidecar")),
    )
    new = make_assessment(
        ratings={"gitops": 4, "secrets": 4},
        statuses={"gitops.main": "achieved", "secrets.main": "partial"},
        findings=(finding("WL007", line=40), finding("WL015")),
    )
    result = compare(load_previous(write_report(tmp_path, old.as_dict())), new)
    deltas = {a.area: a.delta for a in result.areas}
    assert deltas == {"gitops": 2, "secrets": 0}
    assert [(c.control, c.old, c.new) for c in result.improved] == [
        ("gitops.main", "missing", "achieved")
    ]
    assert [(c.control, c.old, c.new) for c in result.regressed] == [
        ("secrets.main", "achieved", "partial")
    ]
    # WL007 moved lines but is the same finding; WL015 is new; WL016 is gone.
    assert [f.check for f in result.new_findings] == ["WL015"]
    assert [(f.check, f.container) for f in result.resolved_findings] == [("WL016", "sidecar")]
    assert result.has_regressions


def test_an_excepted_finding_is_no_longer_open() -> None:
    old = make_assessment(findings=(finding("WL007"),))
    new = make_assessment(findings=(finding("WL007", excepted=True),))
    result = compare(old.as_dict(), new)
    assert [f.check for f in result.resolved_findings] == ["WL007"]
    assert not result.has_regressions


def test_comparison_markdown_and_json(tmp_path: Path) -> None:
    old = make_assessment(ratings={"gitops": 2}, level="Build")
    new = make_assessment(ratings={"gitops": 4}, statuses={"gitops.main": "achieved"})
    result = compare(old.as_dict(), new)
    text = render_comparison_markdown(result)
    assert "Build → **Operate**" in text
    assert "| GitOps / IaC | 2 | 4 | +2 |" in text
    assert "`gitops.main` gitops main control: missing → achieved" in text
    data = result.as_dict()
    assert data["areas"][0]["delta"] == 2
    assert data["controls"]["improved"][0]["id"] == "gitops.main"


def test_identical_runs_have_no_change() -> None:
    same = make_assessment()
    result = compare(same.as_dict(), same)
    assert "No change." in render_comparison_markdown(result)
    assert not result.has_regressions


@pytest.mark.parametrize(
    ("content", "message", "line"),
    [
        ("{not json", "invalid JSON", 1),
        ('{"schema": "other/v9"}', "not a stackyard.dev/assessment/v1 assessment", 1),
        ("[1, 2]", "not a stackyard.dev/assessment/v1 assessment", 1),
    ],
)
def test_a_bad_previous_report_is_an_input_error(
    tmp_path: Path, content: str, message: str, line: int
) -> None:
    path = tmp_path / "old.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message) as caught:
        load_previous(path)
    assert caught.value.problems[0].location.line == line

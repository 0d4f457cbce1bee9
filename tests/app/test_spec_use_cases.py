"""plan, explain, render, check a render, diff, catalog, init and schema, without the CLI."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from stackyard.app import (
    ManifestDiffResult,
    PlanRefusedError,
    SpecDiffResult,
    catalog,
    check_render,
    diff,
    explain,
    init,
    plan,
    platform_schema,
    render,
    schema_id,
)
from stackyard.errors import InputError
from stackyard.render.marker import MARKER
from tests.conftest import EXAMPLES
from tests.plan.conftest import example_text

LOCAL = EXAMPLES / "local-multicluster.yaml"
COMMUNITY = EXAMPLES / "community-poc.yaml"


def _with_errors(tmp_path: Path) -> Path:
    """A valid spec whose plan has an error finding (canal without a routing mode)."""
    spec = tmp_path / "platform.yaml"
    text = example_text("aws-standard").replace("  cni: cilium", "  cni: canal")
    spec.write_text(text.replace("  ciliumRoutingMode: eni", ""), encoding="utf-8")
    return spec


def test_plan_returns_the_plan_and_its_findings_as_a_versioned_result() -> None:
    result = plan(LOCAL)
    assert result.plan.spec.platform.name == "local-multicluster"
    assert result.errors == () and not result.failed
    assert {f.severity for f in result.findings} <= {"warning", "info"}
    # Warnings are reported, and never fail the plan.
    assert result.warnings and {f.severity for f in result.warnings} == {"warning"}
    data = result.as_dict()
    assert list(data)[:2] == ["schema", "platform"]
    assert data["schema"] == schema_id("plan")


def test_plan_of_a_spec_with_errors_is_a_result_not_a_refusal(tmp_path: Path) -> None:
    result = plan(_with_errors(tmp_path))
    assert result.errors and all(f.severity == "error" for f in result.errors)
    assert result.failed  # the shell exits 1; the plan is still printed in full


def test_explain_says_where_a_component_runs_and_why() -> None:
    explanation = explain(LOCAL, "kyverno")
    rows = {row.cluster: row for row in explanation.clusters}
    assert rows["app1"].included and not rows["mgmt"].included
    assert rows["mgmt"].wave is None and rows["app1"].wave is not None
    assert explanation.as_dict()["schema"] == schema_id("explanation")


def test_explain_names_the_capabilities_a_component_provides() -> None:
    rows = {row.cluster: row for row in explain(LOCAL, "vault").clusters}
    assert ("secrets", "external-secrets", "app1") in {
        (use.capability, use.component, use.cluster) for use in rows["mgmt"].needed_by
    }


def test_explain_of_an_unknown_component_is_bad_input_with_the_closest_name() -> None:
    with pytest.raises(InputError) as refused:
        explain(LOCAL, "kyvern")
    (problem,) = refused.value.problems
    assert problem.message == "unknown component 'kyvern'"
    assert problem.hint == "did you mean 'kyverno'?"


def test_render_refuses_a_plan_with_errors_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(PlanRefusedError) as refused:
        render(_with_errors(tmp_path), out)
    assert refused.value.findings and not out.exists()
    with pytest.raises(PlanRefusedError):
        check_render(_with_errors(tmp_path), out)


def test_render_writes_the_tree_and_reports_what_it_did(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = render(COMMUNITY, out)
    assert first.report.written and (out / MARKER).is_file()
    assert first.commit_requested is False and first.commit is None
    again = render(COMMUNITY, out)
    assert again.report.written == () and again.report.unchanged == len(first.report.written)
    data = again.as_dict()
    assert next(iter(data)) == "schema" and data["schema"] == schema_id("render")
    assert data["unchanged"] == len(first.report.written)


def test_check_render_finds_a_hand_edit_and_then_a_match(tmp_path: Path) -> None:
    out = tmp_path / "out"
    written = render(COMMUNITY, out).report.written
    assert check_render(COMMUNITY, out).matches and not check_render(COMMUNITY, out).failed
    edited = out / written[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "# mine\n", encoding="utf-8")
    checked = check_render(COMMUNITY, out)
    assert not checked.matches and checked.failed
    assert [(d.path, d.reason) for d in checked.differences] == [(written[0], "changed")]
    assert checked.as_dict()["schema"] == schema_id("render-check")


def test_render_message_without_commit_is_bad_input_before_anything_is_written(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    with pytest.raises(InputError, match="--message needs --commit"):
        render(COMMUNITY, out, message="subject")
    assert not out.exists()


def test_render_commit_returns_the_commit_id(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=T", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "config", "user.name", "T"], check=True)
    subprocess.run([*git, "config", "user.email", "t@example.com"], check=True)
    result = render(COMMUNITY, repo, commit=True, message="first render")
    assert result.commit_requested and result.commit is not None
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    assert head.stdout.strip().startswith(result.commit)
    assert render(COMMUNITY, repo, commit=True).commit is None  # nothing changed in Git


def test_diff_of_two_specs_gates_only_when_asked(tmp_path: Path) -> None:
    new = tmp_path / "new.yaml"
    text = example_text("local-multicluster")
    new.write_text(text.replace("podCIDR: 10.102.0.0/16", "podCIDR: 10.103.0.0/16"))
    result = diff(LOCAL, new)
    assert isinstance(result, SpecDiffResult)
    assert result.diff.disruptive and not result.failed
    assert diff(LOCAL, new, fail_on_disruptive=True).failed
    data = result.as_dict()
    assert list(data) == ["schema", "changes", "summary"] and data["schema"] == schema_id("diff")


def test_diff_of_rendered_folders_compares_manifests(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    render(COMMUNITY, old)
    render(COMMUNITY, new)
    result = diff(old, new)
    assert isinstance(result, ManifestDiffResult)
    assert result.diff.objects == () and not result.failed
    assert result.as_dict()["schema"] == schema_id("manifest-diff")


def test_catalog_lists_every_component_under_its_schema() -> None:
    listing = catalog()
    names = {c.name for c in listing.components}
    assert {"cilium", "vault", "kyverno"} <= names
    data = listing.as_dict()
    assert data["schema"] == schema_id("catalog") and len(data["components"]) == len(names)


def test_init_writes_a_starter_and_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    assert init("standard", "local", "single").path is None
    target = tmp_path / "platform.yaml"
    written = init("standard", "local", "single", target)
    assert written.path == target and target.read_text(encoding="utf-8") == written.text
    target.write_text("mine\n", encoding="utf-8")
    with pytest.raises(InputError, match="pass --force to overwrite it"):
        init("standard", "local", "single", target)
    assert target.read_text(encoding="utf-8") == "mine\n"
    init("standard", "local", "single", target, force=True)
    assert plan(target).errors == ()


def test_platform_schema_is_a_schema_not_a_report() -> None:
    schema = platform_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "schema" not in schema
    json.dumps(schema)


def test_render_reports_its_progress_to_the_receiver(tmp_path: Path) -> None:
    heard: list[tuple[str, int, int | None]] = []
    render(LOCAL, tmp_path / "out", progress=lambda *step: heard.append(step))
    assert heard and {step for step, _, _ in heard} == {"rendering"}
    _, done, total = heard[-1]
    assert total is not None and done == total > 1

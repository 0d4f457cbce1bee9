"""The JSON that plan, plan --why, render, render --check, diff, catalog and init print
matches its JSON Schema in docs/schemas.

Each output is the real one, printed by the command line; each opens with ``"schema"``,
whose value is the schema's ``$id``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.app.schemas import assert_matches, printed
from tests.conftest import EXAMPLES
from tests.plan.conftest import example_text

LOCAL = EXAMPLES / "local-multicluster.yaml"
COMMUNITY = EXAMPLES / "community-poc.yaml"


@pytest.mark.parametrize("example", ["local-multicluster", "community-poc", "aws-standard"])
def test_plan_prints_a_plan(example: str) -> None:
    assert_matches("plan", printed("plan", str(EXAMPLES / f"{example}.yaml")))


def test_plan_with_error_findings_prints_a_plan(tmp_path: Path) -> None:
    spec = tmp_path / "platform.yaml"
    text = example_text("aws-standard").replace("  cni: cilium", "  cni: canal")
    spec.write_text(text.replace("  ciliumRoutingMode: eni", ""), encoding="utf-8")
    data = printed("plan", str(spec), code=1)
    assert_matches("plan", data)
    assert data["summary"]["error"] > 0


@pytest.mark.parametrize("component", ["vault", "kyverno", "cilium-clustermesh", "cilium"])
def test_plan_why_prints_an_explanation(component: str) -> None:
    assert_matches("explanation", printed("plan", str(LOCAL), "--why", component))


def test_render_and_render_check_print_their_reports(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = printed("render", str(COMMUNITY), str(out))
    assert_matches("render", first)
    assert first["written"]
    marker = json.loads((out / ".stackyard-render").read_text(encoding="utf-8"))
    assert first["metadata"] == {k: v for k, v in marker.items() if k not in ("format", "files")}
    assert first["metadata"]["specDigest"].startswith("sha256:")
    for setting in first["settings"]:  # each where the render wrote it
        lines = (out / setting["file"]).read_text(encoding="utf-8").splitlines()
        assert setting["value"] in lines[setting["line"] - 1], setting
    checked = printed("render", str(COMMUNITY), str(out), "--check")
    assert_matches("render-check", checked)
    assert checked["matches"] is True
    (out / first["written"][0]).write_text("edited\n", encoding="utf-8")
    differs = printed("render", str(COMMUNITY), str(out), "--check", code=1)
    assert_matches("render-check", differs)
    assert differs["differences"] == [{"path": first["written"][0], "reason": "changed"}]


def test_diff_of_two_specs_prints_a_diff(tmp_path: Path) -> None:
    moved = tmp_path / "moved.yaml"
    text = example_text("local-multicluster")
    moved.write_text(text.replace("podCIDR: 10.102.0.0/16", "podCIDR: 10.103.0.0/16"))
    data = printed("diff", str(LOCAL), str(moved))
    assert_matches("diff", data)
    assert data["summary"]["disruptive"] > 0


def test_diff_manifests_prints_a_manifest_diff(tmp_path: Path) -> None:
    moved = tmp_path / "moved.yaml"
    text = example_text("local-multicluster")
    moved.write_text(text.replace("podCIDR: 10.102.0.0/16", "podCIDR: 10.103.0.0/16"))
    data = printed("diff", "--manifests", str(LOCAL), str(moved))
    assert_matches("manifest-diff", data)
    assert data["objects"] or data["files"]


def test_catalog_prints_a_catalog() -> None:
    assert_matches("catalog", printed("catalog"))


def test_init_prints_a_starter(tmp_path: Path) -> None:
    target = tmp_path / "platform.yaml"
    data = printed("init", str(target), "--topology", "multi")
    assert_matches("starter", data)
    assert data["path"] == str(target) and target.read_text(encoding="utf-8") == data["text"]

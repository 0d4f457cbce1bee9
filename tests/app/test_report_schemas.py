"""The JSON the report commands print matches its JSON Schema in docs/schemas.

Each output is the real one, printed by the command line; each opens with ``"schema"``,
whose value is the schema's ``$id``.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from stackyard.app import ReportFormat, assess, compare_reports
from tests.app.conftest import break_tree
from tests.app.schemas import assert_matches, printed, schema
from tests.conftest import ROOT
from tests.simulate.conftest import LOCAL
from tests.validate.test_hydrate import make_chart

REPOS = ROOT / "tests" / "assess" / "repos"
EXCEPTIONS = """\
exceptions:
  - check: DR-ETCD-SNAPSHOT
    reason: the managed control plane is backed up by the provider
    expires: 2099-01-31
  - check: WL007
    object: Pod/nowhere/nothing
    reason: matches nothing, so it is a notice
    expires: 2099-01-31
"""


def test_validate_of_a_clean_tree_prints_a_validation(rendered_poc: Path) -> None:
    data = printed("validate", str(rendered_poc))
    assert_matches("validation", data)
    assert data["summary"]["error"] == 0 and data["hydration"] is None


def test_validate_with_findings_and_hydration_prints_a_validation(
    poc_tree: Path, tmp_path: Path
) -> None:
    break_tree(poc_tree)
    make_chart(tmp_path, "longhorn", "1.12.1")
    data = printed("validate", str(poc_tree), "--hydrate", "--charts", str(tmp_path), code=1)
    assert_matches("validation", data)
    assert data["findings"] and data["hydration"]["releases"] == 1


@pytest.mark.parametrize("repo", ["seed001", "homelab-umbrellas", "flux-talos"])
def test_assess_of_a_corpus_repository_prints_an_assessment(repo: str) -> None:
    assert_matches("assessment", printed("assess", str(REPOS / repo)))


def test_assess_with_exceptions_and_excludes_prints_an_assessment(tmp_path: Path) -> None:
    exceptions = tmp_path / "exceptions.yaml"
    exceptions.write_text(EXCEPTIONS, encoding="utf-8")
    data = printed(
        "assess", str(REPOS / "seed001"), "--exceptions", str(exceptions), "--exclude", "packer/"
    )
    assert_matches("assessment", data)
    assert data["exceptions"] and data["excluded"] and data["stats"]["exceptedControls"] == 1


def test_a_comparison_matches_its_schema(tmp_path: Path) -> None:
    earlier = tmp_path / "earlier.json"
    earlier.write_text(assess(REPOS / "seed001").report(ReportFormat.json), encoding="utf-8")
    data = json.loads(earlier.read_text(encoding="utf-8"))
    data["areas"][0]["rating"] = 5
    data["areas"][-1]["controls"][0]["status"] = "achieved"
    data["workloadFindings"] = []
    later = tmp_path / "later.json"
    later.write_text(json.dumps(data), encoding="utf-8")
    comparison = compare_reports(later, earlier).as_dict()
    assert_matches("comparison", comparison)
    assert comparison["controls"]["regressed"] or comparison["workloadFindings"]["new"]
    # and the report an earlier run wrote is read back as an assessment
    assert_matches("assessment", json.loads(earlier.read_text(encoding="utf-8")))


def test_simulate_without_a_failure_prints_a_simulation_model() -> None:
    assert_matches("simulation-model", printed("simulate", str(LOCAL)))


def test_simulate_one_failure_prints_an_incident() -> None:
    assert_matches("incident", printed("simulate", str(LOCAL), "--fail", "mgmt", "--for", "3h"))


def test_simulate_a_scenario_prints_an_incident(tmp_path: Path) -> None:
    scenario = tmp_path / "staged.yaml"
    scenario.write_text(
        "name: staged\nsteps:\n  - {at: 0s, fail: mgmt}\n  - {at: 1h, recover: mgmt}\n", "utf-8"
    )
    assert_matches("incident", printed("simulate", str(LOCAL), "--scenario", str(scenario)))


def test_simulate_all_single_failures_prints_a_failure_matrix() -> None:
    data = printed("simulate", str(LOCAL), "--all-single-failures", "--for", "30m")
    assert_matches("failure-matrix", data)


@pytest.mark.parametrize(
    "name",
    ["validation", "assessment", "comparison", "simulation-model", "incident", "failure-matrix"],
)
def test_a_schema_refuses_an_output_without_its_version(name: str) -> None:
    validator = jsonschema.Draft202012Validator(schema(name))
    assert not validator.is_valid({})
    assert not validator.is_valid({"schema": "stackyard.dev/other/v1"})

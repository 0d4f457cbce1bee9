"""Evidence a reviewer can trust: hits and gaps apart, counts with their units, nothing cut."""

from __future__ import annotations

import json
from pathlib import Path

from stackyard.assess import assess_directory
from stackyard.assess.model import Evidence
from tests.assess.maturity.conftest import WriteTree, control
from tests.assess.maturity.test_detectors import app, verdict

REQUESTS = "resources:\n  requests:\n    cpu: 10m"


def apps(count: int, without: int = 0) -> dict[str, str | bytes]:
    """``count`` Applications of their own chart; the last ``without`` set no requests."""
    return {
        f"apps/app{i:02d}.yaml": app(
            f"app{i:02d}", f"chart{i:02d}", "" if i >= count - without else REQUESTS
        )
        for i in range(count)
    }


def test_a_partial_coverage_cites_its_hits_as_evidence_and_its_gaps_apart(
    write_tree: WriteTree,
) -> None:
    result = verdict(write_tree, apps(3, without=1), "resource-requests")
    assert result.status == "partial"
    # app00 and app01 set requests at their resources: key; app02 sets nothing.
    assert result.evidence == (
        Evidence("apps/app00.yaml", 13, 15, "resources:"),
        Evidence("apps/app01.yaml", 13, 15, "resources:"),
    )
    assert [(g.file, g.line) for g in result.gaps] == [("apps/app02.yaml", 1)]
    assert [(u.name, u.counted) for u in result.units] == [
        ("app00", True),
        ("app01", True),
        ("app02", False),
    ]


def test_a_control_carries_gaps_and_units_into_the_json(write_tree: WriteTree) -> None:
    assessment = assess_directory(write_tree(apps(3, without=1)))
    document = json.loads(json.dumps(assessment.as_dict()))
    (requests,) = [
        c for a in document["areas"] for c in a["controls"] if c["id"] == "RM-REQUESTS-ALL"
    ]
    assert [e["file"] for e in requests["evidence"]] == ["apps/app00.yaml", "apps/app01.yaml"]
    assert [e["file"] for e in requests["gaps"]] == ["apps/app02.yaml"]
    assert [(u["name"], u["counted"]) for u in requests["units"]] == [
        ("app00", True),
        ("app01", True),
        ("app02", False),
    ]
    assert requests["units"][2]["evidence"][0]["file"] == "apps/app02.yaml"


def test_self_heal_gaps_are_the_applications_without_it(write_tree: WriteTree) -> None:
    files = apps(2)
    files["apps/manual.yaml"] = app("manual", "other", REQUESTS, sync="prune: true")
    result = verdict(write_tree, files, "auto-sync-self-heal")
    assert result.status == "partial"
    assert {e.file for e in result.evidence} == {"apps/app00.yaml", "apps/app01.yaml"}
    assert all(e.text == "automated.selfHeal: true" and e.line == 8 for e in result.evidence)
    assert [e.file for e in result.gaps] == ["apps/manual.yaml"]
    assert [u.name for u in result.units if not u.counted] == ["manual"]


def test_no_evidence_that_proves_a_verdict_is_cut(write_tree: WriteTree) -> None:
    root: Path = write_tree(apps(30))
    assessment = assess_directory(root)
    requests = control(assessment, "RM-REQUESTS-ALL")
    assert requests.detail == "requests on 30 of 30 applications"
    assert len(requests.evidence) == 30
    (document,) = [
        c
        for a in assessment.as_dict()["areas"]
        for c in a["controls"]
        if c["id"] == "RM-REQUESTS-ALL"
    ]
    assert len(document["evidence"]) == 30

"""A platform template (cookiecutter and Backstage) with placeholders, fixtures and vendored code.

The expert reading is in ``tests/assess/repos/template-placeholders/README.md``.
"""

from __future__ import annotations

import pytest

from stackyard.assess import Assessment, assess_directory
from stackyard.assess.inputs.exclude import Exclusions
from stackyard.assess.model import Evidence
from tests.assess.maturity.conftest import REPOS, assert_within_one, control, corpus

REPO = REPOS / "template-placeholders"
SLUG = "{{cookiecutter.project_slug}}"
EXPECTED = {
    "gitops-iac": 2,
    "identity-sso": 2,
    "observability": 2,
    "resource-management": 2,
    "policy-as-code": 1,
    "cicd": 3,
    "developer-portal": 1,
}


@pytest.fixture(scope="module")
def assessment() -> Assessment:
    """The repository, assessed with the default excludes."""
    return corpus("template-placeholders")


@pytest.mark.parametrize(("area", "rating"), sorted(EXPECTED.items()))
def test_ratings_match_the_expert_reading(assessment: Assessment, area: str, rating: int) -> None:
    assert_within_one(assessment, area, rating)


def test_fixtures_and_vendored_code_are_left_out_and_counted(assessment: Assessment) -> None:
    assert {(x.rule, x.folders) for x in assessment.excluded} == {
        ("tests/", ("tests",)),
        ("vendor/", ("vendor",)),
    }
    assert assessment.stats["excludedFolders"] == 2
    assert assessment.workload_findings == ()  # the fixture's privileged pod is not read
    assert control(assessment, "POL-ENGINE").status == "missing"
    assert control(assessment, "RM-AUTOSCALING").status == "missing"


def test_with_the_defaults_off_the_fixtures_are_read() -> None:
    everything = assess_directory(REPO, workers=0, exclusions=Exclusions(defaults=False))
    assert everything.excluded == ()
    assert control(everything, "POL-ENGINE").status == "achieved"
    assert {f.object_ref for f in everything.workload_findings} == {"Pod/default/bad-pod"}


def test_every_template_file_is_read_and_says_so(assessment: Assessment) -> None:
    notices = {n.file: n.message for n in assessment.notices if n.file.startswith(SLUG)}
    assert notices[f"{SLUG}/apps/argo-cd.yaml"] == (
        "read as a template (cookiecutter, Jinja): 2 template logic lines ignored"
    )
    assert notices[f"{SLUG}/values/kube-prometheus-stack.yaml"] == (
        "read as a template (cookiecutter, Jinja): 2 placeholder values unknown "
        "(not counted); 2 template logic lines ignored"
    )
    assert len(notices) == 7 and all(m.startswith("read as a template") for m in notices.values())


def test_self_heal_counts_the_application_behind_the_jinja_block(assessment: Assessment) -> None:
    heal = control(assessment, "GITOPS-SELF-HEAL")
    assert heal.detail == "automated sync with selfHeal on 5 of 5 applications"
    assert Evidence(f"{SLUG}/apps/argo-cd.yaml", 29, 29, "automated.selfHeal: true") in (
        heal.evidence
    )
    root = control(assessment, "GITOPS-APP-OF-APPS")
    assert root.status == "achieved"
    first = root.evidence[0]
    assert (first.file, first.line, first.end_line) == (f"{SLUG}/bootstrap/root.yaml", 2, 19)


def test_sso_is_cited_inside_the_conditional_blocks(assessment: Assessment) -> None:
    wired = control(assessment, "SSO-WIRED")
    assert wired.status == "achieved"
    cited = {(e.file, e.line, e.end_line) for e in wired.evidence}
    assert cited == {
        (f"{SLUG}/values/kube-prometheus-stack.yaml", 18, 21),
        (f"{SLUG}/apps/argo-cd.yaml", 18, 21),
    }


def test_templated_requests_and_replicas_are_not_counted(assessment: Assessment) -> None:
    requests = control(assessment, "RM-REQUESTS-ALL")
    assert requests.detail == "requests on 1 of 4 applications"
    assert [(e.file, e.line, e.end_line) for e in requests.evidence] == [
        (f"{SLUG}/values/ingress-nginx.yaml", 3, 8)
    ]
    assert control(assessment, "OBS-ALERTMANAGER-HA").status == "missing"


def test_ci_and_golden_path_are_cited(assessment: Assessment) -> None:
    checks = control(assessment, "CICD-CHECKS")
    assert (f"{SLUG}/.github/workflows/validate.yaml", 10, 10) in {
        (e.file, e.line, e.end_line) for e in checks.evidence
    }
    templates = control(assessment, "DEVP-TEMPLATES")
    first = templates.evidence[0]
    assert (first.file, first.line, first.end_line) == ("backstage/template.yaml", 1, 22)

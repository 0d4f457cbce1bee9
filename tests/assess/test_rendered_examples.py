"""Stackyard's own rendered repositories: no open workload error, advice for their distribution.

Every example is rendered to disk and assessed as any repository would be. The
privileged objects Stackyard needs (the etcd snapshot job on kubeadm, the AWS CCM) carry
exemption annotations with a reason; nothing else may be excepted, and no roadmap item
may name a distribution the tree does not run.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stackyard.assess import Assessment, assess_directory
from stackyard.assess.workloads.exemptions import NO_REASON
from stackyard.plan import make_plan
from stackyard.render import write_tree
from stackyard.render.build import render_metadata, render_plan
from stackyard.spec import load_spec
from tests.conftest import EXAMPLES

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))
DISTRIBUTION_WORDS = {"kubeadm": "kubeadm", "rke2": "rke2", "k3s": "k3s", "talos": "talos"}
# The objects Stackyard renders that need the host or root, and only they.
PRIVILEGED = {
    "CronJob/kube-system/etcd-snapshot",
    "DaemonSet/kube-system/aws-cloud-controller-manager",
}


@pytest.fixture(scope="module", params=[p.stem for p in EXAMPLE_FILES])
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """(the spec's distribution, the assessment of its rendered tree)."""
    spec = load_spec(EXAMPLES / f"{request.param}.yaml")
    plan = make_plan(spec)
    out: Path = tmp_path_factory.mktemp(request.param) / "tree"
    write_tree(render_plan(plan), out, render_metadata(plan))
    return spec.platform.kubernetes.distribution, assess_directory(out, workers=0)


def test_no_open_workload_errors(rendered: tuple[str, Assessment]) -> None:
    _, assessment = rendered
    open_errors = [
        f"{f.check} {f.object_ref} {f.evidence.file}:{f.evidence.line}"
        for f in assessment.workload_findings
        if f.severity == "error" and not f.excepted
    ]
    assert open_errors == []


def test_only_the_privileged_objects_stackyard_needs_are_excepted_with_a_reason(
    rendered: tuple[str, Assessment],
) -> None:
    _, assessment = rendered
    excepted = {f.object_ref for f in assessment.workload_findings if f.excepted}
    assert excepted <= PRIVILEGED
    for use in assessment.exceptions:
        assert use.origin == "annotation"
        assert use.matched > 0, use  # no stale exemption
        assert use.reason != NO_REASON and len(use.reason) > 40


def test_the_distribution_is_the_specs_and_no_advice_names_another(
    rendered: tuple[str, Assessment],
) -> None:
    distribution, assessment = rendered
    assert assessment.distributions == (distribution,)
    for item in assessment.roadmap:
        text = f"{item.reason} {item.next_step}".lower()
        named = {d for d in DISTRIBUTION_WORDS if re.search(rf"\b{d}\b", text)}
        assert named <= {distribution}, (item.control, named)

"""A kubeadm cluster bootstrapped with Ansible, whose CNI is a Helm chart installed by a task.

The expert reading is in tests/assess/repos/ansible-cni/README.md.
"""

from __future__ import annotations

import pytest

from stackyard.assess import Assessment
from tests.assess.maturity.conftest import REPOS, assert_within_one, control, corpus, index

EXPERT = {
    "networking": 2,
    "cicd": 3,
    "identity-sso": 1,
}
CILIUM = "ansible/roles/cilium/tasks/main.yml"


@pytest.fixture(scope="module")
def assessment() -> Assessment:
    return corpus("ansible-cni")


@pytest.mark.parametrize(("area", "expected"), sorted(EXPERT.items()))
def test_ratings_are_within_one_of_the_expert_reading(
    assessment: Assessment, area: str, expected: int
) -> None:
    assert_within_one(assessment, area, expected)


def test_the_cni_an_ansible_task_installs_is_found_at_the_task(assessment: Assessment) -> None:
    cni = control(assessment, "NET-CNI")
    assert cni.detail == "CNI: cilium (native)"
    assert [(e.file, e.line, e.end_line) for e in cni.evidence] == [
        (CILIUM, 18, 18),  # routingMode: native
        (CILIUM, 7, 30),  # the kubernetes.core.helm task
    ]
    assert control(assessment, "NET-CNI-MODERN").status == "achieved"


def test_the_task_values_are_read_like_any_release(assessment: Assessment) -> None:
    hubble = control(assessment, "NET-FLOW-VISIBILITY")
    assert [(e.file, e.line) for e in hubble.evidence] == [(CILIUM, 26)]
    encryption = control(assessment, "NET-ENCRYPTION")
    assert [(e.file, e.line) for e in encryption.evidence] == [(CILIUM, 22)]


def test_a_k8s_task_definition_is_an_object() -> None:
    facts, _ = index(REPOS / "ansible-cni")
    assert facts.kind_counts["CiliumClusterwideNetworkPolicy"] == 1


def test_validation_in_a_called_script_cites_the_call_and_the_check(
    assessment: Assessment,
) -> None:
    checks = control(assessment, "CICD-CHECKS")
    assert checks.status == "achieved"
    spans = [(e.file, e.line) for e in checks.evidence]
    assert spans == [
        (".github/workflows/validate.yml", 10),  # run: ./scripts/validate.sh
        ("scripts/validate.sh", 5),  # ansible-lint
        ("scripts/validate.sh", 6),  # yamllint
        ("scripts/validate.sh", 7),  # kubeconform
        (".github/workflows/validate.yml", 12),  # run: make validate
        ("Makefile", 7),  # helm lint
        ("Makefile", 8),  # kubeconform
    ]


def test_the_kubeadm_config_is_the_bootstrap(assessment: Assessment) -> None:
    api = control(assessment, "SSO-KUBE-API")
    assert [(e.file, e.line) for e in api.evidence] == [
        ("ansible/roles/kubeadm/files/kubeadm-config.yaml", 11)
    ]

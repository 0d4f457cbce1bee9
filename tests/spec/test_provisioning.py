"""``clusters[].provisioning``: who makes a cluster's machines, and where that can work."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.errors import Problem, SpecError
from stackyard.spec import load_spec_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MULTICLUSTER = (EXAMPLES / "aws-multicluster.yaml").read_text(encoding="utf-8")
STANDARD = (EXAMPLES / "aws-standard.yaml").read_text(encoding="utf-8")
LOCAL = (EXAMPLES / "local-multicluster.yaml").read_text(encoding="utf-8")


def problems(text: str) -> list[Problem]:
    with pytest.raises(SpecError) as info:
        load_spec_text(text, "platform.yaml")
    return info.value.problems


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_aws_app_clusters_default_to_cluster_api_and_others_to_manual() -> None:
    platform = load_spec_text(MULTICLUSTER, "platform.yaml").platform
    assert [c.name for c in platform.cluster_api_clusters] == ["prod", "staging"]
    assert load_spec_text(STANDARD, "platform.yaml").platform.cluster_api_clusters == []
    assert load_spec_text(LOCAL, "platform.yaml").platform.cluster_api_clusters == []


def test_cluster_api_off_aws_is_refused_at_its_line() -> None:
    text = LOCAL.replace("    role: app\n", "    role: app\n    provisioning: clusterapi\n", 1)
    (problem,) = problems(text)
    assert problem.field == "clusters[1].provisioning"
    assert problem.location.line == line_of(text, "provisioning: clusterapi")
    assert "needs provider aws" in problem.message


def test_mgmt_cannot_provision_itself() -> None:
    text = MULTICLUSTER.replace("provisioning: manual ", "provisioning: clusterapi ", 1)
    (problem,) = problems(text)
    assert problem.field == "clusters[0].provisioning"
    assert "cannot provision itself" in problem.message


def test_a_standalone_cluster_on_request_needs_a_mgmt_cluster() -> None:
    text = STANDARD.replace(
        "    role: standalone\n", "    role: standalone\n    provisioning: clusterapi\n"
    )
    (problem,) = problems(text)
    assert "needs a mgmt cluster" in problem.message


def test_a_provisioned_pool_without_an_instance_type_is_refused() -> None:
    text = MULTICLUSTER.replace(
        "{name: agent, role: worker, count: 2, cpu: 4, memory: 16Gi, disk: 100Gi, "
        "instanceType: m6i.xlarge}",
        "{name: agent, role: worker, count: 2, cpu: 4, memory: 16Gi, disk: 100Gi}",
    )
    (problem,) = problems(text)
    assert problem.field == "clusters[2].nodePools[1]"
    assert "needs an instanceType" in problem.message


def test_a_manual_cluster_needs_no_instance_type() -> None:
    text = MULTICLUSTER.replace(
        "{name: agent, role: worker, count: 3, cpu: 8, memory: 32Gi, disk: 200Gi, "
        "instanceType: m6i.2xlarge}",
        "{name: agent, role: worker, count: 3, cpu: 8, memory: 32Gi, disk: 200Gi}",
    )
    assert load_spec_text(text, "platform.yaml").platform.cluster("mgmt")

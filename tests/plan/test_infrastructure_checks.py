"""The infrastructure checks (SY410-SY413): each fires on its mistake and stays quiet without."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from stackyard.plan import Finding, Plan
from tests.plan.conftest import example_text

PlanText = Callable[[str], Plan]
AWS = example_text("aws-standard")
ZONES = "zones: [ap-northeast-2a, ap-northeast-2b, ap-northeast-2c]"
SERVER_TYPE = "memory: 16Gi, disk: 100Gi, instanceType: m6i.xlarge}"


def findings(plan: Plan, check: str) -> list[Finding]:
    return [f for f in plan.findings if f.check == check]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("check", ["SY410", "SY411", "SY412", "SY413"])
def test_the_aws_standard_example_is_quiet(plan_text: PlanText, check: str) -> None:
    assert findings(plan_text(AWS), check) == []


def test_a_tag_naming_another_cluster_is_an_error_at_its_key(plan_text: PlanText) -> None:
    text = AWS.replace(
        "        kubernetes.io/cluster/prod: owned\n",
        "        kubernetes.io/cluster/prod: owned\n        kubernetes.io/cluster/staging: owned\n",
    )
    (finding,) = findings(plan_text(text), "SY410")
    assert finding.severity == "error" and finding.cluster == "prod"
    assert "kubernetes.io/cluster/staging" in finding.message
    assert finding.location.line == line_of(text, "kubernetes.io/cluster/staging")


def test_an_instance_type_smaller_than_its_pool_is_an_error(plan_text: PlanText) -> None:
    text = AWS.replace(SERVER_TYPE, "memory: 16Gi, disk: 100Gi, instanceType: c6i.xlarge}")
    (finding,) = findings(plan_text(text), "SY411")
    assert finding.message == "node pool server: c6i.xlarge has 8 GiB for memory 16Gi"
    assert finding.location.line == line_of(text, "instanceType: c6i.xlarge")


def test_an_instance_type_with_fewer_vcpus_is_an_error_too(plan_text: PlanText) -> None:
    text = AWS.replace(SERVER_TYPE, "memory: 16Gi, disk: 100Gi, instanceType: r6i.large}")
    (finding,) = findings(plan_text(text), "SY411")
    assert "2 vCPUs for cpu 4" in finding.message


def test_a_pool_without_an_instance_type_warns_and_renders_no_machines(
    plan_text: PlanText,
) -> None:
    text = AWS.replace(SERVER_TYPE, "memory: 16Gi, disk: 100Gi}")
    (finding,) = findings(plan_text(text), "SY412")
    assert finding.severity == "warning"
    assert "no instanceType" in finding.message


def test_an_unknown_instance_type_is_said_not_checked(plan_text: PlanText) -> None:
    text = AWS.replace(SERVER_TYPE, "memory: 16Gi, disk: 100Gi, instanceType: x9z.huge}")
    plan = plan_text(text)
    (finding,) = findings(plan, "SY412")
    assert finding.severity == "info" and "not checked" in finding.message
    assert findings(plan, "SY411") == []


def test_an_ha_control_plane_in_one_zone_warns(plan_text: PlanText) -> None:
    text = AWS.replace(ZONES, "zones: [ap-northeast-2a]")
    (finding,) = findings(plan_text(text), "SY413")
    assert finding.severity == "warning"
    assert finding.location.line == line_of(text, "zones: [ap-northeast-2a]")


def test_one_zone_is_fine_for_a_single_server(plan_text: PlanText) -> None:
    text = AWS.replace(ZONES, "zones: [ap-northeast-2a]").replace(
        "role: control-plane, count: 3", "role: control-plane, count: 1"
    )
    assert findings(plan_text(text), "SY413") == []


def test_a_pod_cidr_inside_the_vpc_is_sy101(plan_text: PlanText) -> None:
    text = AWS.replace("ciliumRoutingMode: eni", "ciliumRoutingMode: tunnel").replace(
        "      serviceCIDR: 10.43.0.0/16",
        "      podCIDR: 10.0.128.0/17\n      serviceCIDR: 10.43.0.0/16",
    )
    (finding,) = findings(plan_text(text), "SY101")
    assert "pod CIDR 10.0.128.0/17 overlaps the node range 10.0.0.0/16" in finding.message


AIRGAP = "airgap:\n  registry: harbor.corp.internal/platform\n  git: https://git.corp.internal/platform\n"


def test_an_air_gapped_aws_cluster_that_still_needs_the_internet_warns(
    plan_text: PlanText,
) -> None:
    found = findings(plan_text(AWS + AIRGAP), "SY414")
    assert [f.severity for f in found] == ["warning", "warning"]
    messages = " ".join(f.message for f in found)
    assert "internet-facing load balancer" in messages
    assert "Route 53" in messages
    assert {f.cluster for f in found} == {"prod"}


def test_the_aws_example_with_internet_and_an_air_gapped_lab_are_quiet(
    plan_text: PlanText,
) -> None:
    assert findings(plan_text(AWS), "SY414") == []
    local = example_text("local-multicluster") + AIRGAP
    assert findings(plan_text(local), "SY414") == []

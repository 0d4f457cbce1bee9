"""The Cluster API checks (SY420 to SY424): each fires on its mistake and stays quiet without."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from stackyard.plan import Finding, Plan
from tests.plan.conftest import example_text

PlanText = Callable[[str], Plan]
MULTICLUSTER = example_text("aws-multicluster")
AIRGAP = (
    "airgap:\n  registry: harbor.corp.example/platform\n  git: https://git.corp.example/mirror\n"
)


def findings(plan: Plan, check: str) -> list[Finding]:
    return [f for f in plan.findings if f.check == check]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize("check", ["SY420", "SY421"])
def test_the_multicluster_example_is_quiet(plan_text: PlanText, check: str) -> None:
    assert findings(plan_text(MULTICLUSTER), check) == []


def test_a_minor_version_alone_warns_at_the_version(plan_text: PlanText) -> None:
    text = MULTICLUSTER.replace('version: "1.35.2"', 'version: "1.35"')
    (finding,) = findings(plan_text(text), "SY420")
    assert finding.severity == "warning"
    assert "prod, staging" in finding.message and "v1.35.0" in finding.message
    assert finding.location.line == line_of(text, 'version: "1.35"')


def test_a_minor_version_without_cluster_api_is_quiet(plan_text: PlanText) -> None:
    text = example_text("aws-standard")
    assert 'version: "1.35"' in text
    assert findings(plan_text(text), "SY420") == []


def test_cluster_api_behind_an_air_gap_warns_per_cluster(plan_text: PlanText) -> None:
    found = findings(plan_text(MULTICLUSTER + AIRGAP), "SY421")
    assert [f.cluster for f in found] == ["prod", "staging"]
    assert all("GitHub" in f.message for f in found)


def test_an_air_gap_with_clusters_made_by_hand_is_quiet(plan_text: PlanText) -> None:
    text = MULTICLUSTER.replace(
        "    role: app                     # provisioning: auto",
        "    role: app\n    provisioning: manual  #",
    ).replace(
        "  - name: staging\n    role: app\n",
        "  - name: staging\n    role: app\n    provisioning: manual\n",
    )
    assert findings(plan_text(text + AIRGAP), "SY421") == []


VSPHERE = example_text("onprem-vsphere")
VIP_LINE = "    vsphere:\n      apiVIP: 10.50.0.10\n"


@pytest.mark.parametrize("check", ["SY422", "SY423", "SY424"])
def test_the_vsphere_example_is_quiet(plan_text: PlanText, check: str) -> None:
    assert findings(plan_text(VSPHERE), check) == []


@pytest.mark.parametrize("check", ["SY422", "SY423", "SY424"])
def test_vsphere_checks_are_quiet_on_aws(plan_text: PlanText, check: str) -> None:
    assert findings(plan_text(MULTICLUSTER), check) == []


def test_a_vsphere_cluster_without_a_vip_is_an_error(plan_text: PlanText) -> None:
    assert VIP_LINE in VSPHERE
    (finding,) = findings(plan_text(VSPHERE.replace(VIP_LINE, "")), "SY422")
    assert finding.severity == "error"
    assert finding.cluster == "prod"
    assert "virtual IP" in finding.message


def test_a_vip_made_by_hand_needs_no_vip_check(plan_text: PlanText) -> None:
    text = VSPHERE.replace(VIP_LINE, "").replace(
        "    role: app                     # provisioning: auto",
        "    role: app\n    provisioning: manual  #",
    )
    assert findings(plan_text(text), "SY422") == []


@pytest.mark.parametrize(
    ("vip", "field"),
    [
        ("10.50.0.150", "network.nodeRange"),  # the machines' DHCP range
        ("10.50.0.210", "network.loadBalancerPool"),  # MetalLB's pool
        ("10.60.0.10", "node subnet"),  # another L2 network
    ],
)
def test_a_vip_handed_out_elsewhere_or_off_the_subnet_is_an_error(
    plan_text: PlanText, vip: str, field: str
) -> None:
    text = VSPHERE.replace("apiVIP: 10.50.0.10", f"apiVIP: {vip}")
    (finding,) = findings(plan_text(text), "SY423")
    assert finding.severity == "error"
    assert field in finding.message and vip in finding.message
    assert finding.location.line == line_of(text, f"apiVIP: {vip}")


def test_a_vcenter_without_a_template_is_an_error(plan_text: PlanText) -> None:
    text = VSPHERE.replace("    template: ubuntu-2404-kube-v1.35.2\n", "")
    (finding,) = findings(plan_text(text), "SY424")
    assert finding.severity == "error"
    assert "prod" in finding.message
    assert finding.location.line == line_of(text, "server: vcenter.corp.example")

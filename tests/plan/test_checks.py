"""Each static check fires on the spec mistake it encodes, located at the right line."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from stackyard.errors import SpecError
from stackyard.plan import Finding, Plan
from stackyard.spec import load_spec_text
from tests.plan.conftest import example_text

PlanText = Callable[[str], Plan]


def findings(plan: Plan, check: str) -> list[Finding]:
    return [f for f in plan.findings if f.check == check]


def line_of(text: str, needle: str, start: int = 0) -> int:
    lines = text.splitlines()
    return next(i for i, line in enumerate(lines, 1) if i > start and needle in line)


LOCAL = example_text("local-multicluster")
AWS = example_text("aws-standard")
POC = example_text("community-poc")


def test_overlapping_pod_cidrs_across_meshed_clusters_are_rejected(plan_text: PlanText) -> None:
    text = LOCAL.replace("podCIDR: 10.101.0.0/16", "podCIDR: 10.100.0.0/16")
    (finding,) = findings(plan_text(text), "SY102")
    assert finding.severity == "error"
    assert "Cluster Mesh" in finding.message
    assert finding.cluster == "app1"
    assert finding.location.line == line_of(
        text, "podCIDR: 10.100.0.0/16", line_of(text, "name: app1")
    )


def test_overlapping_ranges_within_a_cluster_are_rejected(plan_text: PlanText) -> None:
    text = LOCAL.replace("serviceCIDR: 10.96.0.0/16", "serviceCIDR: 10.100.128.0/17")
    (finding,) = findings(plan_text(text), "SY101")
    assert "overlaps the pod CIDR" in finding.message
    assert finding.field == "clusters[0].network.serviceCIDR"


def test_service_cidrs_may_repeat_across_clusters(plan_text: PlanText) -> None:
    text = LOCAL.replace("serviceCIDR: 10.97.0.0/16", "serviceCIDR: 10.96.0.0/16")
    assert findings(plan_text(text), "SY102") == []


def test_pool_outside_the_node_subnet_is_rejected(plan_text: PlanText) -> None:
    text = LOCAL.replace("192.168.64.200-192.168.64.210", "192.168.65.200-192.168.65.210")
    (finding,) = findings(plan_text(text), "SY103")
    assert "outside the node subnet" in finding.message
    assert finding.location.line == line_of(text, "192.168.65.200")


def test_pool_overlapping_another_clusters_pool_is_rejected(plan_text: PlanText) -> None:
    text = LOCAL.replace("192.168.64.211-192.168.64.220", "192.168.64.205-192.168.64.220")
    (finding,) = findings(plan_text(text), "SY102")
    assert "load-balancer pool" in finding.message and "mgmt" in finding.message


def test_ip_mode_on_canal_is_rejected(plan_text: PlanText) -> None:
    text = AWS.replace("  cni: cilium", "  cni: canal").replace("  ciliumRoutingMode: eni", "")
    plan = plan_text(text)
    (finding,) = findings(plan, "SY404")
    assert "Canal" in finding.message
    assert finding.location.line == line_of(text, "loadBalancerTargetType: ip")
    assert "eni" in finding.hint


def test_ip_mode_on_cilium_tunnel_on_aws_is_rejected(plan_text: PlanText) -> None:
    text = AWS.replace("ciliumRoutingMode: eni", "ciliumRoutingMode: tunnel")
    (finding,) = findings(plan_text(text), "SY404")
    assert "tunnel" in finding.message


def test_kyverno_enforcing_on_mgmt_is_rejected(plan_text: PlanText) -> None:
    text = LOCAL.replace(
        "  - name: mgmt\n    role: mgmt\n",
        "  - name: mgmt\n    role: mgmt\n    components:\n      kyverno: {enabled: true}\n",
    )
    plan = plan_text(text)
    (finding,) = findings(plan, "C4")
    assert finding.severity == "error"
    assert finding.location.line == line_of(text, "kyverno: {enabled: true}")


def test_kyverno_auditing_on_mgmt_is_allowed(plan_text: PlanText) -> None:
    text = LOCAL.replace(
        "  - name: mgmt\n    role: mgmt\n",
        "  - name: mgmt\n    role: mgmt\n    policyMode: audit\n"
        "    components:\n      kyverno: {enabled: true}\n",
    )
    assert findings(plan_text(text), "C4") == []


def test_budget_overflow_is_rejected(plan_text: PlanText) -> None:
    text = LOCAL.replace(
        "{name: worker, role: worker, count: 1, cpu: 2, memory: 6Gi, disk: 60Gi}",
        "{name: worker, role: worker, count: 1, cpu: 2, memory: 1Gi, disk: 60Gi}",
    )
    plan = plan_text(text)
    memory = [f for f in findings(plan, "SY201") if "memory" in f.message]
    assert memory and memory[0].severity == "error" and memory[0].cluster == "mgmt"
    assert "can allocate" in memory[0].message


def test_host_overflow_is_rejected(plan_text: PlanText) -> None:
    text = LOCAL.replace("  reserve: 24Gi", "  reserve: 40Gi")
    (finding,) = findings(plan_text(text), "SY202")
    assert "host has 64.0 GiB" in finding.message
    assert finding.field == "host.memory"


def test_chart_that_excludes_the_kubernetes_version_is_rejected(plan_text: PlanText) -> None:
    text = AWS.replace('version: "1.35"', 'version: "1.31"')
    found = findings(plan_text(text), "SY301")
    assert any("mimir" in f.message for f in found)
    assert all(f.location.line == line_of(text, 'version: "1.31"') for f in found)


def test_in_tree_cloud_provider_is_rejected_on_new_kubernetes(plan_text: PlanText) -> None:
    text = AWS.replace("cloudProvider: external ", "cloudProvider: in-tree ")
    assert findings(plan_text(text), "SY401")
    assert findings(plan_text(text), "SY402")


def test_aws_without_the_ccm_is_rejected(plan_text: PlanText) -> None:
    text = AWS + "components:\n  aws-cloud-controller-manager: {enabled: false}\n"
    (finding,) = findings(plan_text(text), "SY402")
    assert finding.location.line == line_of(text, "aws-cloud-controller-manager")


def test_aws_cluster_tag_must_match_the_cluster_name(plan_text: PlanText) -> None:
    text = AWS.replace(
        "kubernetes.io/cluster/prod: owned", "kubernetes.io/cluster/production: owned"
    )
    (finding,) = findings(plan_text(text), "SY403")
    assert "must match" in finding.hint


def test_vault_issuer_without_two_phase_pki_is_rejected(plan_text: PlanText) -> None:
    text = LOCAL.replace("bootstrap: two-phase", "bootstrap: direct")
    (finding,) = findings(plan_text(text), "C5")
    assert finding.location.line == line_of(text, "bootstrap: direct")


def test_cilium_native_routing_on_local_is_rejected(plan_text: PlanText) -> None:
    text = LOCAL.replace("ciliumRoutingMode: tunnel", "ciliumRoutingMode: native")
    (finding,) = findings(plan_text(text), "C6")
    assert "native" in finding.message


def test_zero_wal_and_short_refresh_break_the_contract(plan_text: PlanText) -> None:
    text = LOCAL.replace("walRetention: 2h40m", "walRetention: 0").replace(
        "refreshInterval: 1h", "refreshInterval: 5m"
    )
    plan = plan_text(text)
    (wal,) = findings(plan, "C2")
    (refresh,) = findings(plan, "C3")
    assert wal.severity == "error" and refresh.severity == "error"
    c1 = findings(plan, "C1")
    assert {f.cluster for f in c1} == {"app1", "app2"}
    assert all("prometheus-agent" in f.message for f in c1)


def test_teleport_forced_into_community_is_rejected(plan_text: PlanText) -> None:
    text = POC + "components:\n  teleport: {enabled: true}\n"
    found = findings(plan_text(text), "SY502")
    assert found and "community" in found[0].message
    assert found[0].location.line == line_of(text, "teleport: {enabled: true}")


def test_unknown_override_is_bad_input_with_a_suggestion(plan_text: PlanText) -> None:
    text = POC + "components:\n  longhron: {enabled: false}\n"
    with pytest.raises(SpecError) as info:
        plan_text(text)
    (problem,) = info.value.problems
    assert problem.hint == "did you mean 'longhorn'?"
    assert problem.field == "components.longhron"
    assert (problem.location.line, problem.location.column) == (line_of(text, "longhron"), 3)


def test_two_cnis_conflict(plan_text: PlanText) -> None:
    text = POC + "components:\n  cilium: {enabled: true}\n"
    assert findings(plan_text(text), "SY503")


def test_disabling_a_needed_provider_is_an_unmet_dependency(plan_text: PlanText) -> None:
    text = LOCAL.replace(
        "  keycloak: {enabled: false}", "  keycloak: {enabled: false}\n  vault: {enabled: false}"
    )
    found = findings(plan_text(text), "SY504")
    assert any("external-secrets" in f.message and "secrets" in f.message for f in found)


def test_app_clusters_without_mgmt_are_rejected(plan_text: PlanText) -> None:
    text = LOCAL.replace("    role: mgmt", "    role: app")
    assert findings(plan_text(text), "SY507")


def test_tenants_need_enterprise(plan_text: PlanText) -> None:
    text = POC + "tenants:\n  - name: t\n    clusters: [poc]\n"
    assert findings(plan_text(text), "SY508")


def test_a_node_range_too_small_for_the_nodes_is_rejected(plan_text: PlanText) -> None:
    text = LOCAL.replace("192.168.64.20-192.168.64.29", "192.168.64.20-192.168.64.20")
    (finding,) = findings(plan_text(text), "SY104")
    assert "1 usable addresses for 2 nodes" in finding.message
    assert finding.cluster == "app1"


def test_kubeadm_pod_ranges_must_be_cidrs(plan_text: PlanText) -> None:
    text = LOCAL.replace("podCIDR: 10.100.0.0/16", "podCIDR: 10.100.0.0-10.100.255.255")
    (finding,) = findings(plan_text(text), "SY105")
    assert finding.field == "clusters[0].network.podCIDR"


def test_control_plane_pools_must_agree(plan_text: PlanText) -> None:
    text = AWS.replace(
        "      - {name: server, role: control-plane, count: 3,",
        "      - {name: extra, role: control-plane, count: 2, cpu: 4, memory: 16Gi,"
        " schedulable: true}\n"
        "      - {name: server, role: control-plane, count: 3,",
    )
    (finding,) = findings(plan_text(text), "SY510")
    assert finding.location.line == line_of(text, "nodePools:")


def test_rpo_under_a_minute_is_bad_input() -> None:
    with pytest.raises(SpecError, match="under a minute"):
        load_spec_text(LOCAL.replace("rpo: 24h", "rpo: 30s"), "platform.yaml")

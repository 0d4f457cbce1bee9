"""SY511: HA pods that their chart keeps one per node need that many schedulable nodes."""

from __future__ import annotations

from collections.abc import Callable

from stackyard.plan import Finding, Plan
from tests.plan.conftest import example_text

PlanText = Callable[[str], Plan]

AWS = example_text("aws-standard")
AGENTS = "{name: agent, role: worker, count: 4,"
LOCAL = example_text("local-multicluster")


def findings(plan: Plan) -> list[Finding]:
    return [f for f in plan.findings if f.check == "SY511"]


def line_of(text: str, needle: str, after: int = 0) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if i > after and needle in line)


def test_the_shipped_examples_have_room_for_their_ha_pods(
    example_plans: dict[str, Plan],
) -> None:
    for plan in example_plans.values():
        assert findings(plan) == []


def test_two_workers_cannot_hold_three_raft_peers_or_alertmanagers(plan_text: PlanText) -> None:
    text = AWS.replace(AGENTS, AGENTS.replace("count: 4", "count: 2"), 1)
    plan = plan_text(text)
    found = findings(plan)
    messages = " ".join(f.message for f in found)
    assert "Vault server pods" in messages
    assert "Alertmanager replicas" in messages
    assert "Redis HA servers" in messages
    # Keycloak's two replicas fit on two workers.
    assert "Keycloak pods" not in messages
    for finding in found:
        assert finding.severity == "error"
        assert finding.cluster == "prod"
        assert "2 nodes take platform pods" in finding.message
        # HA comes from three control-plane nodes: the finding points at the node pools.
        assert finding.field == "clusters[0].nodePools"
        assert finding.location.line == line_of(text, "nodePools:")
    assert plan.errors


def test_three_workers_are_enough(plan_text: PlanText) -> None:
    text = AWS.replace(AGENTS, AGENTS.replace("count: 4", "count: 3"), 1)
    assert findings(plan_text(text)) == []


def test_schedulable_control_plane_nodes_count(plan_text: PlanText) -> None:
    text = AWS.replace(AGENTS, AGENTS.replace("count: 4", "count: 1"), 1).replace(
        "{name: server, role: control-plane, count: 3,",
        "{name: server, role: control-plane, count: 3, schedulable: true,",
        1,
    )
    assert findings(plan_text(text)) == []


def test_ha_true_on_two_nodes_names_the_ha_line(plan_text: PlanText) -> None:
    # mgmt of the local example: one control-plane node and one worker, both schedulable.
    text = LOCAL.replace("  - name: mgmt\n", "  - name: mgmt\n    ha: true\n", 1)
    assert text != LOCAL
    found = [f for f in findings(plan_text(text)) if f.cluster == "mgmt"]
    assert found
    mgmt = line_of(text, "  - name: mgmt")
    for finding in found:
        assert finding.field == "clusters[0].ha"
        assert finding.location.line == line_of(text, "ha: true", after=mgmt)
        assert "2 nodes take platform pods" in finding.message

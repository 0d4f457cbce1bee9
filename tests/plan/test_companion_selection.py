"""A companion component follows its partner: turning Teleport off turns its agents off.

``teleport-kube-agent`` exists only to register app clusters with the Teleport on mgmt
(``companionOf: teleport``). A platform that turns Teleport off must not have to turn the
agent off too, or be refused for an agent with nothing to join.
"""

from __future__ import annotations

from stackyard.plan import Plan, make_plan
from stackyard.spec import load_spec_text
from tests.plan.conftest import example_text

TELEPORT_OFF = "  teleport: {enabled: false}\n"


def plan_of(text: str) -> Plan:
    return make_plan(load_spec_text(text, "platform.yaml"))


def agents(plan: Plan) -> list[str]:
    return [c.name for c in plan.clusters if c.has("teleport-kube-agent")]


def test_with_teleport_off_the_agent_stays_out_and_the_plan_names_the_override() -> None:
    text = example_text("local-multicluster")
    assert TELEPORT_OFF in text
    plan = plan_of(text)
    assert agents(plan) == []
    app = next(c for c in plan.clusters if c.cluster.role == "app")
    decision = next(d for d in app.excluded if d.component == "teleport-kube-agent")
    assert "teleport" in decision.reason and "override" in decision.reason
    assert decision.path == ("components", "teleport", "enabled")
    assert not [f for f in plan.findings if f.severity == "error"]


def test_with_teleport_on_every_app_cluster_runs_the_agent() -> None:
    plan = plan_of(example_text("local-multicluster").replace(TELEPORT_OFF, ""))
    apps = [c.name for c in plan.clusters if c.cluster.role == "app"]
    assert apps and agents(plan) == apps
    assert any(c.has("teleport") for c in plan.clusters if c.cluster.role == "mgmt")


def test_an_agent_forced_on_without_teleport_is_still_refused_for_its_unmet_need() -> None:
    forced = TELEPORT_OFF + "  teleport-kube-agent: {enabled: true}\n"
    plan = plan_of(example_text("local-multicluster").replace(TELEPORT_OFF, forced))
    assert agents(plan)
    errors = [f for f in plan.findings if f.severity == "error"]
    assert any("teleport-kube-agent" in f.message for f in errors)

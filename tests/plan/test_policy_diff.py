"""``stackyard diff`` on policy templates: stricter for any cluster disrupts, looser does not."""

from __future__ import annotations

from stackyard.plan import make_plan
from stackyard.plan.diff import Change, compare_plans
from stackyard.plan.disruption import judge
from stackyard.spec import load_spec_text
from tests.plan.conftest import EXAMPLES, example_text

APP1 = "  - name: app1\n    role: app\n"
MODE = "  mode: enforce\n"


def changes(*replacements: tuple[str, str]) -> list[Change]:
    old = example_text("mesh-local")
    new = old
    for before, after in replacements:
        assert before in new, before
        new = new.replace(before, after, 1)
    plans = [make_plan(load_spec_text(t, "platform.yaml", EXAMPLES)) for t in (old, new)]
    return list(compare_plans(*plans).changes)


def test_a_cluster_moving_to_a_stricter_template_is_disruptive() -> None:
    (change,) = changes((APP1, f"{APP1}    policyTemplate: regulated\n"))
    assert change.path == "clusters[app1].policyTemplate"
    assert change.disruptive
    assert "app1 (default to regulated)" in change.reason


def test_a_cluster_moving_to_a_looser_template_is_calm() -> None:
    (change,) = changes((APP1, f"{APP1}    policyTemplate: baseline\n"))
    assert not change.disruptive
    assert "no cluster's policy becomes stricter" in change.reason


def test_an_assignment_that_tightens_some_cluster_is_disruptive() -> None:
    found = changes(
        (MODE, f"{MODE}  assignments:\n    - {{matchLabels: {{}}, template: regulated}}\n")
    )
    (change,) = found
    assert change.path == "policy.assignments"
    assert change.disruptive
    assert "app1 (default to regulated)" in change.reason and "app2" in change.reason


def test_a_template_replaced_with_a_stricter_one_is_disruptive() -> None:
    stricter = (
        f"{MODE}  templates:\n    default:\n      podSecurity: {{enforce: restricted}}\n"
        "      policies: [{name: require-network-policy, action: enforce}]\n"
    )
    found = changes((MODE, stricter))
    assert found and all(c.disruptive for c in found)
    assert all("(default)" in c.reason for c in found)


def test_without_plans_a_template_change_counts_as_disruptive() -> None:
    disruptive, _ = judge("clusters[app1].policyTemplate", None, "baseline")
    assert disruptive

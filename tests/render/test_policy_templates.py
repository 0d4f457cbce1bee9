"""Policy templates on the rendered tree: each renders what it says, chosen by name or label."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from stackyard.catalog import load_catalog
from stackyard.cli.main import app
from stackyard.plan import Plan, make_plan
from stackyard.render.manifests.policy import RULES
from stackyard.spec import load_spec_text
from tests.render.conftest import (
    EXAMPLES,
    Rendered,
    RenderVariant,
    example_text,
    render_text,
    schema_problems,
)
from tests.render.test_policy import policies

APP1 = "  - name: app1\n    role: app\n"
APP2 = "  - name: app2\n    role: app\n"
PSA = "pod-security.kubernetes.io/"


def choose(template: str, cluster: str = APP1) -> tuple[str, str]:
    return cluster, f"{cluster}    policyTemplate: {template}\n"


def plan_of(*replacements: tuple[str, str]) -> Plan:
    text = example_text("mesh-local")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return make_plan(load_spec_text(text, "platform.yaml", EXAMPLES))


def tenant_levels(result: Rendered, cluster: str, name: str = "shop") -> dict[str, str]:
    namespace = result.find(f"manifests/{cluster}/base/namespaces.yaml", "Namespace", name)
    labels = namespace["metadata"]["labels"]
    return {k[len(PSA) :]: v for k, v in labels.items() if k.startswith(PSA) and "version" not in k}


def actions(found: dict[str, dict[str, Any]]) -> dict[str, str]:
    verbs = {("Deny",): "enforce", ("Audit",): "audit"}
    return {name: verbs[tuple(p["spec"]["validationActions"])] for name, p in found.items()}


def test_every_rule_a_template_may_name_has_a_builder() -> None:
    assert set(RULES) == set(load_catalog().policies.rules)


@pytest.mark.parametrize("template", ["baseline", "restricted", "regulated"])
def test_each_shipped_template_renders_what_it_says(
    render_variant: RenderVariant, template: str
) -> None:
    result = render_variant("mesh-local", *choose(template))
    definition = load_catalog().policies.templates[template]
    expected = {
        rule.name: "enforce" if rule.action == "mode" else rule.action
        for rule in definition.policies
    }
    assert actions(policies(result, "app1")) == expected
    levels = definition.podSecurity
    assert tenant_levels(result, "app1") == {
        "enforce": levels.enforce,
        "audit": levels.audit,
        "warn": levels.warn,
    }
    # The other cluster keeps what the spec rendered before templates existed.
    assert tenant_levels(result, "app2") == dict.fromkeys(
        ("enforce", "audit", "warn"), "restricted"
    )
    assert schema_problems(result) == []


def test_a_template_only_changes_workload_namespaces(render_variant: RenderVariant) -> None:
    result = render_variant("mesh-local", *choose("baseline"))
    platform = result.find("manifests/app1/base/namespaces.yaml", "Namespace", "kyverno")
    assert platform["metadata"]["labels"][f"{PSA}enforce"] == "baseline"
    assert platform["metadata"]["labels"][f"{PSA}audit"] == "restricted"
    assert tenant_levels(result, "app1")["enforce"] == "baseline"


def test_the_new_rules_check_tags_and_network_policies(render_variant: RenderVariant) -> None:
    found = policies(render_variant("mesh-local", *choose("regulated")), "app1")
    tag = found["disallow-latest-tag"]["spec"]["validations"][0]["expression"]
    assert "!image.endsWith(':latest')" in tag and "@sha256:" in tag
    (network,) = found["require-network-policy"]["spec"]["validations"]
    assert '"networkpolicies", object.metadata.namespace' in network["expression"]


def test_kyverno_keeps_the_view_role_the_network_policy_rule_reads_with(
    rendered: dict[str, Rendered],
) -> None:
    values = rendered["mesh-local"].values("app1", "kyverno")
    rbac = values.get("admissionController", {}).get("rbac", {})
    # The chart's default (true) binds the admission controller to the view ClusterRole.
    assert rbac.get("createViewRoleBinding", True) is True
    assert rbac.get("viewRoleName", "view") == "view"


def test_mode_rules_follow_the_cluster_mode_and_fixed_ones_do_not(
    render_variant: RenderVariant,
) -> None:
    restricted = render_variant(
        "mesh-local", APP1, f"{APP1}    policyTemplate: restricted\n    policyMode: audit\n"
    )
    assert set(actions(policies(restricted, "app1")).values()) == {"audit"}
    regulated = render_variant(
        "mesh-local", APP1, f"{APP1}    policyTemplate: regulated\n    policyMode: audit\n"
    )
    assert set(actions(policies(regulated, "app1")).values()) == {"enforce"}


def test_an_assignment_picks_the_template_by_the_cluster_labels() -> None:
    text = example_text("mesh-local")
    for old, new in (
        (
            "  mode: enforce\n",
            "  mode: enforce\n  assignments:\n"
            "    - {matchLabels: {tier: pci}, template: regulated}\n"
            "    - {matchLabels: {}, template: baseline}\n",
        ),
        (APP2, f"{APP2}    labels: {{tier: pci}}\n"),
    ):
        text = text.replace(old, new, 1)
    result = render_text(text)
    assert "require-network-policy" in policies(result, "app2")
    assert tenant_levels(result, "app2")["enforce"] == "restricted"
    # app1 carries no labels: only the catch-all matches it.
    assert "require-network-policy" not in policies(result, "app1")
    assert tenant_levels(result, "app1")["enforce"] == "baseline"


def test_the_first_matching_assignment_wins_and_a_cluster_name_wins_over_both() -> None:
    plan = plan_of(
        (
            "  mode: enforce\n",
            "  mode: enforce\n  assignments:\n"
            "    - {matchLabels: {tier: pci}, template: regulated}\n"
            "    - {matchLabels: {}, template: baseline}\n",
        ),
        (APP1, f"{APP1}    labels: {{tier: pci}}\n"),
        (APP2, f"{APP2}    labels: {{tier: pci}}\n    policyTemplate: restricted\n"),
    )
    app1, app2 = plan.cluster("app1").policy, plan.cluster("app2").policy
    assert (app1.template, app1.chosen_by, app1.path) == (
        "regulated",
        "assignment",
        ("policy", "assignments", 0, "template"),
    )
    assert (app2.template, app2.chosen_by) == ("restricted", "cluster")
    mgmt = plan.cluster("mgmt").policy
    assert (mgmt.template, mgmt.chosen_by, mgmt.kyverno) == ("baseline", "assignment", False)


def test_a_cluster_nothing_chooses_carries_the_default() -> None:
    plan = plan_of(
        (
            "  mode: enforce\n",
            "  mode: enforce\n  assignments:\n"
            "    - {matchLabels: {tier: pci}, template: regulated}\n",
        ),
    )
    policy = plan.cluster("app1").policy
    assert (policy.template, policy.chosen_by, policy.path) == ("default", "default", ())


OVERRIDES = (
    "  mode: enforce\n",
    "  mode: enforce\n  templates:\n"
    "    restricted:\n"
    "      podSecurity: {enforce: baseline, audit: baseline, warn: restricted}\n"
    "      policies: [{name: disallow-latest-tag, action: audit}]\n"
    "    payments:\n"
    "      podSecurity: {enforce: restricted}\n"
    "      policies: [{name: require-network-policy}]\n"
    "  assignments:\n    - {matchLabels: {tier: pci}, template: payments}\n",
)


def test_the_spec_overrides_a_shipped_template_and_adds_its_own(
    render_variant: RenderVariant,
) -> None:
    text = example_text("mesh-local")
    for old, new in (OVERRIDES, choose("restricted"), (APP2, f"{APP2}    labels: {{tier: pci}}\n")):
        text = text.replace(old, new, 1)
    result = render_variant("mesh-local", example_text("mesh-local"), text)
    assert actions(policies(result, "app1")) == {"disallow-latest-tag": "audit"}
    assert tenant_levels(result, "app1") == {
        "enforce": "baseline",
        "audit": "baseline",
        "warn": "restricted",
    }
    assert actions(policies(result, "app2")) == {"require-network-policy": "enforce"}
    assert tenant_levels(result, "app2") == dict.fromkeys(
        ("enforce", "audit", "warn"), "restricted"
    )
    assert schema_problems(result) == []


def test_templates_pass_the_real_validator(tmp_path: Path) -> None:
    runner = CliRunner()

    def cli(*args: object) -> Result:
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)

    text = example_text("mesh-local")
    for old, new in (
        choose("regulated"),
        choose("baseline", APP2),
        ("  - name: mgmt\n", "  - name: mgmt\n    policyTemplate: restricted\n"),
    ):
        text = text.replace(old, new, 1)
    spec = tmp_path / "platform.yaml"
    spec.write_text(text, encoding="utf-8")
    tree = tmp_path / "tree"
    rendered = cli("render", spec, tree)
    assert rendered.exit_code == 0, rendered.stderr
    result = cli("validate", tree, "-o", "json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0, report["findings"]
    assert report["findings"] == []
    regulated = tree / "manifests" / "app1" / "kyverno-policies" / "workload-policies.yaml"
    assert "require-network-policy" in regulated.read_text(encoding="utf-8")

"""Kyverno policies on the rendered tree: where, which kinds, which actions."""

from __future__ import annotations

from typing import Any

from tests.render.conftest import Rendered, RenderVariant

POLICY_FILE = "manifests/{cluster}/kyverno-policies/workload-policies.yaml"


def policies(result: Rendered, cluster: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in result.documents(POLICY_FILE.format(cluster=cluster))}


def test_kyverno_policies_on_app_clusters_and_never_on_mgmt(
    rendered: dict[str, Rendered],
) -> None:
    result = rendered["local-multicluster"]
    assert POLICY_FILE.format(cluster="app1") in result.files
    assert POLICY_FILE.format(cluster="app2") in result.files
    assert not any(p.startswith("manifests/mgmt/") and "kyverno" in p for p in result.files), (
        "contract C4"
    )


def test_the_seed_set_with_enforce_and_audit_actions(rendered: dict[str, Rendered]) -> None:
    found = policies(rendered["local-multicluster"], "app1")
    for name in (
        "restrict-image-registries",
        "require-requests-limits",
        "disallow-privileged-containers",
        "require-image-digest",
        "verify-image-signatures",
    ):
        assert found[name]["spec"]["validationActions"] == ["Deny"], name
        assert found[name]["spec"]["failurePolicy"] == "Fail", name
    assert found["require-app-version-labels"]["spec"]["validationActions"] == ["Audit"]
    registry = found["restrict-image-registries"]["spec"]["validations"][0]["expression"]
    assert "'harbor.platform.local.example/'" in registry


def test_cel_policy_kinds_of_the_pinned_kyverno(rendered: dict[str, Rendered]) -> None:
    found = policies(rendered["aws-enterprise"], "prod")
    assert {d["apiVersion"] for d in found.values()} == {"policies.kyverno.io/v1"}
    assert found["verify-image-signatures"]["kind"] == "ImageValidatingPolicy"
    assert {d["kind"] for n, d in found.items() if n != "verify-image-signatures"} == {
        "ValidatingPolicy"
    }


def test_system_and_platform_namespaces_are_excluded(rendered: dict[str, Rendered]) -> None:
    result = rendered["local-multicluster"]
    policy = policies(result, "app1")["restrict-image-registries"]
    (expression,) = policy["spec"]["matchConstraints"]["namespaceSelector"]["matchExpressions"]
    assert expression["operator"] == "NotIn"
    excluded = set(expression["values"])
    platform = {p.component.namespace for p in result.plan.cluster("app1").components}
    # The restore check's canary writer and Velero's restore helper pull upstream images.
    check = {"restore-check-canary", "restore-check-scratch"}
    assert {"kube-system", "kube-public", "kube-node-lease"} | platform | check == excluded


def test_signature_key_is_a_reference(rendered: dict[str, Rendered]) -> None:
    policy = policies(rendered["aws-enterprise"], "prod")["verify-image-signatures"]
    (attestor,) = policy["spec"]["attestors"]
    assert set(attestor["cosign"]["key"]) == {"expression"}
    assert "BEGIN PUBLIC KEY" not in str(policy)


def test_cluster_policy_mode_overrides_the_platform_mode(render_variant: RenderVariant) -> None:
    result = render_variant(
        "local-multicluster",
        "  - name: app2\n    role: app\n",
        "  - name: app2\n    role: app\n    policyMode: audit\n",
    )
    app1 = policies(result, "app1")["require-requests-limits"]["spec"]
    app2 = policies(result, "app2")["require-requests-limits"]["spec"]
    assert app1["validationActions"] == ["Deny"]
    assert app2["validationActions"] == ["Audit"] and app2["failurePolicy"] == "Ignore"

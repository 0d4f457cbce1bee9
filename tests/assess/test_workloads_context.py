"""Checks that depend on other objects: PDB selectors, autoscalers, ServiceAccounts."""

from __future__ import annotations

import pytest

from stackyard.assess.workloads import selector_matches
from tests.assess.conftest import findings_for

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: {namespace}}}
spec:
  {replicas}
  template:
    metadata:
      labels: {{app: web, tier: front}}
    spec:
      containers:
        - {{name: app, image: "a:1"}}
"""

PDB = """\
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: web, namespace: {namespace}}}
spec:
  maxUnavailable: 1
  selector: {selector}
"""


def checks(text: str) -> set[str]:
    return {f.check for f in findings_for(text)}


def deployment(namespace: str = "shop", replicas: str = "replicas: 2") -> str:
    return DEPLOYMENT.format(namespace=namespace, replicas=replicas)


def pdb(selector: str, namespace: str = "shop") -> str:
    return PDB.format(selector=selector, namespace=namespace)


@pytest.mark.parametrize(
    ("selector", "covered"),
    [
        ("{matchLabels: {app: web}}", True),
        ("{matchLabels: {app: web, tier: front}}", True),
        ("{matchLabels: {app: api}}", False),
        ("{matchLabels: {app: web, zone: a}}", False),
        ("{matchLabels: {tier: front}}", True),
        ("{matchLabels: {zone: a, tier: front}}", False),
        (
            "{matchLabels: {tier: front},"
            " matchExpressions: [{key: app, operator: In, values: [x]}]}",
            False,
        ),
        ("{matchExpressions: [{key: app, operator: In, values: [web, api]}]}", True),
        ("{matchExpressions: [{key: app, operator: NotIn, values: [web]}]}", False),
        ("{matchExpressions: [{key: tier, operator: Exists}]}", True),
        ("{matchExpressions: [{key: tier, operator: DoesNotExist}]}", False),
        ("{}", True),  # an empty selector selects every pod of the namespace
        ("null", False),  # a null selector selects none
    ],
)
def test_pdb_covers_the_pods_its_selector_matches(selector: str, covered: bool) -> None:
    found = checks(deployment() + pdb(selector))
    assert ("WL017" not in found) is covered


def test_pdb_in_another_namespace_does_not_cover() -> None:
    text = deployment("shop") + pdb("{matchLabels: {app: web}}", namespace="other")
    assert "WL017" in checks(text)


def test_a_budget_without_namespace_covers_any_namespace() -> None:
    text = deployment("shop") + pdb("{matchLabels: {tier: front}}", namespace='""')
    assert "WL017" not in checks(text)


@pytest.mark.parametrize("matching", [True, False])
def test_the_covering_budget_is_found_among_many(matching: bool) -> None:
    others = "".join(pdb(f"{{matchLabels: {{app: web-{i}}}}}") for i in range(40))
    others += "".join(pdb("{matchLabels: {app: web}}", namespace=f"ns-{i}") for i in range(40))
    last = pdb("{matchLabels: {tier: front, app: web}}") if matching else ""
    assert ("WL017" not in checks(deployment() + others + last)) is matching


def test_manifests_without_namespace_match_any_namespace() -> None:
    text = deployment('""') + pdb("{matchLabels: {app: web}}", namespace="shop")
    assert "WL017" not in checks(text)


def test_pdb_may_come_before_the_workload() -> None:
    text = pdb("{matchLabels: {app: web}}").removeprefix("---\n") + "---\n" + deployment()
    assert "WL017" not in checks(text)


def test_single_replica_needs_no_budget_or_spreading() -> None:
    found = checks(deployment(replicas="replicas: 1"))
    assert not found & {"WL017", "WL018"}


def test_an_autoscaler_minimum_makes_a_workload_multi_replica() -> None:
    hpa = """\
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 3
  maxReplicas: 10
"""
    assert {"WL017", "WL018"} <= checks(deployment(replicas="paused: false") + hpa)


def test_pod_anti_affinity_satisfies_spreading() -> None:
    text = deployment().replace(
        "      containers:",
        "      affinity:\n        podAntiAffinity:\n"
        "          preferredDuringSchedulingIgnoredDuringExecution:\n"
        "            - weight: 1\n"
        "              podAffinityTerm:\n"
        "                topologyKey: kubernetes.io/hostname\n"
        "                labelSelector: {matchLabels: {app: web}}\n"
        "      containers:",
    )
    assert "WL018" not in checks(text)
    assert "WL018" in checks(deployment())


SERVICE_ACCOUNT = """\
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: shop}
automountServiceAccountToken: false
"""


def test_service_account_setting_waives_token_automount() -> None:
    assert "WL019" in checks(deployment())
    assert "WL019" not in checks(deployment() + SERVICE_ACCOUNT)


def test_pod_true_overrides_service_account_false() -> None:
    text = deployment().replace(
        "      containers:", "      automountServiceAccountToken: true\n      containers:"
    )
    assert "WL019" in checks(text + SERVICE_ACCOUNT)


def test_selector_matching_is_exact() -> None:
    assert selector_matches({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"})
    assert not selector_matches({"matchLabels": {"a": "1"}}, {"a": "2"})
    assert not selector_matches({"matchExpressions": [{"key": "a", "operator": "Bogus"}]}, {})


def test_a_selector_whose_match_labels_is_not_a_mapping_matches_nothing() -> None:
    # A stranger's file may write a list there; it selects nothing, it never crashes.
    assert not selector_matches({"matchLabels": ["a"]}, {"a": "1"})

"""How many replicas a workload runs: its written count, its autoscaler's, or unsaid.

``replicas: 1`` is a single instance; ``replicas >= 2`` or an autoscaler in the
repository that may add a replica is several; no ``replicas`` and no autoscaler here
leaves the count unsaid, and WL017/WL018 then say so instead of assuming 1.
"""

from __future__ import annotations

import pytest

from stackyard.assess.model import WorkloadFinding
from stackyard.assess.workloads import WORKLOAD_CHECKS
from tests.assess.conftest import findings_for

WORKLOAD = """\
apiVersion: apps/v1
kind: {kind}
metadata: {{name: api, namespace: payments}}
spec:
{replicas}
  selector: {{matchLabels: {{app: api}}}}
  template:
    metadata: {{labels: {{app: api}}}}
    spec:
      containers:
        - {{name: api, image: "registry.example.com/api:7.3"}}
"""

HPA = """\
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: api, namespace: payments}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: {kind}, name: api}}
{range}
"""

SCALED_OBJECT = """\
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {{name: api-queue, namespace: payments}}
spec:
  scaleTargetRef: {{name: api{kind}}}
{range}
  triggers:
    - type: rabbitmq
      metadata: {{queueName: payments, mode: QueueLength, value: "20"}}
"""

RESILIENCE = {"WL017", "WL018"}


UNDECLARED = "replicas is not set and no autoscaler in this repository targets it"
BUDGET = """\
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: api, namespace: payments}
spec: {maxUnavailable: 1, selector: {matchLabels: {app: api}}}
"""


def resilience(text: str) -> list[WorkloadFinding]:
    return [f for f in findings_for(text) if f.check in RESILIENCE]


def resilience_findings(text: str) -> set[str]:
    return {f.check for f in resilience(text)}


def messages(text: str) -> dict[str, str]:
    """WL017/WL018 message by check; fails if a check reports the workload twice."""
    found = resilience(text)
    assert len(found) == len({f.check for f in found}), found
    return {f.check: f.message for f in found}


def workload(kind: str = "Deployment", replicas: str = "") -> str:
    return WORKLOAD.format(kind=kind, replicas=f"  replicas: {replicas}" if replicas else "")


@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet"])
def test_a_written_single_replica_needs_no_budget_or_spreading(kind: str) -> None:
    assert resilience_findings(workload(kind, replicas="1")) == set()


@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet"])
def test_written_replicas_of_two_or_more_need_a_budget_and_spreading(kind: str) -> None:
    found = messages(workload(kind, replicas="2"))
    assert set(found) == RESILIENCE
    assert not any("not set" in message for message in found.values())


@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet"])
def test_unset_replicas_without_an_autoscaler_is_reported_as_unsaid(kind: str) -> None:
    # Kubernetes runs 1 unless an autoscaler kept elsewhere scales it: the repository
    # does not say which, so both checks ask, and say why.
    found = messages(workload(kind))
    assert set(found) == RESILIENCE
    for message in found.values():
        assert UNDECLARED in message
        assert "Kubernetes runs 1 replica unless an autoscaler kept elsewhere scales it" in message
        assert "write `replicas: 1` for a single instance" in message
    assert found["WL017"].endswith("or add a PodDisruptionBudget that selects its pods")
    assert found["WL018"].endswith(
        "or spread its replicas with podAntiAffinity or topologySpreadConstraints"
    )


def test_unset_replicas_points_at_the_workloads_name() -> None:
    (budget, spread) = sorted(resilience(workload()), key=lambda f: f.check)
    assert (budget.evidence.line, budget.evidence.text) == (3, "name: api")
    assert spread.evidence == budget.evidence


def test_unset_replicas_with_a_budget_asks_only_for_spreading() -> None:
    assert set(messages(workload() + BUDGET)) == {"WL018"}


def test_unset_replicas_with_spreading_that_selects_other_pods_says_both() -> None:
    text = workload().replace(
        "      containers:",
        "      topologySpreadConstraints:\n"
        "        - {maxSkew: 1, topologyKey: kubernetes.io/hostname,"
        " whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: other}}}\n"
        "      containers:",
    )
    message = messages(text + BUDGET)["WL018"]
    assert UNDECLARED in message
    assert message.endswith("select its own pods (labels app=api)")


def test_an_autoscaler_seen_after_the_workload_replaces_the_unsaid_reading() -> None:
    hpa = HPA.format(kind="Deployment", range="  maxReplicas: 6")
    found = messages(workload() + hpa)
    assert set(found) == RESILIENCE
    assert not any(UNDECLARED in message for message in found.values())


def test_the_titles_cover_a_count_the_repository_leaves_unsaid() -> None:
    titles = {c.id: c.title for c in WORKLOAD_CHECKS if c.id in RESILIENCE}
    assert all("may run several replicas" in title for title in titles.values()), titles


@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet"])
def test_unset_replicas_under_an_autoscaler_is_the_autoscalers_range(kind: str) -> None:
    hpa = HPA.format(kind=kind, range="  minReplicas: 1\n  maxReplicas: 6")
    assert resilience_findings(workload(kind) + hpa) == RESILIENCE


def test_an_autoscaler_that_cannot_add_a_replica_keeps_it_single() -> None:
    hpa = HPA.format(kind="Deployment", range="  maxReplicas: 1")
    assert resilience_findings(workload() + hpa) == set()


def test_the_autoscaler_overrides_a_declared_count() -> None:
    # The HPA rewrites spec.replicas; a declared 1 does not keep the workload single.
    hpa = HPA.format(kind="Deployment", range="  minReplicas: 2\n  maxReplicas: 4")
    assert resilience_findings(workload(replicas="1") + hpa) == RESILIENCE


def test_a_keda_scaled_object_targets_a_deployment_by_default() -> None:
    scaled = SCALED_OBJECT.format(kind="", range="  minReplicaCount: 0")  # max 100 by default
    assert resilience_findings(workload() + scaled) == RESILIENCE
    capped = SCALED_OBJECT.format(kind="", range="  maxReplicaCount: 1")
    assert resilience_findings(workload() + capped) == set()


def test_a_keda_scaled_object_for_another_kind_does_not_scale_the_deployment() -> None:
    scaled = SCALED_OBJECT.format(kind=", kind: StatefulSet", range="  maxReplicaCount: 5")
    assert resilience_findings(workload(replicas="1") + scaled) == set()
    unsaid = messages(workload() + scaled)
    assert set(unsaid) == RESILIENCE
    assert all(UNDECLARED in message for message in unsaid.values())
    found = messages(workload("StatefulSet") + scaled)
    assert set(found) == RESILIENCE
    assert not any(UNDECLARED in message for message in found.values())


def test_an_autoscaled_workload_with_a_budget_and_spreading_passes() -> None:
    hpa = HPA.format(kind="Deployment", range="  maxReplicas: 6")
    spread = workload().replace(
        "      containers:",
        "      topologySpreadConstraints:\n"
        "        - {maxSkew: 1, topologyKey: kubernetes.io/hostname,"
        " whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: api}}}\n"
        "      containers:",
    )
    assert resilience_findings(spread + hpa + BUDGET) == set()

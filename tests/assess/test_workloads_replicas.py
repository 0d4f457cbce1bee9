"""How many replicas a workload runs: its own count, 1 when unset, or its autoscaler's."""

from __future__ import annotations

import pytest

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


def resilience_findings(text: str) -> set[str]:
    return {f.check for f in findings_for(text)} & RESILIENCE


def workload(kind: str = "Deployment", replicas: str = "") -> str:
    return WORKLOAD.format(kind=kind, replicas=f"  replicas: {replicas}" if replicas else "")


@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet"])
def test_unset_replicas_without_an_autoscaler_is_one_replica(kind: str) -> None:
    # Kubernetes defaults spec.replicas to 1: nothing to spread, no budget to keep.
    assert resilience_findings(workload(kind)) == set()


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
    assert resilience_findings(workload() + scaled) == set()
    assert resilience_findings(workload("StatefulSet") + scaled) == RESILIENCE


def test_an_autoscaled_workload_with_a_budget_and_spreading_passes() -> None:
    hpa = HPA.format(kind="Deployment", range="  maxReplicas: 6")
    spread = workload().replace(
        "      containers:",
        "      topologySpreadConstraints:\n"
        "        - {maxSkew: 1, topologyKey: kubernetes.io/hostname,"
        " whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: api}}}\n"
        "      containers:",
    )
    budget = (
        "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\n"
        "metadata: {name: api, namespace: payments}\n"
        "spec: {maxUnavailable: 1, selector: {matchLabels: {app: api}}}\n"
    )
    assert resilience_findings(spread + hpa + budget) == set()

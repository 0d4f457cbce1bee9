"""Autoscalers read as the replica range they keep their target in.

An autoscaler owns its target's replica count: it rewrites ``spec.replicas``, which is
why Kubernetes asks manifests of autoscaled workloads to leave ``replicas`` out
(https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#scaling-a-deployment,
https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#migrating-deployments-and-statefulsets-to-horizontal-autoscaling).
Two kinds are read, with the defaults their APIs give missing fields:

- ``HorizontalPodAutoscaler`` (``autoscaling/v1`` and ``v2``): ``minReplicas``
  defaults to 1, ``maxReplicas`` is required (taken as the minimum when missing);
- KEDA's ``ScaledObject``: ``scaleTargetRef.kind`` defaults to ``Deployment``,
  ``minReplicaCount`` to 0 and ``maxReplicaCount`` to 100
  (https://keda.sh/docs/latest/reference/scaledobject-spec/).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stackyard.assess.workloads.base import Autoscaler, dig

AUTOSCALER_KINDS = frozenset({"HorizontalPodAutoscaler", "ScaledObject"})


def autoscaler_of(kind: str, obj: Mapping[str, Any]) -> tuple[str, str, Autoscaler] | None:
    """The target (kind, name) and replica range of an autoscaler, or None if malformed."""
    target = dig(obj, ("spec", "scaleTargetRef"))
    if kind not in AUTOSCALER_KINDS or not isinstance(target, Mapping):
        return None
    name = str(dig(obj, ("metadata", "name")) or "")
    if kind == "HorizontalPodAutoscaler":
        target_kind = target.get("kind")
        minimum = _count(dig(obj, ("spec", "minReplicas")), 1)
        maximum = _count(dig(obj, ("spec", "maxReplicas")), minimum)
    else:
        target_kind = target.get("kind") or "Deployment"
        minimum = _count(dig(obj, ("spec", "minReplicaCount")), 0)
        maximum = _count(dig(obj, ("spec", "maxReplicaCount")), 100)
    target_name = target.get("name")
    if not isinstance(target_kind, str) or not isinstance(target_name, str):
        return None
    return target_kind, target_name, Autoscaler(kind, name, minimum, maximum)


def _count(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default

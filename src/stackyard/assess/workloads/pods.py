"""Checks on the pod as a whole: host namespaces and paths, disruption, spreading, tokens.

Three of them depend on other objects and are decided once every object has been
seen (see :class:`~stackyard.assess.workloads.base.Candidate`):

- a PodDisruptionBudget covers a workload when it selects the pod template's labels in
  the same namespace; a manifest without a namespace matches any namespace, because
  the namespace then comes from the deploying tool (Argo CD, Kustomize, Helm);
- a workload runs several replicas when an autoscaler (HorizontalPodAutoscaler or
  KEDA ScaledObject) targets it with a maximum of 2 or more, or, with none, when it
  writes ``replicas >= 2``; ``replicas: 1`` keeps it single. When it writes no
  ``replicas`` and no autoscaler here targets it, the repository does not say:
  Kubernetes runs 1 unless an autoscaler kept elsewhere scales it, which is when
  Kubernetes asks manifests to leave ``replicas`` out. The checks then fire with a
  message that says so, and ``replicas: 1`` is the way to state a single instance;
- the service-account token is mounted unless the pod, or else its ServiceAccount,
  sets ``automountServiceAccountToken: false``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from stackyard.assess.workloads.base import (
    REPLICATED_KINDS,
    Candidate,
    Emit,
    PodDisruptionBudget,
    ReplicaCount,
    Waiver,
    Workload,
    WorkloadContext,
    check,
    dig,
    snippet,
)
from stackyard.kube import selector_matches


@check("WL011", "A hostPath volume is mounted", "warning", polaris="hostPathSet")
def host_path(workload: Workload, emit: Emit) -> Iterable[Candidate]:
    """A hostPath volume is mounted.

    A hostPath volume gives the pod the node's files; a writable one lets it change the
    node, and any one ties the pod to what a particular node happens to hold.
    """
    volumes = workload.pod_spec.get("volumes")
    for index, volume in enumerate(volumes if isinstance(volumes, list) else []):
        if isinstance(volume, Mapping) and volume.get("hostPath") is not None:
            path = (*workload.pod_path, "volumes", index, "hostPath")
            target = dig(volume, ("hostPath", "path")) or "?"
            yield emit(
                f"volume {volume.get('name')!r} mounts host path {target}", path, snippet(path, {})
            )


def _host_flag(workload: Workload, emit: Emit, flag: str) -> Iterable[Candidate]:
    path = (*workload.pod_path, flag)
    if dig(workload.obj, path) is True:
        yield emit(f"{flag} is true", path, snippet(path, True))


@check("WL012", "Pod shares the host network", "error", polaris="hostNetworkSet")
def host_network(workload: Workload, emit: Emit) -> Iterable[Candidate]:
    """Pod shares the host network.

    With ``hostNetwork`` the pod binds the node's interfaces, bypasses network policies
    and can reach every service listening on the node's loopback.
    """
    return _host_flag(workload, emit, "hostNetwork")


@check("WL013", "Pod shares the host PID namespace", "error", polaris="hostPIDSet")
def host_pid(workload: Workload, emit: Emit) -> Iterable[Candidate]:
    """Pod shares the host PID namespace.

    With ``hostPID`` the pod sees, and with enough rights signals or traces, every
    process of the node.
    """
    return _host_flag(workload, emit, "hostPID")


@check("WL014", "Pod shares the host IPC namespace", "error", polaris="hostIPCSet")
def host_ipc(workload: Workload, emit: Emit) -> Iterable[Candidate]:
    """Pod shares the host IPC namespace.

    With ``hostIPC`` the pod reads and writes the shared memory of every process of
    the node.
    """
    return _host_flag(workload, emit, "hostIPC")


def _replicas_evidence(workload: Workload) -> tuple[tuple[str | int, ...], str]:
    return workload.first_written(("spec", "replicas"), ("metadata", "name"))


def _replicated(workload: Workload) -> bool:
    """Whether the kind keeps interchangeable replicas (how many is decided at the end)."""
    return workload.kind in REPLICATED_KINDS


# Said when the repository states no replica count: the honest reading of Kubernetes'
# default (https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#replicas)
# next to its advice to leave ``replicas`` out of autoscaled manifests
# (https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#migrating-deployments-and-statefulsets-to-horizontal-autoscaling).
_UNDECLARED = (
    "replicas is not set and no autoscaler in this repository targets it: Kubernetes runs"
    " 1 replica unless an autoscaler kept elsewhere scales it; write `replicas: 1` for a"
    " single instance, or "
)


def _unless_several_replicas(
    workload: Workload,
    emit: Emit,
    message: str,
    remedy: str,
    satisfied: Waiver | None = None,
) -> Iterable[Candidate]:
    """A finding for a workload that may run several replicas, decided at the end.

    ``message`` is reported when the repository says the workload runs several replicas
    (written, or an autoscaler's maximum); when it leaves the count unsaid, the finding
    says that instead and ends with ``remedy``. ``satisfied`` waives either when the
    other objects meet the check (a budget that selects the pods).
    """
    namespace, kind, name, declared = (
        workload.namespace,
        workload.kind,
        workload.name,
        workload.replicas,
    )

    def unless_count_is(expected: ReplicaCount) -> Waiver:
        def waived(context: WorkloadContext) -> bool:
            if context.replica_count(namespace, kind, name, declared) is not expected:
                return True
            return satisfied is not None and satisfied(context)

        return waived

    path, text = _replicas_evidence(workload)
    yield emit(message, path, text, unless=unless_count_is(ReplicaCount.SEVERAL))
    if declared is None:
        # Only one of the two readings holds once every autoscaler has been seen.
        yield emit(
            _UNDECLARED + remedy, path, text, unless=unless_count_is(ReplicaCount.UNDECLARED)
        )


@check(
    "WL017",
    "Workload that may run several replicas has no PodDisruptionBudget",
    "warning",
    polaris="missingPodDisruptionBudget",
    kube_score=("deployment-has-poddisruptionbudget", "statefulset-has-poddisruptionbudget"),
)
def disruption_budget(workload: Workload, emit: Emit) -> Iterable[Candidate]:
    """Workload that may run several replicas has no PodDisruptionBudget.

    Without a PodDisruptionBudget a node drain (an upgrade, an autoscaler scale-down)
    may evict every replica at once; the point of running several is lost exactly when
    the platform does maintenance. A workload that writes no ``replicas`` and that no
    autoscaler in the repository targets is reported too, saying so: Kubernetes runs
    one replica unless an autoscaler kept elsewhere scales it, and ``replicas: 1``
    states a single instance.
    """
    if not _replicated(workload):
        return
    namespace, labels = workload.namespace, dict(workload.pod_labels)

    def covered(context: WorkloadContext) -> bool:
        candidates = context.budgets_for(namespace, labels)
        return any(_covers(b, namespace, labels) for b in candidates)

    yield from _unless_several_replicas(
        workload,
        emit,
        "no PodDisruptionBudget selects its pods",
        "add a PodDisruptionBudget that selects its pods",
        covered,
    )


@check(
    "WL018",
    "Workload that may run several replicas has no anti-affinity or topology spread",
    "warning",
    polaris="topologySpreadConstraint",
    kube_score=("deployment-has-host-podantiaffinity", "statefulset-has-host-podantiaffinity"),
)
def spreading(workload: Workload, emit: Emit) -> Iterable[Candidate]:
    """Workload that may run several replicas has no anti-affinity or topology spread.

    Replicas the scheduler may stack on one node (or one zone) fail together with it.
    A pod anti-affinity term or a topology spread constraint satisfies the check when
    its label selector selects the workload's own pods: the scheduler spreads a pod
    only away from the pods the term selects. A workload that writes no ``replicas``
    and that no autoscaler in the repository targets is reported as WL017 reports it.
    """
    if not _replicated(workload):
        return
    terms = _spreading_terms(workload.pod_spec)
    if any(_selects_own_pods(term, workload) for term in terms):
        return
    if terms:
        labels = ", ".join(f"{k}={v}" for k, v in sorted(workload.pod_labels.items()))
        message = (
            "no podAntiAffinity term or topologySpreadConstraint selects its own pods"
            f" (labels {labels or 'none'}), so nothing spreads its replicas"
        )
        remedy = (
            "make a podAntiAffinity term or topologySpreadConstraint select its own pods"
            f" (labels {labels or 'none'})"
        )
    else:
        message = "no podAntiAffinity or topologySpreadConstraints spread its replicas"
        remedy = "spread its replicas with podAntiAffinity or topologySpreadConstraints"
    yield from _unless_several_replicas(workload, emit, message, remedy)


def _spreading_terms(pod_spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The pod's anti-affinity terms (required and preferred) and spread constraints."""
    terms: list[Any] = []
    anti = dig(pod_spec, ("affinity", "podAntiAffinity"))
    if isinstance(anti, Mapping):
        required = anti.get("requiredDuringSchedulingIgnoredDuringExecution")
        terms += required if isinstance(required, list) else []
        preferred = anti.get("preferredDuringSchedulingIgnoredDuringExecution")
        for weighted in preferred if isinstance(preferred, list) else []:
            terms.append(weighted.get("podAffinityTerm") if isinstance(weighted, Mapping) else None)
    constraints = pod_spec.get("topologySpreadConstraints")
    terms += constraints if isinstance(constraints, list) else []
    return [term for term in terms if isinstance(term, Mapping)]


def _selects_own_pods(term: Mapping[str, Any], workload: Workload) -> bool:
    """Whether a term counts the workload's own pods in its topology domains.

    As the scheduler reads it: a missing ``labelSelector`` selects no pod, an empty one
    every pod; an anti-affinity term looks in the pod's own namespace unless it lists
    ``namespaces`` (or has a ``namespaceSelector``, assumed to include it). See
    https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#inter-pod-affinity-and-anti-affinity
    and https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/.
    """
    selector = term.get("labelSelector")
    if not term.get("topologyKey") or not isinstance(selector, Mapping):
        return False
    namespaces = term.get("namespaces")
    if (
        isinstance(namespaces, list)
        and namespaces
        and term.get("namespaceSelector") is None
        and workload.namespace
        and workload.namespace not in {str(n) for n in namespaces}
    ):
        return False
    return selector_matches(selector, workload.pod_labels)


@check(
    "WL019",
    "Service-account token is mounted",
    "warning",
    polaris="automountServiceAccountToken",
)
def token_automount(workload: Workload, emit: Emit) -> Iterable[Candidate]:
    """Service-account token is mounted.

    Most pods never call the Kubernetes API, yet by default each gets a token that
    can; set ``automountServiceAccountToken: false`` on the pod or its ServiceAccount
    unless it needs one.
    """
    pod = workload.pod_spec
    setting = pod.get("automountServiceAccountToken")
    if setting is False:
        return
    namespace = workload.namespace
    account = str(pod.get("serviceAccountName") or pod.get("serviceAccount") or "default")

    def waived(context: WorkloadContext) -> bool:
        # The pod's own ``true`` wins over its ServiceAccount's ``false``.
        return setting is None and context.service_accounts.get((namespace, account)) is False

    path, text = workload.first_written(
        (*workload.pod_path, "automountServiceAccountToken"),
        (*workload.pod_path, "serviceAccountName"),
        workload.pod_path,
    )
    yield emit(f"the token of service account {account!r} is mounted", path, text, unless=waived)


def _covers(budget: PodDisruptionBudget, namespace: str, labels: Mapping[str, str]) -> bool:
    same_namespace = not budget.namespace or not namespace or budget.namespace == namespace
    return same_namespace and selector_matches(budget.selector, labels)

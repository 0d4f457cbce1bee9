"""What a workload check is, and the pod-carrying objects it looks at.

A workload check is a small registered object (a stable ``WL`` id, the names Polaris
and kube-score give the same check, a default severity, a title and an explanation)
whose ``run`` yields candidate findings for one :class:`Workload`; a candidate that
depends on other objects (a PDB, a ServiceAccount) carries a waiver decided once every
object has been seen. ``stackyard.assess.workloads`` lists the checks explicitly, so
adding one never means editing a chain of ``if`` statements.

Every finding points at the line of the offending field when it is written, or at the
nearest line where it should be written when it is missing (the container's ``name``,
the pod spec's ``spec`` key), so a reviewer lands on the spot to fix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import Any, Protocol

from stackyard.assess.model import Evidence, WorkloadFinding
from stackyard.findings import Severity
from stackyard.yamlio import LocatedDocument

PathKey = tuple[str | int, ...]

# Kinds that keep several interchangeable replicas (PDB and spreading make sense).
REPLICATED_KINDS = frozenset(
    {"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController", "Rollout"}
)
BATCH_KINDS = frozenset({"Job", "CronJob"})


@dataclass(frozen=True)
class Container:
    """One container of a pod spec, with the path to it."""

    name: str
    spec: Mapping[str, Any]
    path: PathKey
    init: bool


@dataclass(frozen=True)
class PodDisruptionBudget:
    """The parts of a PDB that decide which pods it covers."""

    namespace: str
    name: str
    selector: Mapping[str, Any] | None


@dataclass(frozen=True)
class Autoscaler:
    """A HorizontalPodAutoscaler or KEDA ScaledObject, by the replica range it keeps."""

    kind: str
    name: str
    minimum: int
    maximum: int


class ReplicaCount(Enum):
    """What a repository says about the number of replicas a workload runs."""

    SINGLE = "single"  # ``replicas: 1`` (or 0) written, or an autoscaler capped at 1
    SEVERAL = "several"  # ``replicas`` >= 2 written, or an autoscaler that may add one
    UNDECLARED = "undeclared"  # no ``replicas`` and no autoscaler in the repository


@dataclass(frozen=True)
class Workload:
    """One object that carries a pod template, located in its source document."""

    kind: str
    namespace: str
    name: str
    obj: Mapping[str, Any]
    document: LocatedDocument
    prefix: PathKey  # the object's path inside its document (``("items", 3)`` in a List)
    pod_path: PathKey  # from the object root

    @property
    def ref(self) -> str:
        """``kind/namespace/name`` (namespace empty when the manifest leaves it out)."""
        return f"{self.kind}/{self.namespace}/{self.name}"

    @cached_property
    def pod_spec(self) -> Mapping[str, Any]:
        """The pod spec (empty when malformed)."""
        spec = dig(self.obj, self.pod_path)
        return spec if isinstance(spec, Mapping) else {}

    @property
    def pod_labels(self) -> Mapping[str, str]:
        """The labels the pods get (the template's, or the Pod's own)."""
        metadata_path = ("metadata",) if self.kind == "Pod" else (*self.pod_path[:-1], "metadata")
        labels = dig(self.obj, (*metadata_path, "labels"))
        return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}

    @property
    def replicas(self) -> int | None:
        """The replicas the manifest writes, or None when it leaves ``replicas`` out.

        An autoscaler that targets the workload overrides it: see
        :meth:`WorkloadContext.replica_count`.
        """
        value = dig(self.obj, ("spec", "replicas"))
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def containers(self, *, init: bool = True) -> tuple[Container, ...]:
        """The pod's containers, then (with ``init``) its init containers."""
        return self._all_containers if init else self._containers

    @cached_property
    def _containers(self) -> tuple[Container, ...]:
        return tuple(c for c in self._all_containers if not c.init)

    @cached_property
    def _all_containers(self) -> tuple[Container, ...]:
        found = []
        for group in ("containers", "initContainers"):
            items = self.pod_spec.get(group)
            for index, item in enumerate(items if isinstance(items, list) else ()):
                if isinstance(item, Mapping):
                    name = str(item.get("name", f"#{index}"))
                    path = (*self.pod_path, group, index)
                    found.append(Container(name, item, path, group == "initContainers"))
        return tuple(found)

    def evidence(self, path: PathKey, text: str) -> Evidence:
        """Evidence at the key of ``path`` (an object-relative path) or its nearest ancestor."""
        full = (*self.prefix, *path)
        first, last = self.document.span(full)  # last line known for documents with spans
        return Evidence(self.document.source, first, last, text)

    def first_written(self, *paths: PathKey) -> tuple[PathKey, str]:
        """The first of ``paths`` written in the object, with a ``key: value`` snippet."""
        for path in paths:
            value = dig(self.obj, path)
            if value is not None:
                return path, snippet(path, value)
        return paths[-1], snippet(paths[-1], dig(self.obj, paths[-1]))


@dataclass
class WorkloadContext:
    """Facts from other objects that decide some findings (PDBs, ServiceAccounts, HPAs).

    Gathered while objects stream past; read only once every object has been seen.
    """

    budgets: list[PodDisruptionBudget] = field(default_factory=list)
    # (namespace, name) -> the ServiceAccount's automountServiceAccountToken, when set
    service_accounts: dict[tuple[str, str], bool] = field(default_factory=dict)
    # (namespace, kind, name) of the scale target -> the autoscaler that owns its scale
    autoscaled: dict[tuple[str, str, str], Autoscaler] = field(default_factory=dict)

    # Budgets by (namespace, one of their matchLabels pairs), and the rest by namespace;
    # built on first use, once every object has been seen.
    _by_label: dict[tuple[str, str, str], list[PodDisruptionBudget]] = field(default_factory=dict)
    _unlabelled: dict[str, list[PodDisruptionBudget]] = field(default_factory=dict)
    _indexed: int = -1

    def replica_count(
        self, namespace: str, kind: str, name: str, declared: int | None
    ) -> ReplicaCount:
        """How many replicas the repository says the workload runs.

        An autoscaler that targets it owns its replica count (it rewrites
        ``spec.replicas``), so the autoscaler's maximum decides: replicas it may add
        need spreading and a budget as much as declared ones. Otherwise the written
        count decides. With neither, the repository does not say: Kubernetes runs one
        replica, unless an autoscaler kept elsewhere manages the workload, which is
        exactly when Kubernetes asks manifests to leave ``replicas`` out.
        """
        autoscaler = self.autoscaled.get((namespace, kind, name))
        count = autoscaler.maximum if autoscaler else declared
        if count is None:
            return ReplicaCount.UNDECLARED
        return ReplicaCount.SEVERAL if count >= 2 else ReplicaCount.SINGLE

    def budgets_for(self, namespace: str, labels: Mapping[str, str]) -> list[PodDisruptionBudget]:
        """The budgets that may cover pods with ``labels`` in ``namespace``.

        A superset of those that do (the caller still matches selectors), found without
        scanning every budget: a budget whose selector has ``matchLabels`` can only
        cover pods carrying its first pair. Budgets without a namespace are near every
        namespace; pods without one are compared with every budget.
        """
        if not namespace:
            return self.budgets
        if self._indexed != len(self.budgets):
            self._index_budgets()
        found = self._unlabelled.get(namespace, []) + self._unlabelled.get("", [])
        for key, value in labels.items():
            found += self._by_label.get((namespace, key, value), [])
            found += self._by_label.get(("", key, value), [])
        return found

    def _index_budgets(self) -> None:
        self._by_label, self._unlabelled = {}, {}
        for budget in self.budgets:
            selector = budget.selector or {}
            match_labels = selector.get("matchLabels")
            if isinstance(match_labels, Mapping) and match_labels:
                key, value = min((str(k), str(v)) for k, v in match_labels.items())
                self._by_label.setdefault((budget.namespace, key, value), []).append(budget)
            else:
                self._unlabelled.setdefault(budget.namespace, []).append(budget)
        self._indexed = len(self.budgets)


Waiver = Callable[[WorkloadContext], bool]


@dataclass(frozen=True)
class Candidate:
    """A finding, unless ``waived`` says the other objects make it moot.

    Checks that need other objects (is there a PDB for these pods?) cannot decide
    while objects still stream past; they hand back the finding with a condition
    over small captured values, so nothing but the candidate is kept.
    """

    finding: WorkloadFinding
    waived: Waiver | None = None


class WorkloadCheck(Protocol):
    """A check over one workload."""

    @property
    def id(self) -> str:
        """Stable identifier such as ``WL001``."""
        ...

    @property
    def title(self) -> str:
        """One line saying what is wrong when it fires."""
        ...

    @property
    def severity(self) -> Severity:
        """Default severity of its findings."""
        ...

    @property
    def polaris(self) -> str:
        """The Polaris check id with the same meaning, or empty."""
        ...

    @property
    def kube_score(self) -> tuple[str, ...]:
        """The kube-score check ids with the same meaning (one per kind), or none."""
        ...

    @property
    def explanation(self) -> str:
        """Why it matters, for the reference page."""
        ...

    def run(self, workload: Workload) -> Iterable[Candidate]:
        """Yield a candidate finding for every violation."""
        ...


Emit = Callable[..., Candidate]
CheckFunction = Callable[[Workload, Emit], Iterable[Candidate]]


@dataclass(frozen=True)
class FunctionCheck:
    """A workload check written as a generator function taking an emitter."""

    id: str
    title: str
    severity: Severity
    polaris: str
    kube_score: tuple[str, ...]
    explanation: str
    function: CheckFunction

    def run(self, workload: Workload) -> Iterable[Candidate]:
        """Run the function with an emitter bound to this check and workload."""

        def emit(
            message: str,
            path: PathKey,
            text: str,
            *,
            container: Container | None = None,
            unless: Waiver | None = None,
        ) -> Candidate:
            where = f'container "{container.name}" of ' if container else ""
            finding = WorkloadFinding(
                check=self.id,
                severity=self.severity,
                message=f"{where}{workload.ref}: {message}",
                evidence=workload.evidence(path, text),
                object_ref=workload.ref,
                container=container.name if container else "",
            )
            return Candidate(finding, unless)

        return self.function(workload, emit)


def check(
    check_id: str,
    title: str,
    severity: Severity,
    *,
    polaris: str = "",
    kube_score: tuple[str, ...] = (),
) -> Callable[[CheckFunction], FunctionCheck]:
    """Turn a generator function into a :class:`FunctionCheck`; its docstring explains it."""

    def wrap(function: CheckFunction) -> FunctionCheck:
        # The docstring's first paragraph repeats the title; the rest explains the check.
        _, _, body = (function.__doc__ or "").partition("\n\n")
        explanation = " ".join(body.split())
        return FunctionCheck(check_id, title, severity, polaris, kube_score, explanation, function)

    return wrap


def dig(data: Any, path: PathKey) -> Any:
    """The value at ``path`` in nested dicts and lists (as YAML loads them), or None."""
    # Plain type checks, not the Mapping ABC: this runs for every field of every object.
    for key in path:
        if type(key) is int:
            if type(data) is not list or key >= len(data):
                return None
            data = data[key]
        elif type(data) is dict or isinstance(data, Mapping):
            data = data.get(key)
        else:
            return None
    return data


def snippet(path: PathKey, value: Any) -> str:
    """How the field at ``path`` reads in YAML, on one line (``privileged: true``)."""
    key = next((k for k in reversed(path) if isinstance(k, str)), "")
    if isinstance(value, bool):
        return f"{key}: {'true' if value else 'false'}"
    if isinstance(value, Mapping | list) or value is None:
        return f"{key}:"
    return f"{key}: {value}"

"""Per-object workload checks (Polaris / kube-score style) with stable ``WL`` ids.

The registry is the explicit tuple :data:`WORKLOAD_CHECKS`: adding a check is writing
it in ``containers`` or ``pods`` and listing it here. ``docs/assessment-workloads.md``
maps every id to the Polaris and kube-score names of the same check.

Objects stream through a :class:`WorkloadScanner`: each pod-carrying object is checked
as it arrives and then dropped; only PDB selectors, ServiceAccount settings, autoscaler
ranges and candidate findings are kept, so memory grows with findings, not with the
repository. Objects owned by a controller (``ownerReferences`` with ``controller:
true``, as in ``kubectl get -A -o yaml`` exports) are skipped: their owner's template is
checked instead, and a finding is reported once.

A workload may exempt itself from checks with the annotations Polaris and kube-score
read (``exemptions``): its findings of those checks stay, marked ``excepted``, and each
exemption is listed with its reason by :meth:`WorkloadScanner.exception_uses`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from stackyard.assess.model import ExceptionUse, WorkloadFinding
from stackyard.assess.workloads import containers, pods
from stackyard.assess.workloads.autoscalers import AUTOSCALER_KINDS, autoscaler_of
from stackyard.assess.workloads.base import (
    Candidate,
    PathKey,
    PodDisruptionBudget,
    Workload,
    WorkloadCheck,
    WorkloadContext,
    dig,
)
from stackyard.assess.workloads.exemptions import Exemption, check_names, exemptions_of
from stackyard.kube import POD_SPEC_PATHS, selector_matches
from stackyard.yamlio import LocatedDocument

WORKLOAD_CHECKS: tuple[WorkloadCheck, ...] = (
    containers.cpu_requests,
    containers.memory_requests,
    containers.cpu_limits,
    containers.memory_limits,
    containers.liveness_probe,
    containers.readiness_probe,
    containers.privileged,
    containers.privilege_escalation,
    containers.run_as_root,
    containers.read_only_root,
    pods.host_path,
    pods.host_network,
    pods.host_pid,
    pods.host_ipc,
    containers.image_tag,
    containers.pull_policy,
    pods.disruption_budget,
    pods.spreading,
    pods.token_automount,
)


class WorkloadScanner:
    """Checks objects as they stream past; :meth:`findings` decides the rest at the end."""

    def __init__(self, checks: Iterable[WorkloadCheck] = WORKLOAD_CHECKS) -> None:
        """Run ``checks`` (all of them by default) on every pod-carrying object."""
        self.checks = tuple(checks)
        self.names = check_names(self.checks)
        self.context = WorkloadContext()
        self.candidates: list[Candidate] = []
        self.exemptions: list[Exemption] = []
        self._exempted_by: dict[int, int] = {}  # candidate position -> exemption position
        self.workloads = 0
        self._document: LocatedDocument | None = None
        self._items: dict[int, int] = {}

    def add(
        self, obj: Mapping[str, Any], document: LocatedDocument, prefix: PathKey | None = None
    ) -> None:
        """Check one Kubernetes object read from ``document``.

        Args:
            obj: the object, as loaded.
            document: the document it was read from, to locate evidence.
            prefix: the object's path in the document; found by identity when omitted
                (the document itself, or an item of a ``List``).
        """
        kind = obj.get("kind")
        if not isinstance(kind, str):
            return
        metadata = obj.get("metadata")
        metadata = metadata if isinstance(metadata, Mapping) else {}
        namespace, name = str(metadata.get("namespace") or ""), str(metadata.get("name") or "")
        self._remember(kind, namespace, name, obj)
        pod_path = POD_SPEC_PATHS.get(kind)
        if pod_path is None or _owned(metadata) or not isinstance(dig(obj, pod_path), Mapping):
            return
        if prefix is None:
            prefix = self._prefix(obj, document)
        workload = Workload(kind, namespace, name, obj, document, prefix, pod_path)
        self.workloads += 1
        exemptions = exemptions_of(workload, self.names)
        first = len(self.exemptions)
        self.exemptions += exemptions
        for workload_check in self.checks:
            exempted = next(
                (first + i for i, e in enumerate(exemptions) if workload_check.id in e.checks),
                None,
            )
            for candidate in workload_check.run(workload):
                if exempted is not None:
                    self._exempted_by[len(self.candidates)] = exempted
                    finding = dataclasses.replace(candidate.finding, excepted=True)
                    candidate = dataclasses.replace(candidate, finding=finding)
                self.candidates.append(candidate)

    def findings(self) -> list[WorkloadFinding]:
        """Every finding not waived by the objects seen, by file, line and check.

        Findings a workload's own annotations exempt are kept, marked ``excepted``.
        """
        kept = [self.candidates[i].finding for i in self._kept()]
        return sorted(kept, key=lambda f: (f.evidence.file, f.evidence.line, f.check, f.message))

    def exception_uses(self) -> list[ExceptionUse]:
        """Every exemption annotation (once per check it names), with the findings it accepts."""
        matched: dict[int, int] = {}
        for position in self._kept():
            exemption = self._exempted_by.get(position)
            if exemption is not None:
                matched[exemption] = matched.get(exemption, 0) + 1
        return [e.use(matched.get(i, 0)) for i, e in enumerate(self.exemptions)]

    def _kept(self) -> list[int]:
        """Positions of the candidates the other objects do not waive."""
        return [
            i for i, c in enumerate(self.candidates) if not (c.waived and c.waived(self.context))
        ]

    def _remember(self, kind: str, namespace: str, name: str, obj: Mapping[str, Any]) -> None:
        if kind == "PodDisruptionBudget":
            selector = dig(obj, ("spec", "selector"))
            selector = selector if isinstance(selector, Mapping) else None
            self.context.budgets.append(PodDisruptionBudget(namespace, name, selector))
        elif kind == "ServiceAccount":
            setting = obj.get("automountServiceAccountToken")
            if isinstance(setting, bool):
                self.context.service_accounts[(namespace, name)] = setting
        elif kind in AUTOSCALER_KINDS:
            scaled = autoscaler_of(kind, obj)
            if scaled is not None:
                target_kind, target_name, autoscaler = scaled
                self.context.autoscaled[(namespace, target_kind, target_name)] = autoscaler

    def _prefix(self, obj: Mapping[str, Any], document: LocatedDocument) -> PathKey:
        data = document.data
        if data is obj:
            return ()
        if document is not self._document:
            # Items of one List arrive together: index the current document only.
            self._document = document
            items = data.get("items") if isinstance(data, Mapping) else None
            self._items = {id(item): i for i, item in enumerate(items or [])}
        index = self._items.get(id(obj))
        return ("items", index) if index is not None else ()


def check_workloads(
    objects: Iterable[tuple[Mapping[str, Any], LocatedDocument]],
) -> list[WorkloadFinding]:
    """Run every workload check over ``objects`` (each with the document it came from).

    ``objects`` may be a generator; it is read once. Findings are sorted by file, line
    and check.
    """
    scanner = WorkloadScanner()
    for obj, document in objects:
        scanner.add(obj, document)
    return scanner.findings()


def _owned(metadata: Mapping[str, Any]) -> bool:
    owners = metadata.get("ownerReferences")
    return isinstance(owners, list) and any(
        isinstance(o, Mapping) and o.get("controller") is True for o in owners
    )


__all__ = [
    "WORKLOAD_CHECKS",
    "WorkloadCheck",
    "WorkloadScanner",
    "check_workloads",
    "selector_matches",
]

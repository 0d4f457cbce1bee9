"""Exemptions written on the object itself, in the annotations Polaris and kube-score read.

A workload that must break a check — an etcd snapshot job needs the host network and
root to read the node's etcd keys; a CNI agent programs the node — says so where it is
declared, in the annotations the ecosystem already uses, so one manifest passes
Polaris, kube-score and ``stackyard assess`` alike:

- Polaris: ``polaris.fairwinds.com/<check>-exempt: "true"`` exempts one check,
  ``polaris.fairwinds.com/exempt: "true"`` every check
  (https://polaris.docs.fairwinds.com/customization/exemptions/);
- kube-score: ``kube-score/ignore: "<check>,<check>"``
  (https://github.com/zegl/kube-score#ignoring-a-test).

Check names are the Polaris and kube-score names mapped in
``docs/assessment-workloads.md``, or Stackyard's own ``WL`` ids; names Stackyard does
not know belong to the other tool and are left alone. As in both tools, only the
annotations of the object itself (the controller, not its pod template) count.

Policy, as for an exceptions file: an exemption keeps the finding in the report,
marked ``excepted``, and is listed with its reason among the run's exceptions.
Neither tool has a place for the reason, so it is read from
``stackyard.dev/exemption-reason`` on the same object; an exemption without one is
still honoured (it is the object author's stated decision) but listed as "no reason
given", for a reviewer to ask. Annotation exemptions do not expire: they change with
the manifest that carries them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from stackyard.assess.model import Evidence, ExceptionUse
from stackyard.assess.workloads.base import Workload, WorkloadCheck

POLARIS_PREFIX = "polaris.fairwinds.com/"
POLARIS_EVERY_CHECK = POLARIS_PREFIX + "exempt"
POLARIS_SUFFIX = "-exempt"
KUBE_SCORE_IGNORE = "kube-score/ignore"
REASON_ANNOTATION = "stackyard.dev/exemption-reason"
NO_REASON = f"no reason given (add a {REASON_ANNOTATION} annotation)"


@dataclass(frozen=True)
class Exemption:
    """One check an annotation of one workload exempts (``*``: every check)."""

    object_ref: str
    annotation: str
    named: str  # the check as the annotation names it
    checks: frozenset[str]  # the WL ids it stands for
    reason: str
    evidence: Evidence  # the annotation's line

    def use(self, matched: int) -> ExceptionUse:
        """How the exemption shows among the run's exceptions."""
        where = f"object {self.object_ref} in {self.evidence.file}"
        return ExceptionUse(
            check=self.named,
            target=f"{where} (annotation {self.annotation})",
            reason=self.reason,
            expires="",
            expired=False,
            matched=matched,
            source=self.evidence,
            origin="annotation",
        )


def check_names(checks: Iterable[WorkloadCheck]) -> dict[str, frozenset[str]]:
    """Every name a check is known by (its id, Polaris and kube-score names) -> WL ids."""
    names: dict[str, set[str]] = {}
    for item in checks:
        for name in (item.id, item.polaris, *item.kube_score):
            if name:
                names.setdefault(name, set()).add(item.id)
    return {name: frozenset(ids) for name, ids in names.items()}


def exemptions_of(workload: Workload, names: Mapping[str, frozenset[str]]) -> list[Exemption]:
    """The exemption annotations of ``workload`` that name checks Stackyard runs."""
    metadata = workload.obj.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    if not isinstance(annotations, Mapping):
        return []
    reason = str(annotations.get(REASON_ANNOTATION) or "").strip() or NO_REASON
    every = frozenset(ids for group in names.values() for ids in group)
    found = []
    for key, value in annotations.items():
        for named in _named(str(key), value):
            covered = every if named == "*" else names.get(named, frozenset())
            if covered:
                path = ("metadata", "annotations", key)
                evidence = workload.evidence(path, f"{key}: {value}")
                found.append(Exemption(workload.ref, str(key), named, covered, reason, evidence))
    return found


def _named(key: str, value: object) -> list[str]:
    """The checks an annotation names (``*`` for all), known to Stackyard or not."""
    if key == KUBE_SCORE_IGNORE:
        return [part.strip() for part in str(value or "").split(",") if part.strip()]
    if not key.startswith(POLARIS_PREFIX) or str(value).strip().lower() != "true":
        return []  # Polaris honours only "true" (any case)
    if key == POLARIS_EVERY_CHECK:
        return ["*"]
    check = key.removeprefix(POLARIS_PREFIX)
    return [check.removesuffix(POLARIS_SUFFIX)] if check.endswith(POLARIS_SUFFIX) else []

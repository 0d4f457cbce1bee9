"""Plan a spec, explain one component's place in it, and refuse a plan with errors.

A plan with error findings is still a result of ``plan`` (which reports it and exits 1).
``render`` writes nothing and ``simulate`` simulates nothing from such a plan; both ask
:func:`plan_without_errors`, so the two can never disagree about what is bad enough to
stop.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from stackyard.app.results import Describes
from stackyard.catalog import Component
from stackyard.errors import COMMAND_LINE, InputError, Problem, StackyardError
from stackyard.plan import Finding, Plan, make_plan
from stackyard.plan.replicas import Replicas, replicas
from stackyard.spec import load_spec
from stackyard.versioning import schema_id
from stackyard.wording import counted


class PlanRefusedError(StackyardError):
    """The spec plans with error findings, so nothing is built from it.

    The spec itself was readable and valid: the findings are the plan's verdict, which a
    shell shows as findings (exit 1), not as bad input.
    """

    def __init__(self, spec: Path, findings: tuple[Finding, ...]) -> None:
        """Keep every error finding so a shell can show them all."""
        self.spec = spec
        self.findings = findings
        super().__init__(f"{spec} has {counted(len(findings), 'error finding')}")

    def as_dict(self) -> dict[str, Any]:
        """The JSON document of a refusal (``refusal``): the spec and its error findings.

        A shell asked for JSON prints it on stdout, so a tool reading stdout gets JSON
        whether the spec was built from or refused.
        """
        return {
            "schema": schema_id("refusal"),
            "spec": str(self.spec),
            "message": str(self),
            "findings": [finding.as_dict() for finding in self.findings],
        }


def plan_without_errors(spec: Path) -> Plan:
    """Load and plan ``spec``; refuse it when the plan has an error finding.

    Raises:
        YamlError, SpecError: the spec is not a readable, valid platform spec.
        PlanRefusedError: the plan has error findings (all of them are carried).
    """
    plan = make_plan(load_spec(spec))
    if plan.errors:
        raise PlanRefusedError(spec, tuple(plan.errors))
    return plan


@dataclass(frozen=True)
class PlanResult:
    """The plan of a spec: what runs where and why, the waves, and every finding."""

    plan: Plan

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every finding, most severe first as the checks ordered them."""
        return self.plan.findings

    @property
    def errors(self) -> tuple[Finding, ...]:
        """Findings of error severity: any of them fails ``plan``."""
        return tuple(self.plan.errors)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """Findings of warning severity: reported, never failing."""
        return tuple(f for f in self.plan.findings if f.severity == "warning")

    @property
    def failed(self) -> bool:
        """Whether the plan has an error finding (the command line exits 1)."""
        return bool(self.plan.errors)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the plan failed, one sentence; empty when it has no error finding."""
        if not self.plan.errors:
            return ()
        return (f"{self.plan.spec.source} has {counted(len(self.plan.errors), 'error finding')}",)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``stackyard plan --output json``."""
        return {"schema": schema_id("plan"), **self.plan.as_dict()}


def plan(spec: Path) -> PlanResult:
    """Load and plan ``spec``.

    Raises:
        InputError: the spec cannot be read or does not match the model.
    """
    return PlanResult(make_plan(load_spec(spec)))


@dataclass(frozen=True)
class Need:
    """A capability the component gets from another component."""

    capability: str
    provider: str
    cluster: str


@dataclass(frozen=True)
class Use:
    """A capability the component provides to another component."""

    capability: str
    component: str
    cluster: str


@dataclass(frozen=True)
class ClusterExplanation:
    """Why one component does or does not run on one cluster, and what follows from it."""

    cluster: str
    included: bool
    reason: str
    wave: int | None
    wave_reason: str
    source: str  # file:line of the spec that decided, "" when the catalog default did
    replicas: Replicas | None  # None for DaemonSets and features, which have no count
    needs: tuple[Need, ...]
    needed_by: tuple[Use, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON shape of one cluster."""
        sizing = self.replicas
        return {
            "cluster": self.cluster,
            "included": self.included,
            "reason": self.reason,
            "wave": self.wave,
            "waveReason": self.wave_reason,
            "source": self.source,
            "replicas": None
            if sizing is None
            else {
                "count": sizing.count,
                "ha": sizing.ha,
                "mode": sizing.mode,
                "reason": sizing.reason,
            },
            "needs": [
                {"capability": n.capability, "provider": n.provider, "cluster": n.cluster}
                for n in self.needs
            ],
            "neededBy": [
                {"component": u.component, "cluster": u.cluster, "capability": u.capability}
                for u in self.needed_by
            ],
        }


@dataclass(frozen=True)
class Explanation(Describes):
    """One component on every cluster of a plan: ``stackyard plan --why NAME``."""

    component: str
    title: str
    description: str
    clusters: tuple[ClusterExplanation, ...]

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``stackyard plan --why NAME --output json``."""
        return {
            "schema": schema_id("explanation"),
            "component": self.component,
            "clusters": [c.as_dict() for c in self.clusters],
        }


def explain(spec: Path, name: str) -> Explanation:
    """Why component ``name`` runs or not on each cluster of ``spec``'s plan.

    Raises:
        InputError: the spec is invalid, or ``name`` is no catalog component (with the
            closest name as a hint).
    """
    plan = make_plan(load_spec(spec))
    catalog = plan.catalog
    if name not in catalog:
        close = get_close_matches(name, list(catalog.components), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "stackyard catalog lists them"
        raise InputError([Problem(COMMAND_LINE, "--why", f"unknown component {name!r}", hint)])
    component = catalog[name]
    rows = tuple(_explain_cluster(plan, component, index) for index in range(len(plan.clusters)))
    return Explanation(name, component.title, component.description, rows)


def _explain_cluster(plan: Plan, component: Component, index: int) -> ClusterExplanation:
    cluster = plan.clusters[index]
    name = component.name
    decision = cluster.decision(name)
    assert decision is not None  # every catalog component is decided on every cluster
    location = plan.spec.document.locate(decision.path) if decision.path else None
    # DaemonSets and features have no replica count of their own.
    sized = component.workload in ("deployment", "statefulset")
    planned = cluster.get(name)
    # The plan's own decision where it runs; where it does not, what it would run.
    here = [p.name for p in cluster.components]
    sizing = (
        planned.replicas
        if planned
        else replicas(component, cluster.cluster, plan.spec.platform, here)
    )
    return ClusterExplanation(
        cluster=cluster.name,
        included=decision.included,
        reason=decision.reason,
        wave=plan.waves.get(name) if decision.included else None,
        wave_reason=plan.wave_reasons.get(name, ""),
        source=str(location) if location else "",
        replicas=sizing if sized and component.install.method != "feature" else None,
        needs=tuple(
            Need(e.capability, e.provider, e.provider_cluster)
            for e in plan.edges
            if e.consumer == name and e.cluster == cluster.name
        ),
        needed_by=tuple(
            Use(e.capability, e.consumer, e.cluster)
            for e in plan.edges
            if e.provider == name and e.provider_cluster == cluster.name
        ),
    )

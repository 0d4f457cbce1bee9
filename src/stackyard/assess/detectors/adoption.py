"""The later stages of the roadmap: FinOps, a developer portal, resilience testing.

These areas matter once the platform serves many teams (the roadmap classes them 2nd);
their detectors look for the tools (OpenCost, Backstage, Chaos Mesh / Litmus) and
for the practice around them (cost labels and alerts, a catalog and templates,
scheduled experiments and SLOs as code).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from stackyard.assess.detectors.base import (
    Detector,
    DetectorResult,
    FunctionDetector,
    achieved,
    component,
    file_evidence,
    missing,
    partial,
    uncounted_evidence,
    unit,
    units_phrase,
)
from stackyard.assess.inputs import RepositoryIndex

_COST_LABEL = re.compile(r"(^|[/.-])(team|owner|cost[-_]?cent(er|re)|tenant|business[-_]unit)$")
_COST_EXPR = re.compile(r"opencost|kubecost|node_total_hourly_cost|container_cpu_allocation")
_LOAD = re.compile(r"\b(k6\s+run|locust|vegeta\s+attack|jmeter|artillery\s+run)\b")
CHAOS_GROUPS = ("chaos-mesh.org", "litmuschaos.io")
CHAOS_SCHEDULES = ("Schedule", "Workflow", "ChaosSchedule", "CronWorkflow")


def _cost(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = component(index, charts=("opencost", "kubecost"), images=("opencost", "kubecost"))
    return (
        achieved(found, "cost is visible per namespace/workload") if found else missing(looks_for)
    )


def _cost_labels(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    namespaces = index.of_kind("Namespace")
    labelled = [n for n in namespaces if any(_COST_LABEL.search(k) for k in n.labels())]
    if not namespaces:
        return missing(looks_for, "no Namespace objects")
    evidence = [n.evidence("metadata", "labels") for n in labelled]
    units = [
        unit(n.name, True, n.evidence("metadata", "labels"))
        if n in labelled
        else unit(n.name, False, n.evidence(text=f"Namespace {n.name}"))
        for n in namespaces
    ]
    gaps = uncounted_evidence(units)
    detail = f"cost-allocation labels on {units_phrase(units, 'namespaces')}"
    if labelled and len(labelled) * 2 >= len(namespaces):
        return achieved(evidence, detail, gaps=gaps, units=units)
    if labelled:
        return partial(evidence, detail, looks_for, gaps=gaps, units=units)
    return missing(looks_for, detail, gaps=gaps, units=units)


def _rightsizing(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = component(index, charts=("goldilocks", "vertical-pod-autoscaler"))
    found += index.sighted("VerticalPodAutoscaler")
    found += index.text_hits(re.compile(r"\bkrr\b|robusta-dev/krr"))
    return achieved(found, "requests are right-sized from usage") if found else missing(looks_for)


def _cost_alerts(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = []
    for rule in index.of_kind("PrometheusRule"):
        for i, group in enumerate(rule.get("spec", "groups") or []):
            for j, item in enumerate(
                group.get("rules") or [] if isinstance(group, Mapping) else []
            ):
                if isinstance(item, Mapping) and _COST_EXPR.search(str(item.get("expr", ""))):
                    found.append(rule.evidence("spec", "groups", i, "rules", j))
    return achieved(found, "cost alert rules") if found else missing(looks_for)


def _portal(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = component(index, charts=("backstage",), images=("backstage",))
    return achieved(found, "a developer portal is deployed") if found else missing(looks_for)


def _catalog(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    entities = [
        o
        for o in index.in_group("backstage.io")
        if o.kind in ("Component", "System", "API", "Resource", "Domain")
    ]
    found = [o.evidence(text=f"{o.kind} {o.name}") for o in entities]
    found += [
        file_evidence(p, "catalog-info.yaml")
        for p in index.marker_files.get("catalog-info.yaml", [])
    ]
    return achieved(found, f"{len(entities)} catalog entities") if found else missing(looks_for)


def _templates(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = [
        o.evidence(text=f"Template {o.name}")
        for o in index.of_kind("Template", group="scaffolder.backstage.io")
    ]
    return achieved(found, f"{len(found)} golden-path templates") if found else missing(looks_for)


def _techdocs(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    sites = [
        file_evidence(p, "MkDocs site")
        for name in ("mkdocs.yml", "mkdocs.yaml")
        for p in index.marker_files.get(name, [])
    ]
    annotated = [
        o.evidence("metadata", "annotations")
        for o in index.in_group("backstage.io")
        if "backstage.io/techdocs-ref" in (o.get("metadata", "annotations") or {})
    ]
    if sites and annotated:
        return achieved(sites + annotated, "docs published through TechDocs")
    if sites or annotated:
        return partial(sites + annotated, "docs as code, not wired into the portal", looks_for)
    return missing(looks_for)


def _chaos_tool(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = component(
        index, charts=("chaos-mesh", "litmus", "chaoskube"), images=("chaos-mesh", "litmuschaos")
    )
    return achieved(found, "a chaos engineering tool is deployed") if found else missing(looks_for)


def _experiments(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = [
        o.evidence(text=f"{o.kind} {o.name}")
        for o in index.in_group(*CHAOS_GROUPS)
        if o.kind not in CHAOS_SCHEDULES
    ]
    return (
        achieved(found, f"{len(found)} chaos experiments as code") if found else missing(looks_for)
    )


def _scheduled(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = [
        o.evidence(text=f"{o.kind} {o.name}")
        for o in index.in_group(*CHAOS_GROUPS)
        if o.kind in CHAOS_SCHEDULES
    ]
    return achieved(found, "experiments run on a schedule") if found else missing(looks_for)


def _load(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = [o.evidence() for o in index.of_kind("TestRun", "K6", group="k6.io")]
    found += index.text_hits(_LOAD, ("ci", "script"))
    return achieved(found, "load tests as code") if found else missing(looks_for)


def _slos(index: RepositoryIndex, looks_for: str) -> DetectorResult:
    found = [o.evidence() for o in index.in_group("sloth.slok.dev", "pyrra.dev")]
    found += [
        o.evidence(text=f"PrometheusRule {o.name}")
        for o in index.of_kind("PrometheusRule")
        if "slo" in o.name.lower()
    ]
    return achieved(found, "SLOs and burn-rate alerts as code") if found else missing(looks_for)


DETECTORS: tuple[Detector, ...] = (
    FunctionDetector("cost-visibility", "OpenCost or Kubecost", _cost),
    FunctionDetector(
        "cost-allocation-labels",
        "team/owner/cost-center/tenant labels on Namespaces",
        _cost_labels,
    ),
    FunctionDetector("rightsizing", "VPA, Goldilocks or krr", _rightsizing),
    FunctionDetector(
        "cost-alerts", "PrometheusRule expressions on OpenCost/Kubecost metrics", _cost_alerts
    ),
    FunctionDetector("developer-portal", "a Backstage chart or image", _portal),
    FunctionDetector("service-catalog", "Backstage catalog entities (catalog-info.yaml)", _catalog),
    FunctionDetector("golden-paths", "Backstage scaffolder Template objects", _templates),
    FunctionDetector(
        "techdocs", "mkdocs.yml with backstage.io/techdocs-ref annotations", _techdocs
    ),
    FunctionDetector("chaos-tooling", "Chaos Mesh, Litmus or chaoskube", _chaos_tool),
    FunctionDetector(
        "chaos-experiments",
        "Chaos Mesh / Litmus experiment objects (PodChaos, NetworkChaos, ChaosEngine...)",
        _experiments,
    ),
    FunctionDetector(
        "chaos-schedules",
        "Chaos Mesh Schedule/Workflow or Litmus ChaosSchedule/CronWorkflow objects",
        _scheduled,
    ),
    FunctionDetector(
        "load-testing", "k6 TestRun objects, or k6/locust/vegeta in CI or scripts", _load
    ),
    FunctionDetector("slo-as-code", "Sloth/Pyrra SLO objects or SLO PrometheusRules", _slos),
)

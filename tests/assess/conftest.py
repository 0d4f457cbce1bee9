"""Assessment fixtures: hand-built assessments and findings, workload findings from text."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from stackyard.assess.model import (
    AreaResult,
    Assessment,
    CnmmLevel,
    ControlResult,
    Evidence,
    RoadmapItem,
    Severity,
    Status,
    WorkloadFinding,
)
from stackyard.assess.workloads import check_workloads
from stackyard.yamlio import LocatedDocument, iter_yaml_documents

HERE = Path(__file__).resolve().parent
RESOURCES = HERE / "resources"
ROOT = "/work/repo"
TITLES = {
    "gitops": "GitOps / IaC",
    "secrets": "Secrets management",
    "observability": "Observability",
    "policy": "Policy as code",
    "finops": "FinOps",
}


# -- hand-built assessments (reports, exceptions, comparisons) -------------------------


def finding(
    check: str = "WL007",
    *,
    severity: Severity = "error",
    line: int = 31,
    text: str = "privileged: true",
    excepted: bool = False,
    container: str = "",
) -> WorkloadFinding:
    """A workload finding in ``apps/web.yaml`` of the hand-built repository."""
    return WorkloadFinding(
        check=check,
        severity=severity,
        message=f"{check} fired on web",
        evidence=Evidence(f"{ROOT}/apps/web.yaml", line, line, text),
        object_ref="Deployment/shop/web",
        excepted=excepted,
        container=container,
    )


def make_assessment(
    ratings: Mapping[str, int] | None = None,
    statuses: Mapping[str, Status] | None = None,
    level: CnmmLevel = "Operate",
    findings: tuple[WorkloadFinding, ...] = (),
    evidence_text: str = "enabled: true",
) -> Assessment:
    """One control ``<area>.main`` per area: achieved from rating 3 up, else missing.

    ``statuses`` overrides a control's status; every missing control is an Essential
    roadmap item ("Add <area>").
    """
    ratings = {"gitops": 3} if ratings is None else ratings
    statuses = statuses or {}
    areas = []
    roadmap = []
    for area, rating in ratings.items():
        control_id = f"{area}.main"
        status: Status = statuses.get(control_id, "achieved" if rating >= 3 else "missing")
        result = ControlResult(
            control=control_id,
            area=area,
            title=f"{area} main control",
            status=status,
            weight=1.0,
            level=2,
            evidence=(Evidence(f"{ROOT}/{area}/app.yaml", 12, 14, evidence_text),),
            looked_for="" if status == "achieved" else f"a {area} thing",
        )
        areas.append(AreaResult(area, TITLES.get(area, area.title()), rating, (result,)))
        if status == "missing":
            roadmap.append(
                RoadmapItem(
                    "Essential", area, control_id, f"Add {area}", f"no {area}", f"add {area}"
                )
            )
    return Assessment(
        root=ROOT,
        areas=tuple(areas),
        level=level,
        roadmap=tuple(roadmap),
        workload_findings=findings,
    )


# -- workload findings from manifest text ----------------------------------------------


def _objects(
    documents: list[LocatedDocument],
) -> Iterator[tuple[Mapping[str, Any], LocatedDocument]]:
    for document in documents:
        data = document.data
        if not isinstance(data, Mapping):
            continue
        items = data.get("items")
        if str(data.get("kind", "")).endswith("List") and isinstance(items, list):
            yield from ((item, document) for item in items if isinstance(item, Mapping))
        else:
            yield data, document


def findings_for(text: str, source: str = "workloads.yaml") -> list[WorkloadFinding]:
    """Workload findings of a manifest text (``kind: List`` items included)."""
    return check_workloads(_objects(list(iter_yaml_documents(text, source))))

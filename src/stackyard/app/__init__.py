"""Stackyard's use cases as a library: one typed function per command.

The command line (``stackyard.cli``) and the fleet service are shells over this package:
they parse their input, call one function here, and format the frozen result it returns.
Every policy (refuse a plan with errors, what "strict" means, which exit a gate asks for)
lives here, so two shells cannot disagree. Bad input raises a ``StackyardError`` subclass;
anything else is a bug.

Every result has ``as_dict()``, whose first key is ``"schema"``: the versioned name of its
JSON shape (``stackyard.dev/<name>/v1``), with a JSON Schema in ``docs/schemas/``.
"""

from __future__ import annotations

from stackyard.app.assessment import (
    AssessRequest,
    AssessResult,
    ComparisonResult,
    ReportFormat,
    assess,
    capped_jobs,
    compare_reports,
    format_report,
    write_report,
)
from stackyard.app.diffing import ManifestDiffResult, SpecDiffResult, diff
from stackyard.app.planning import (
    ClusterExplanation,
    Explanation,
    Need,
    PlanRefusedError,
    PlanResult,
    Use,
    explain,
    plan,
    plan_without_errors,
)
from stackyard.app.reference import CatalogListing, Starter, catalog, init, platform_schema
from stackyard.app.rendering import (
    RenderCheck,
    RenderResult,
    Waiting,
    check_render,
    check_render_usage,
    render,
)
from stackyard.app.simulation import (
    FailureMatrixResult,
    Incident,
    SimulateRequest,
    SimulationModel,
    SimulationResult,
    check_simulate_usage,
    simulate,
)
from stackyard.app.validation import Validation, validate
from stackyard.assess import Assessment
from stackyard.findings import Finding
from stackyard.spec import Edition, Provider
from stackyard.spec.starter import Topology
from stackyard.versioning import schema_id

__all__ = [
    "AssessRequest",
    "AssessResult",
    "Assessment",
    "CatalogListing",
    "ClusterExplanation",
    "ComparisonResult",
    "Edition",
    "Explanation",
    "FailureMatrixResult",
    "Finding",
    "Incident",
    "ManifestDiffResult",
    "Need",
    "PlanRefusedError",
    "PlanResult",
    "Provider",
    "RenderCheck",
    "RenderResult",
    "ReportFormat",
    "SimulateRequest",
    "SimulationModel",
    "SimulationResult",
    "SpecDiffResult",
    "Starter",
    "Topology",
    "Use",
    "Validation",
    "Waiting",
    "assess",
    "capped_jobs",
    "catalog",
    "check_render",
    "check_render_usage",
    "check_simulate_usage",
    "compare_reports",
    "diff",
    "explain",
    "format_report",
    "init",
    "plan",
    "plan_without_errors",
    "platform_schema",
    "render",
    "schema_id",
    "simulate",
    "validate",
    "write_report",
]

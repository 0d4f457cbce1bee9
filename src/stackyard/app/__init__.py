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

from stackyard.app.planning import PlanRefusedError, plan_without_errors
from stackyard.app.simulate import (
    FailureMatrixResult,
    Incident,
    SimulateRequest,
    SimulationModel,
    SimulationResult,
    check_simulate_usage,
    simulate,
)
from stackyard.app.validate import Validation, validate
from stackyard.app.versioning import schema_id

__all__ = [
    "FailureMatrixResult",
    "Incident",
    "PlanRefusedError",
    "SimulateRequest",
    "SimulationModel",
    "SimulationResult",
    "Validation",
    "check_simulate_usage",
    "plan_without_errors",
    "schema_id",
    "simulate",
    "validate",
]

"""The one policy before anything is built from a spec: a plan with errors is refused.

``render`` writes nothing and ``simulate`` simulates nothing from a plan that has error
findings; both ask :func:`plan_without_errors`, so the two can never disagree about
what is bad enough to stop.
"""

from __future__ import annotations

from pathlib import Path

from stackyard.errors import StackyardError
from stackyard.plan import Finding, Plan, make_plan
from stackyard.spec import load_spec


class PlanRefusedError(StackyardError):
    """The spec plans with error findings, so nothing is built from it.

    The spec itself was readable and valid: the findings are the plan's verdict, which a
    shell shows as findings (exit 1), not as bad input.
    """

    def __init__(self, spec: Path, findings: tuple[Finding, ...]) -> None:
        """Keep every error finding so a shell can show them all."""
        self.spec = spec
        self.findings = findings
        count = len(findings)
        super().__init__(f"{spec} has {count} error finding{'' if count == 1 else 's'}")


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

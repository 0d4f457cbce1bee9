"""What a static check is, and what it gets to look at.

A check is a small registered object with a stable id, a default severity, a title
and an explanation (``docs/checks.md`` is generated from them), and a ``run`` that
yields findings located in the spec. Modules declare checks with :func:`check`;
``stackyard.plan.checks`` lists the modules explicitly, so adding a check never
means editing a chain of ``if`` statements.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from stackyard.catalog import Catalog
from stackyard.errors import Location
from stackyard.findings import Finding, Severity
from stackyard.plan.graph import Unmet, Waves
from stackyard.plan.model import ClusterPlan, Edge, SpecPath
from stackyard.plan.settings import Settings
from stackyard.spec import LoadedSpec, Platform, field_path


@dataclass(frozen=True)
class CheckContext:
    """Everything a check may read: the spec, the catalog and the plan so far."""

    spec: LoadedSpec
    catalog: Catalog
    settings: Settings
    clusters: tuple[ClusterPlan, ...]
    edges: tuple[Edge, ...]
    unmet: tuple[Unmet, ...]
    waves: Waves

    @property
    def platform(self) -> Platform:
        """The validated spec."""
        return self.spec.platform

    def locate(self, path: SpecPath, *, key: bool = False) -> Location:
        """Where ``path`` is written in the spec (or its nearest written ancestor)."""
        return self.spec.document.locate(path, key=key)


class Check(Protocol):
    """A static check over a plan."""

    @property
    def id(self) -> str:
        """Stable identifier, e.g. ``SY101`` or ``C4``."""
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
    def explanation(self) -> str:
        """Why it matters, for the checks reference."""
        ...

    def run(self, context: CheckContext) -> Iterable[Finding]:
        """Yield a finding for every violation."""
        ...


Emit = Callable[..., Finding]


@dataclass(frozen=True)
class FunctionCheck:
    """A check written as a generator function taking the context and an emitter."""

    id: str
    title: str
    severity: Severity
    explanation: str
    function: Callable[[CheckContext, Emit], Iterable[Finding]]

    def run(self, context: CheckContext) -> Iterable[Finding]:
        """Run the function with an emitter bound to this check."""

        def emit(
            message: str,
            path: SpecPath,
            *,
            hint: str = "",
            cluster: str | None = None,
            severity: Severity | None = None,
            key: bool = False,
        ) -> Finding:
            return Finding(
                check=self.id,
                severity=severity or self.severity,
                message=message,
                location=context.locate(path, key=key),
                field=field_path(path),
                hint=hint,
                cluster=cluster,
            )

        return self.function(context, emit)


def check(
    check_id: str, title: str, severity: Severity
) -> Callable[[Callable[[CheckContext, Emit], Iterable[Finding]]], FunctionCheck]:
    """Turn a generator function into a :class:`FunctionCheck`; its docstring explains it."""

    def wrap(function: Callable[[CheckContext, Emit], Iterable[Finding]]) -> FunctionCheck:
        # The docstring's first paragraph repeats the title; the rest explains the check.
        _, _, body = (function.__doc__ or "").partition("\n\n")
        explanation = " ".join(body.split())
        return FunctionCheck(check_id, title, severity, explanation, function)

    return wrap

"""What ``stackyard validate`` reports: located findings grouped by check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from stackyard.errors import Location

CheckName = Literal["yaml", "schema", "crd", "values", "topology", "secret", "hydrate"]


@dataclass(frozen=True, order=True)
class ValidationFinding:
    """One problem in a rendered (or any) GitOps tree, at file:line."""

    location: Location
    check: CheckName
    message: str
    # "unchecked" marks what the validator could not check (no reference data): a gap in
    # coverage, reported apart from findings about the tree itself.
    severity: Literal["error", "warning", "unchecked"] = "error"

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "check": self.check,
            "severity": self.severity,
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "message": self.message,
        }

    def __str__(self) -> str:
        return f"{self.location}: {self.check}: {self.message}"

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
    severity: Literal["error", "warning"] = "error"

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

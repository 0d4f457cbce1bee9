"""A recovery time and where it comes from: a documented estimate, or a drill's measurement.

The platform's recovery time objective (``slo.rto``) is a promise; how long a recovery
takes is a fact with an origin. Each recovery scenario has a documented estimate
(simulate's ``recovery.yaml``); a restore drill that ran on a cluster measured the time
there, in a record with a date. simulate holds the scenarios to the RTO with these times
and a runbook states them, so both read the one type defined here, below both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from stackyard.spec.units import format_duration

RecoverySource = Literal["documented", "measured"]


@dataclass(frozen=True)
class RecoveryTime:
    """How long a recovery takes, and whether a drill measured it or it is documented."""

    seconds: float
    source: RecoverySource
    record: str | None = None
    """The drill record the time was measured in (``measured`` only)."""
    date: str | None = None
    """When that drill ran (ISO 8601; ``measured`` only)."""

    @classmethod
    def documented(cls, seconds: float) -> RecoveryTime:
        """A scenario's documented estimate (no drill measured it)."""
        return cls(seconds, "documented")

    @classmethod
    def measured(cls, seconds: float, record: str, date: str) -> RecoveryTime:
        """The time a drill measured, with its record and when it ran."""
        return cls(seconds, "measured", record, date)

    @property
    def duration(self) -> str:
        """The time in the spec's duration units (``12s``, ``2h``)."""
        return format_duration(self.seconds)

    def describe(self) -> str:
        """``12s measured by the drill of <date> (<record>)`` or ``30m documented estimate …``."""
        if self.source == "measured":
            return f"{self.duration} measured by the drill of {self.date} ({self.record})"
        return f"{self.duration} documented estimate (no drill record)"

    def as_dict(self) -> dict[str, Any]:
        """JSON shape: the time, in words and seconds, and its origin."""
        return {
            "estimate": self.duration,
            "estimateSeconds": round(self.seconds, 3),
            "source": self.source,
            "record": self.record,
            "date": self.date,
        }

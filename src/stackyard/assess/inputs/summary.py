"""What a release's values say about resources, image tags, autoscaling and budgets.

Some detectors ask the same question of every release, whatever its chart: does it
set requests and limits, does it pin image tags, does it enable an autoscaler or a
disruption budget. Those answers are taken from the values once, as each release is
read, and kept as a ``ValuesSummary``; the values themselves are then kept only for
the charts some detector reads by name (``charts.CHARTS``), so memory does not grow
with the values of every application in a large repository.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from stackyard.assess.inputs.located import Located
from stackyard.assess.model import Evidence

AUTOSCALING_BLOCKS = frozenset({"autoscaling", "hpa"})
BUDGET_BLOCKS = frozenset({"podDisruptionBudget", "pdb", "disruptionBudget"})
BUDGET_KEYS = ("minAvailable", "maxUnavailable")


@dataclass(frozen=True)
class ValuesSummary:
    """Answers taken from values: evidence of what is set, and what floats."""

    requests: Evidence | None = None
    limits: Evidence | None = None
    image_tags: int = 0
    floating_tags: tuple[Evidence, ...] = ()
    autoscaling: tuple[Evidence, ...] = ()
    budgets: tuple[Evidence, ...] = ()

    def merge(self, other: ValuesSummary) -> ValuesSummary:
        """Both summaries together (the first evidence found wins for requests/limits)."""
        return ValuesSummary(
            self.requests or other.requests,
            self.limits or other.limits,
            self.image_tags + other.image_tags,
            self.floating_tags + other.floating_tags,
            self.autoscaling + other.autoscaling,
            self.budgets + other.budgets,
        )


def summarize(layers: Iterable[Located]) -> ValuesSummary:
    """One walk over every layer."""
    requests: Evidence | None = None
    limits: Evidence | None = None
    tags = 0
    floating: list[Evidence] = []
    autoscaling: list[Evidence] = []
    budgets: list[Evidence] = []
    for layer in layers:
        for path, value in layer.walk():
            if not path:
                continue
            key = path[-1]
            parent = path[-2] if len(path) >= 2 else None
            if parent == "resources" and isinstance(value, Mapping) and value:
                if key == "requests" and requests is None:
                    requests = layer.evidence(*path[:-1])
                elif key == "limits" and limits is None:
                    limits = layer.evidence(*path[:-1])
            elif key == "tag" and parent == "image":
                tags += 1
                if str(value).strip().lower() == "latest":
                    floating.append(layer.evidence(*path))
            elif isinstance(value, Mapping) and key in AUTOSCALING_BLOCKS:
                if _truthy(value.get("enabled")):
                    autoscaling.append(layer.evidence(*path))
            elif isinstance(value, Mapping) and key in BUDGET_BLOCKS and _budget(value):
                budgets.append(layer.evidence(*path))
    return ValuesSummary(
        requests, limits, tags, tuple(floating), tuple(autoscaling), tuple(budgets)
    )


def _budget(block: Mapping[str, object]) -> bool:
    """``pdb: {enabled: true}`` or ``podDisruptionBudget: {minAvailable: 1}``."""
    if "enabled" in block:
        return _truthy(block["enabled"])
    return any(block.get(k) is not None for k in BUDGET_KEYS)


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "on", "yes", "1", "enabled")
    return bool(value)

"""Gaps become a roadmap in its priority classes: Essential, then 1st, then 2nd.

Every control that is not achieved (and not accepted in an exceptions file) becomes
one item, carrying why it matters, what the detectors found, and the next concrete
step from the model. Within a class, items follow the classes' numbering (E1, E2, E3,
P1...), then lower levels first (foundations before refinements), then the order of
the areas in the model.

The next step speaks the repository's own terms where the model gives them: its
distribution (kubeadm, RKE2, K3s, Talos, read from its node bootstrap files), its GitOps
engine (Argo CD or Flux) or its provider (AWS, on-premises...); it is neutral when the
repository does not say.
"""

from __future__ import annotations

from collections.abc import Sequence

from stackyard.assess.inputs.platform import PlatformContext
from stackyard.assess.maturity import Control, MaturityModel
from stackyard.assess.model import AreaResult, ControlResult, Priority, RoadmapItem

PRIORITY_ORDER: dict[Priority, int] = {"Essential": 0, "1st": 1, "2nd": 2}


def build_roadmap(
    model: MaturityModel,
    areas: Sequence[AreaResult],
    context: PlatformContext | None = None,
) -> tuple[RoadmapItem, ...]:
    """One item per gap, sorted by class, seed item, level and area order.

    Args:
        model: the maturity model the areas were rated on.
        areas: the rated areas.
        context: the distributions, GitOps engines and providers the repository shows,
            for the next steps (None: neutral advice).
    """
    context = context or PlatformContext()
    controls = {c.id: c for area in model.areas for c in area.controls}
    area_order = {a.id: i for i, a in enumerate(model.areas)}
    gaps: list[tuple[tuple[int, str, int, int, str], RoadmapItem]] = []
    for area in areas:
        for result in area.controls:
            if result.status == "achieved" or getattr(result, "excepted", False):
                continue
            control = controls[result.control]
            key = (
                PRIORITY_ORDER[control.priority],
                _seed_key(control.seed),
                control.level,
                area_order[area.area],
                control.id,
            )
            gaps.append((key, _item(control, area, result, context)))
    return tuple(item for _, item in sorted(gaps, key=lambda pair: pair[0]))


def _item(
    control: Control,
    area: AreaResult,
    result: ControlResult,
    context: PlatformContext,
) -> RoadmapItem:
    found = result.detail if result.detail and result.detail != "not found" else ""
    if not found and result.looked_for:
        found = f"looked for {result.looked_for}; none found"
    seed = f"[{control.seed}] " if control.seed else ""
    reason = f"{seed}{control.why}"
    if found:
        reason += f" Found: {found}."
    return RoadmapItem(
        priority=control.priority,
        area=area.area,
        control=control.id,
        title=control.title,
        reason=reason,
        next_step=control.next_step_on(context),
    )


def _seed_key(seed: str | None) -> str:
    return seed or "~"

"""``--fail`` targets → the services they take down.

A target is, in this order: a cluster (every service on it: nodes, control plane and
components), a service id (``vault@mgmt``, ``control-plane@app1``, ``git``, an external
``harbor``), or a component name (that component on every cluster that runs it).
"""

from __future__ import annotations

from difflib import get_close_matches

from stackyard.errors import InputError, Location, Problem
from stackyard.simulate.model import RuntimeModel

MAX_TARGET = 200


def resolve_target(model: RuntimeModel, target: str, where: Location) -> frozenset[str]:
    """The ids of the services ``target`` names.

    Raises:
        InputError: ``target`` names nothing in this platform.
    """
    clusters = [c.name for c in model.plan.clusters]
    if target in clusters:
        return frozenset(model.services_on(target))
    if target in model.services:
        return frozenset({target})
    by_component = frozenset(s.id for s in model.services.values() if s.component == target)
    if by_component:
        return by_component
    candidates = [*clusters, *model.services, *{s.component for s in model.services.values()}]
    close = get_close_matches(target[:MAX_TARGET], candidates, n=1)
    hint = (
        f"did you mean {close[0]!r}?" if close else "use a cluster, component or component@cluster"
    )
    shown = target if len(target) <= MAX_TARGET else target[:MAX_TARGET] + "…"
    message = f"{shown!r} is not a cluster, component or service of this platform"
    raise InputError([Problem(where, "target", message, hint)])

"""Which components sign people in through the platform realm, Keycloak's ``platform``.

A component with an OIDC client in the catalog (``oidc``) signs in through the realm
where the plan runs Keycloak, unless the spec names another provider for it (the
catalog's ``oidc.unlessSet``, e.g. ``fleet.service.oidc``). Only then does the realm hold
its client, and only then do the groups it maps to its own roles (``oidc.groupRoles``)
come from the realm's groups, the ones ``identity.groups`` declares.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stackyard.catalog import Component
from stackyard.plan.model import ClusterPlan
from stackyard.spec import Platform

KEYCLOAK = "keycloak"


def signs_in_through_realm(
    platform: Platform, clusters: Iterable[ClusterPlan], component: Component
) -> bool:
    """Whether ``component`` runs somewhere and signs people in through the platform realm."""
    oidc = component.oidc
    planned = list(clusters)
    if oidc is None or not any(c.has(component.name) for c in planned):
        return False
    if not any(c.has(KEYCLOAK) for c in planned):
        return False
    return oidc.unlessSet is None or _spec_value(platform, oidc.unlessSet) is None


def _spec_value(platform: Platform, dotted: str) -> Any:
    """The spec's value at ``dotted``, or None where a section on the way is not set.

    The catalog checked the path when it loaded.
    """
    value: Any = platform
    for part in dotted.split("."):
        if value is None:
            return None
        value = getattr(value, part)
    return value

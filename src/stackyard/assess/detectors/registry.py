"""Every detector, in one explicit tuple; the maturity model refers to them by name."""

from __future__ import annotations

from collections.abc import Mapping

from stackyard.assess.detectors import (
    access,
    adoption,
    delivery,
    fleet,
    gitops,
    hardening,
    identity,
    identity_access,
    mesh,
    network,
    observability,
    policy,
    recovery,
    resources,
    secrets,
    supplychain,
    tenancy,
)
from stackyard.assess.detectors.base import Detector

ALL_DETECTORS: tuple[Detector, ...] = (
    *gitops.DETECTORS,
    *identity.DETECTORS,
    *identity_access.DETECTORS,
    *hardening.DETECTORS,
    *secrets.DETECTORS,
    *access.DETECTORS,
    *network.DETECTORS,
    *observability.DETECTORS,
    *resources.DETECTORS,
    *supplychain.DETECTORS,
    *recovery.DETECTORS,
    *policy.DETECTORS,
    *delivery.DETECTORS,
    *tenancy.DETECTORS,
    *fleet.DETECTORS,
    *adoption.DETECTORS,
    *mesh.DETECTORS,
)


def detectors_by_name() -> Mapping[str, Detector]:
    """The registry keyed by detector name."""
    return {d.name: d for d in ALL_DETECTORS}

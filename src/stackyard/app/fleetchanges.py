"""Change a platform of the fleet: register or deregister a cluster, serialised and audited.

The change itself is :mod:`stackyard.app.registration`'s (one commit of the edited spec and
its render, an idempotency key recorded in the commit, a lock file ordering processes on
one host). The fleet adds what only the store can give: the platform's lock in the
database (:meth:`stackyard.store.Store.locked`), which orders replicas on different hosts
sharing one repository, and the audit event (who, what, when, which commit), written in
the locked transaction so it commits with the lock's release.

The author of the commit is the repository's configured Git identity; the caller's name
goes into the audit log (the service's callers have no e-mail address to give Git).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from stackyard.app.clusterrequest import ClusterRegistration
from stackyard.app.fleet import ANONYMOUS, Fleet, platform_record
from stackyard.app.registration import ChangeResult, deregister_cluster, register_cluster
from stackyard.store import PlatformRecord

_Change = Callable[[PlatformRecord], ChangeResult]
"""A change of one platform's repository, given the fleet's record of that platform."""


def _locked_change(fleet: Fleet, platform: str, actor: str, change: _Change) -> ChangeResult:
    """Run ``change`` on ``platform`` under its database lock and audit what it committed.

    A replayed or refused change committed nothing new, so it leaves no audit event.
    """
    record = platform_record(fleet, platform)
    with fleet.store.locked(platform):
        result = change(record)
        if result.status == "committed" and not result.replayed:
            fleet.store.audit(
                actor,
                f"cluster.{result.action}",
                platform=platform,
                detail=result.cluster,
                commit=result.commit,
            )
    return result


def register_fleet_cluster(
    fleet: Fleet,
    platform: str,
    registration: ClusterRegistration,
    *,
    actor: str = ANONYMOUS,
    idempotency_key: str | None = None,
) -> ChangeResult:
    """Register a cluster on the fleet's ``platform`` under its lock (``register_cluster``).

    Raises:
        UnknownPlatformError: the fleet has no platform of that name.
        InputError: as :func:`register_cluster`; nothing was changed.
    """
    return _locked_change(
        fleet,
        platform,
        actor,
        lambda record: register_cluster(
            Path(record.repository),
            registration,
            spec_path=record.spec_path,
            rendered=record.rendered,
            author=None,
            idempotency_key=idempotency_key,
        ),
    )


def deregister_fleet_cluster(
    fleet: Fleet,
    platform: str,
    cluster: str,
    *,
    confirm: bool,
    actor: str = ANONYMOUS,
    idempotency_key: str | None = None,
) -> ChangeResult:
    """Deregister ``cluster`` from the fleet's ``platform`` under its lock.

    As ``deregister_cluster``: without ``confirm`` nothing changes.

    Raises:
        UnknownPlatformError: the fleet has no platform of that name.
        InputError: as :func:`deregister_cluster`; nothing was changed.
    """
    return _locked_change(
        fleet,
        platform,
        actor,
        lambda record: deregister_cluster(
            Path(record.repository),
            cluster,
            confirm=confirm,
            spec_path=record.spec_path,
            rendered=record.rendered,
            author=None,
            idempotency_key=idempotency_key,
        ),
    )

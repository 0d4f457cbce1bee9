"""Checks on the ``identity`` section: what the spec declares that render does not build yet.

The company directories are parsed and checked against the live servers by
``stackyard identity check``, but render writes no Keycloak LDAP federation for them
yet. A spec that declares one must not read as if its users could sign in through it.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.findings import Finding
from stackyard.plan.checks.base import CheckContext, Emit, check


@check("SY961", "Directory declared but not federated into Keycloak", "warning")
def directories_not_federated(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Directory declared but not federated into Keycloak.

    ``identity.directories`` are validated and ``stackyard identity check`` binds to each
    one and runs the searches Keycloak's LDAP federation would run. Render does not yet
    write that federation (Keycloak's LDAP user storage provider and its group mapper)
    into any realm, so no user of the directory can sign in through it: the directory
    has to be added in Keycloak's administration console (User federation) by hand
    until render does it. This warning goes when render writes the federation.
    """
    for index, directory in enumerate(context.platform.identity.directories):
        yield emit(
            f"directory {directory.name} is checked by `stackyard identity check` but not "
            "yet federated into Keycloak: render writes no LDAP federation, so its users "
            "cannot sign in through it",
            ("identity", "directories", index),
            hint="add it in Keycloak's administration console (User federation) for now, "
            "with the settings `stackyard identity check` confirmed",
        )

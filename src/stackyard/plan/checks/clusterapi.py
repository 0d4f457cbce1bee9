"""Checks on the clusters Cluster API provisions from mgmt (``clusters[].provisioning``).

Both surface only once Cluster API acts: a minor version alone creates machines of that
minor's first release, and on a platform without internet access the operator cannot
fetch the providers it installs.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.findings import Finding
from stackyard.plan.checks.base import CheckContext, Emit, check
from stackyard.spec.model import KUBERNETES_VERSION


@check("SY420", "Cluster API machines from a minor version alone", "warning")
def cluster_api_patch_version(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Cluster API machines from a minor version alone.

    Cluster API creates machines of an exact release. ``kubernetes.version: "1.35"``
    renders ``v1.35.0``, the minor's first release with none of its fixes, for every
    machine it creates and every one it replaces; name the patch release.
    """
    platform = context.platform
    match = KUBERNETES_VERSION.fullmatch(platform.kubernetes.version)
    if not platform.cluster_api_clusters or match is None or match.group(3) is not None:
        return
    names = ", ".join(c.name for c in platform.cluster_api_clusters)
    major, minor = match.group(1), match.group(2)
    yield emit(
        f"Cluster API creates the machines of {names} as v{major}.{minor}.0, the first "
        f"release of {major}.{minor}",
        ("kubernetes", "version"),
        hint=f'name the patch release, e.g. version: "{major}.{minor}.2"',
    )


@check("SY421", "Cluster API on an air-gapped platform", "warning")
def cluster_api_offline(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Cluster API on an air-gapped platform.

    The Cluster API operator downloads each provider's components from its GitHub
    release when it installs it. A disconnected platform has no route there, so the
    providers never install and no app cluster is created; the render does not yet point
    the providers at a ConfigMap or an OCI copy in the internal registry.
    """
    platform = context.platform
    if platform.airgap is None or not platform.cluster_api_clusters:
        return
    for index, cluster in enumerate(platform.clusters):
        if platform.provisioned_by_cluster_api(cluster):
            yield emit(
                f"cluster {cluster.name} is provisioned by Cluster API, whose operator fetches "
                "the providers from GitHub, out of the air gap's reach",
                ("clusters", index, "provisioning"),
                hint="use provisioning: manual, or give each provider a fetchConfig to an "
                "internal copy of its components",
                cluster=cluster.name,
            )

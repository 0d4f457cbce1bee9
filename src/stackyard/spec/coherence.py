"""Rules that span several fields of a spec, checked right after the model.

They are structural: without them the spec cannot be planned at all (two clusters of
one name, an AWS platform with no region). Judgements about a plannable spec (CIDR
overlaps, budgets, contracts) are the planner's static checks instead.
"""

from __future__ import annotations

from stackyard.errors import Problem
from stackyard.spec.model import Platform
from stackyard.yamlio import LocatedDocument


def coherence_problems(platform: Platform, document: LocatedDocument) -> list[Problem]:
    """Every cross-field problem of ``platform``, located in ``document``."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, cluster in enumerate(platform.clusters):
        if cluster.name in seen:
            problems.append(
                Problem(
                    document.locate(("clusters", index, "name")),
                    f"clusters[{index}].name",
                    f"cluster name {cluster.name!r} is already used by "
                    f"clusters[{seen[cluster.name]}]",
                    "every cluster needs its own name",
                )
            )
        seen.setdefault(cluster.name, index)
    if platform.provider == "aws" and platform.aws is None:
        problems.append(
            Problem(
                document.locate(("provider",)),
                "aws",
                "provider aws needs an 'aws' section",
                "add aws: {region: eu-central-1}",
            )
        )
    if platform.provider == "local" and platform.host is None:
        problems.append(
            Problem(
                document.locate(("provider",)),
                "host",
                "provider local needs a 'host' section describing the machine that runs the VMs",
                "add host: {cpu: 10, memory: 64Gi}",
            )
        )
    for t_index, tenant in enumerate(platform.tenants):
        for c_index, name in enumerate(tenant.clusters):
            if name not in seen:
                path = ("tenants", t_index, "clusters", c_index)
                problems.append(
                    Problem(
                        document.locate(path),
                        f"tenants[{t_index}].clusters[{c_index}]",
                        f"unknown cluster {name!r}",
                        f"clusters are: {', '.join(sorted(seen))}",
                    )
                )
    return problems

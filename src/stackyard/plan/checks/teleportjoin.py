"""Checks on how app clusters join the management cluster's Teleport.

Each app cluster of an Enterprise platform runs Teleport's Kubernetes agent, which joins
mgmt's Teleport with the ``kubernetes`` join method, static JWKS type: mgmt's Teleport
checks the agent's service-account token against the public keys that sign the app
cluster's tokens. Those keys exist only once the cluster does, so the spec carries them
(``clusters[].serviceAccountJwks``) after it is built; until then the agent cannot join.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.findings import Finding
from stackyard.plan.checks.base import CheckContext, Emit, check

AGENT = "teleport-kube-agent"


@check("SY970", "Teleport agent without its cluster's service-account keys", "info")
def agents_have_join_keys(context: CheckContext, emit: Emit) -> Iterable[Finding]:
    """Teleport agent without its cluster's service-account keys.

    The join token Stackyard renders for an app cluster's Teleport agent lists the keys
    that verify the agent's service-account token; without
    ``clusters[].serviceAccountJwks`` it lists none, so the agent is refused and Teleport
    gives no access to that cluster. The keys are only known once the cluster exists: after
    building it, copy what its API server publishes (``kubectl get --raw /openid/v1/jwks``)
    into the spec and render again. They are public keys, safe in Git. This is a step of
    the first rollout, not a mistake, hence information; rotate them in the spec when the
    cluster's service-account signing key changes.
    """
    for index, cluster in enumerate(context.platform.clusters):
        plan = next(c for c in context.clusters if c.name == cluster.name)
        if plan.has(AGENT) and cluster.serviceAccountJwks is None:
            yield emit(
                f"cluster {cluster.name}: its Teleport agent cannot join until the cluster's "
                "service-account keys are declared, so Teleport gives no access to it yet",
                ("clusters", index),
                hint=f"once {cluster.name} runs, set clusters[{cluster.name}]."
                "serviceAccountJwks to the output of kubectl get --raw /openid/v1/jwks "
                "there, and render again",
                cluster=cluster.name,
            )

"""Teleport roles from ``identity.groups`` and the Keycloak connector that hands them out.

Where Teleport runs (Enterprise) and groups are declared, each group that may reach
Kubernetes gets a Teleport role ``stackyard-<group>`` (role v7) that impersonates the same
Kubernetes group the API servers give its members when they sign in with OIDC,
``oidc:<group>``, so Teleport sessions get exactly the RBAC :mod:`.access` binds, and one
binding serves both ways in. ``kubernetes_labels`` limit the role to the clusters where
the group has a binding (for a tenant role, where the tenant lives), by the label
``stackyard.dev/cluster`` that every Teleport Kubernetes service carries (the chart's
``labels``): Teleport's own on its cluster, and the agent on each app cluster
(:mod:`.teleportagents`), so the roles reach the app clusters too. ``logins`` is empty:
the roles grant no SSH login. cluster-admin groups get no role, as they get no binding.

The OIDC connector ``keycloak`` maps the token's ``groups`` claim to those roles
(``claims_to_roles``), one entry per group. Its client secret is not in Git: the operator
looks it up in the Secret ``teleport-oidc`` (``client_secret: secret://teleport-oidc/
client-secret``), which must carry the annotation
``resources.teleport.dev/allow-lookup-from-cr: keycloak``
(https://goteleport.com/docs/zero-trust-access/infrastructure-as-code/teleport-operator/secret-lookup/).

How they are applied: the teleport-cluster chart runs the Teleport Kubernetes operator when
``operator.enabled`` is true (https://goteleport.com/docs/zero-trust-access/
infrastructure-as-code/teleport-operator/teleport-operator-helm/); it installs the
``resources.teleport.dev`` CRDs and reconciles ``TeleportRoleV7`` and
``TeleportOIDCConnector`` objects in Teleport's namespace into Teleport. They are plain
custom resources, so Argo CD applies them with Teleport's Application, after the chart
(its CRDs). The alternatives were worse for GitOps: ``auth.teleportConfig`` configures the
auth service, not roles, and a bootstrap file for ``tctl create`` runs once, so later
changes in Git would never reach Teleport.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackyard.plan import ClusterPlan
from stackyard.render.addresses import oidc_issuer, public_host
from stackyard.render.context import RenderContext
from stackyard.render.manifests.access import group_bindings, object_name, subject
from stackyard.render.manifests.base import AFTER_CHART, Placed, in_wave
from stackyard.render.teleportjoin import CLUSTER_LABEL
from stackyard.render.tree import Manifest
from stackyard.spec.identity import Group

TELEPORT = "teleport"
API = "resources.teleport.dev"
CONNECTOR = "keycloak"
SECRET = "teleport-oidc"
SECRET_KEY = "client-secret"


def role_name(group: Group) -> str:
    """The Teleport role of ``group`` (also the name of its custom resource)."""
    return f"stackyard-{object_name(group)}"


def bound_clusters(context: RenderContext, group: Group) -> list[str]:
    """The clusters where ``group`` has a binding, in the plan's order."""
    platform = context.platform
    return [c.name for c in context.plan.clusters if group_bindings(platform, group, c.name)]


def teleport_groups(context: RenderContext) -> list[Group]:
    """The groups that get a Teleport role: those bound somewhere (never cluster-admin)."""
    return [g for g in context.platform.identity.groups if bound_clusters(context, g)]


def teleport_role(context: RenderContext, group: Group) -> Manifest:
    """Role v7: impersonate ``oidc:<group>`` on the group's clusters, no SSH logins."""
    names = bound_clusters(context, group)
    every = len(names) == len(context.plan.clusters)
    labels: Manifest = {"*": "*"} if every else {CLUSTER_LABEL: names}
    role: Manifest = {
        "apiVersion": f"{API}/v1",
        "kind": "TeleportRoleV7",
        "metadata": {"name": role_name(group), "namespace": _namespace(context)},
        "spec": {
            "allow": {
                "kubernetes_groups": [subject(group)],
                "kubernetes_labels": labels,
                "logins": [],
            },
        },
    }
    return in_wave(role, AFTER_CHART)


def connector(context: RenderContext, groups: list[Group]) -> Manifest:
    """The Keycloak OIDC connector: groups claim → the groups' roles."""
    oidc = context.component(TELEPORT).oidc
    if oidc is None:  # a catalog invariant: Teleport signs in through Keycloak
        raise ValueError("catalog entry teleport has no oidc client")
    host = public_host(context, oidc.host or TELEPORT)
    manifest: Manifest = {
        "apiVersion": f"{API}/v3",
        "kind": "TeleportOIDCConnector",
        "metadata": {"name": CONNECTOR, "namespace": _namespace(context)},
        "spec": {
            "display": "Keycloak",
            "issuer_url": oidc_issuer(context),
            "client_id": oidc.clientId,
            "client_secret": f"secret://{SECRET}/{SECRET_KEY}",
            "redirect_url": [f"https://{host}{path}" for path in oidc.redirectPaths],
            "claims_to_roles": [
                {"claim": "groups", "value": g.name, "roles": [role_name(g)]} for g in groups
            ],
        },
    }
    return in_wave(manifest, AFTER_CHART)


def _namespace(context: RenderContext) -> str:
    return context.component(TELEPORT).namespace


def teleport_access_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """The groups' Teleport roles and the connector, where Teleport runs."""
    groups = teleport_groups(context)
    if not groups or not cluster.has(TELEPORT):
        return
    objects = [teleport_role(context, g) for g in groups]
    if context.clusters_running("keycloak"):
        objects.append(connector(context, groups))
    yield Placed(TELEPORT, "access-roles.yaml", objects)

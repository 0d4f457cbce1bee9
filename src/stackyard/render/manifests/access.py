"""Kubernetes RBAC for ``identity.groups``: who may do what, per cluster and tenant.

Every declared group is bound on the clusters it applies to (its ``clusters``, default
every cluster) as its role says, to the Kubernetes group ``oidc:<name>`` (the API servers'
groups prefix, :data:`~stackyard.render.addresses.OIDC_PREFIX`; Teleport impersonates the
same group, so one binding serves both ways in):

=================  ==========================================================================
role               binding
=================  ==========================================================================
platform-admin     ClusterRoleBinding to ``stackyard:platform-admin``
auditor            ClusterRoleBinding to ``stackyard:auditor``
tenant-admin       RoleBinding to the built-in ``admin`` in each of the tenant's namespaces
developer          RoleBinding to the built-in ``edit`` in each of the tenant's namespaces
viewer             RoleBinding to ``view`` in the tenant's namespaces; without a tenant, a
                   ClusterRoleBinding to ``view``
cluster-admin      nothing: the plan refuses it (SY966); break-glass access is the admin
                   certificate kept in Vault, never a human group
=================  ==========================================================================

Tenant bindings go only where the tenant lives (the intersection of the group's and the
tenant's clusters), in the namespaces :mod:`.namespaces` renders for it. Nothing here
ever names ``cluster-admin``. A spec without groups renders none of this.

Why the two ClusterRoles are written out rather than wildcards: RBAC rules only add, so
"everything but X" cannot be one rule with ``*``. ``resources: ["*"]`` in the core group
includes ``nodes/proxy``, and ``verbs: ["*"]`` includes ``escalate``, ``bind`` and
``impersonate``. Each ClusterRole is therefore an aggregated role over
(a) a companion ClusterRole with explicit rules for the built-in API: the core group's
resources listed one by one, every other built-in group (none of them holds Secrets or a
node proxy) with ``resources: ["*"]`` and the verbs listed; and (b) the ClusterRoles labelled
``rbac.authorization.k8s.io/aggregate-to-view``, which is how charts grant read access to
their custom resources (the built-in ``view`` reads no Secrets by design). Aggregating
``aggregate-to-admin`` or ``aggregate-to-edit`` instead would pull in the built-in ``edit``,
which may ``impersonate`` ServiceAccounts. So platform admins read every custom resource
whose chart follows that convention and change them through Git (Argo CD's
``platform-admins`` are its admins), not with kubectl. Argo CD is told to ignore the rules
the aggregation controller fills in (``resource.compareoptions``), or both roles would
always be out of sync. Aggregation opens no way around the limits: without ``escalate``
the API server refuses any change to an ``aggregationRule`` and any ClusterRole (or label
on one) whose rules the user does not hold
(https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping).

What ``stackyard:platform-admin`` leaves out, and why (Kubernetes "RBAC good practices",
https://kubernetes.io/docs/concepts/security/rbac-good-practices/, "Privilege escalation
risks"): ``escalate`` and ``bind`` (roles or bindings granting more than the subject holds;
without them the API server's own escalation check refuses a binding to cluster-admin),
``impersonate`` (acting as any user, group or ServiceAccount), ``nodes/proxy`` (the kubelet
API: exec into any pod, bypassing admission and audit of the API server),
``serviceaccounts/token`` (minting tokens for any ServiceAccount, including controllers
bound to cluster-admin) and the ``approve``/``sign`` verbs on certificate signers (issuing a
client certificate for any identity). What stays is broad by design, and audited:
platform admins create workloads in every namespace and read Secrets.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from stackyard.plan import ClusterPlan
from stackyard.render.addresses import OIDC_PREFIX
from stackyard.render.context import LABEL_PREFIX, RenderContext
from stackyard.render.manifests.base import BASE_GROUP, Placed
from stackyard.render.tree import Manifest
from stackyard.spec import Platform
from stackyard.spec.identity import Group

PLATFORM_ADMIN = "stackyard:platform-admin"
AUDITOR = "stackyard:auditor"
RBAC_API = "rbac.authorization.k8s.io/v1"
RBAC_GROUP = "rbac.authorization.k8s.io"
AGGREGATE_TO_VIEW = "rbac.authorization.k8s.io/aggregate-to-view"
TENANT_ROLES = {"tenant-admin": "admin", "developer": "edit", "viewer": "view"}
"""The built-in ClusterRole each tenant role is bound to in the tenant's namespaces."""

READ = ["get", "list", "watch"]
WRITE = ["create", "update", "patch", "delete", "deletecollection"]
CORE_RESOURCES = (
    "bindings", "configmaps", "endpoints", "events", "limitranges",
    "namespaces", "namespaces/finalize", "namespaces/status",
    "nodes", "nodes/status",
    "persistentvolumeclaims", "persistentvolumeclaims/status",
    "persistentvolumes", "persistentvolumes/status",
    "pods", "pods/attach", "pods/binding", "pods/ephemeralcontainers", "pods/eviction",
    "pods/exec", "pods/log", "pods/portforward", "pods/proxy", "pods/resize", "pods/status",
    "podtemplates",
    "replicationcontrollers", "replicationcontrollers/scale", "replicationcontrollers/status",
    "resourcequotas", "resourcequotas/status",
    "secrets", "serviceaccounts",
    "services", "services/proxy", "services/status",
)  # fmt: skip
"""The core group's resources platform admins manage: all but ``nodes/proxy`` and
``serviceaccounts/token`` (and ``componentstatuses``, deprecated and read-only)."""
AUDITOR_CORE_RESOURCES = (
    "configmaps", "endpoints", "events", "limitranges", "namespaces", "namespaces/status",
    "nodes", "nodes/status", "persistentvolumeclaims", "persistentvolumeclaims/status",
    "persistentvolumes", "persistentvolumes/status", "pods", "pods/log", "pods/status",
    "podtemplates", "replicationcontrollers", "replicationcontrollers/scale",
    "replicationcontrollers/status", "resourcequotas", "resourcequotas/status",
    "serviceaccounts", "services", "services/status",
)  # fmt: skip
"""What auditors read in the core group: everything but Secrets, and no subresource that
reaches into a pod or node (exec, attach, port-forward, proxy)."""
BUILTIN_GROUPS = (
    "admissionregistration.k8s.io", "apiextensions.k8s.io", "apiregistration.k8s.io",
    "apps", "autoscaling", "batch", "certificates.k8s.io", "coordination.k8s.io",
    "discovery.k8s.io", "events.k8s.io", "flowcontrol.apiserver.k8s.io",
    "networking.k8s.io", "node.k8s.io", "policy", "rbac.authorization.k8s.io",
    "resource.k8s.io", "scheduling.k8s.io", "storage.k8s.io",
)  # fmt: skip
"""Kubernetes' own API groups besides the core group (served by 1.30 and later; a group a
version does not serve only makes its rule match nothing). None holds Secrets or a node
proxy, so a rule may give ``resources: ["*"]`` in them."""


def object_name(group: Group) -> str:
    """``group``'s name as part of an object name (a DNS label's characters).

    Group names are what the token carries (``Platform Admins`` is one); a name that is
    not already a short DNS label is lowered, its other characters made ``-``, and a
    digest of the real name appended, so two names never meet in one.
    """
    name = group.name
    slug = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    if slug == name and len(slug) <= 50:
        return slug
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{slug[:40].strip('-') or 'group'}-{digest}"


def subject(group: Group) -> str:
    """The Kubernetes group of ``group``: what the API servers (and Teleport) call it."""
    return f"{OIDC_PREFIX}{group.name}"


def applies_to(group: Group, cluster: str) -> bool:
    """Whether ``group`` is bound on ``cluster`` (no ``clusters``: on every cluster)."""
    return group.clusters is None or cluster in group.clusters


def group_namespaces(platform: Platform, group: Group, cluster: str) -> list[str] | None:
    """The tenant namespaces ``group`` is bound in on ``cluster``; None: cluster-wide.

    An empty list means the group's tenant does not live on ``cluster``.
    """
    if group.tenant is None:
        return None
    tenant = platform.tenant(group.tenant)
    if tenant is None or cluster not in tenant.clusters:
        return []
    return tenant.namespace_names


def _labels(context: RenderContext) -> dict[str, str]:
    return {f"{LABEL_PREFIX}/platform": context.platform.name}


def aggregated_role(context: RenderContext, name: str) -> Manifest:
    """``name``: its built-in rules' companion plus the charts' read access to their CRs."""
    return {
        "apiVersion": RBAC_API,
        "kind": "ClusterRole",
        "metadata": {"name": name, "labels": _labels(context)},
        "aggregationRule": {
            "clusterRoleSelectors": [
                {"matchLabels": {f"{LABEL_PREFIX}/aggregate-to": name.split(":", 1)[1]}},
                {"matchLabels": {AGGREGATE_TO_VIEW: "true"}},
            ]
        },
    }


def builtin_rules(context: RenderContext, name: str, rules: list[Manifest]) -> Manifest:
    """The companion of aggregated role ``name``: explicit rules over the built-in API."""
    return {
        "apiVersion": RBAC_API,
        "kind": "ClusterRole",
        "metadata": {
            "name": f"{name}:built-in",
            "labels": {**_labels(context), f"{LABEL_PREFIX}/aggregate-to": name.split(":", 1)[1]},
        },
        "rules": rules,
    }


def platform_admin_rules() -> list[Manifest]:
    """Manage the built-in API, without the escalation paths (module docstring)."""
    return [
        {"apiGroups": [""], "resources": list(CORE_RESOURCES), "verbs": [*READ, *WRITE]},
        {"apiGroups": list(BUILTIN_GROUPS), "resources": ["*"], "verbs": [*READ, *WRITE]},
        {"nonResourceURLs": ["*"], "verbs": ["get"]},
    ]


def auditor_rules() -> list[Manifest]:
    """Read the built-in API, but no Secret and nothing that reaches into a pod or node."""
    return [
        {"apiGroups": [""], "resources": list(AUDITOR_CORE_RESOURCES), "verbs": list(READ)},
        {"apiGroups": list(BUILTIN_GROUPS), "resources": ["*"], "verbs": list(READ)},
    ]


def binding(group: Group, role_kind: str, role: str, namespace: str | None) -> Manifest:
    """A (Cluster)RoleBinding of ``group``'s Kubernetes group to ``role``."""
    metadata: Manifest = {"name": f"stackyard:{group.role}:{object_name(group)}"}
    if namespace is not None:
        metadata["namespace"] = namespace
    return {
        "apiVersion": RBAC_API,
        "kind": "RoleBinding" if namespace is not None else "ClusterRoleBinding",
        "metadata": metadata,
        "roleRef": {"apiGroup": RBAC_GROUP, "kind": role_kind, "name": role},
        "subjects": [{"apiGroup": RBAC_GROUP, "kind": "Group", "name": subject(group)}],
    }


def group_bindings(platform: Platform, group: Group, cluster: str) -> list[Manifest]:
    """The bindings ``group`` gets on ``cluster`` (none for cluster-admin, ever)."""
    if not applies_to(group, cluster):
        return []
    if group.role == "platform-admin":
        return [binding(group, "ClusterRole", PLATFORM_ADMIN, None)]
    if group.role == "auditor":
        return [binding(group, "ClusterRole", AUDITOR, None)]
    role = TENANT_ROLES.get(group.role)
    if role is None:  # cluster-admin: refused by the plan, never rendered
        return []
    namespaces = group_namespaces(platform, group, cluster)
    if namespaces is None:
        return [binding(group, "ClusterRole", role, None)]
    return [binding(group, "ClusterRole", role, namespace) for namespace in namespaces]


def access_manifests(context: RenderContext, cluster: ClusterPlan) -> Iterable[Placed]:
    """The platform's ClusterRoles and the bindings of every group on ``cluster``."""
    groups = context.platform.identity.groups
    if not groups:
        return
    objects = [
        aggregated_role(context, PLATFORM_ADMIN),
        builtin_rules(context, PLATFORM_ADMIN, platform_admin_rules()),
        aggregated_role(context, AUDITOR),
        builtin_rules(context, AUDITOR, auditor_rules()),
    ]
    for group in groups:
        objects += group_bindings(context.platform, group, cluster.name)
    yield Placed(BASE_GROUP, "access.yaml", objects)
